#!/usr/bin/env python3
"""Prints libphonenumber's region of each phone number read from standard input, one a line:

    number<TAB>zh description<TAB>en description

as ``geocoder.description_for_number(phonenumbers.parse(number, "CN"), lang)`` gives them, from
the PyPI package phonenumbers (pin the version that generate.py names). A description is empty
when the number does not parse, is not valid, is not Chinese (+86), or has no area in the data
(libphonenumber would then answer the country's name, "中国"/"China"); with --raw, the
descriptions are printed as libphonenumber answers them, country names included.

    printf '010-59937429\\n+8613812345678\\n' | python tools/phone_regions/crosscheck.py
"""

import sys

import phonenumbers
from phonenumbers import geocoder


def describe(number, raw):
    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:
        return "", ""
    out = []
    for lang in ("zh", "en"):
        text = geocoder.description_for_number(parsed, lang)
        if not raw and (parsed.country_code != 86
                        or text == geocoder.country_name_for_number(parsed, lang)):
            text = ""
        out.append(text)
    return tuple(out)


def main():
    raw = sys.argv[1:] == ["--raw"]
    sys.stdin.reconfigure(encoding="utf-8")
    sys.stdout.reconfigure(encoding="utf-8", newline="\n")
    for line in sys.stdin:
        number = line.rstrip("\r\n")
        zh, en = describe(number, raw)
        sys.stdout.write("%s\t%s\t%s\n" % (number, zh, en))


if __name__ == "__main__":
    main()
