#!/usr/bin/env python3
"""Builds crates/huiyi-domain/data/cn_phone_regions.txt from libphonenumber's geocoding data.

Source: the PyPI package ``phonenumbers`` (the Python port of Google's libphonenumber,
Apache-2.0), pinned to exactly this version:

    phonenumbers==9.0.43

It reads ``phonenumbers.geodata.GEOCODE_DATA`` (prefix -> {language: description}), keeps the
prefixes of country code 86 with their "zh" and "en" descriptions, splits each into province and
city, and writes the compact file that ``huiyi_domain::phone_region`` includes at compile time.
It also records, for each landline area code, the lengths of subscriber numbers that
libphonenumber accepts as valid (asked through ``phonenumbers.is_valid_number``), since
libphonenumber gives no region to a number that is not valid.

Regenerate (from the repository root):

    python3 -m venv /tmp/pnvenv && /tmp/pnvenv/bin/pip install 'phonenumbers==9.0.43'
    /tmp/pnvenv/bin/python tools/phone_regions/generate.py crates/huiyi-domain/data/cn_phone_regions.txt

With no argument the file goes to standard output. The output is deterministic: the same package
version gives the same bytes. A summary of the data's oddities goes to standard error. The script
refuses to run against another version of the package than the pinned one: to move to a newer
one, change PINNED_VERSION (and the version above and in README.md), re-run, and review the diff
and the oddities it prints.

The file format is described in README.md beside this script and in the file's own header.

Exactness: libphonenumber looks a number up by its longest prefix in GEOCODE_DATA, and for "zh"
falls back to a shorter prefix when the longest one has no "zh" description (there is no English
fallback for Chinese). Every prefix here gets the (zh, en) pair that libphonenumber would give for
a number matching it as its longest prefix, so a longest-prefix match in the file gives exactly
libphonenumber's zh and en descriptions. Runs of consecutive prefixes of the same length that map
to the same pair are written as one line ``first+count``, which is lossless.
"""

import collections
import os
import re
import sys

import phonenumbers
from phonenumbers.geodata import GEOCODE_DATA

PINNED_VERSION = "9.0.43"
COUNTRY = "86"

# Official full names of the autonomous regions, which the data mostly writes in short
# form ("广西百色市", "内蒙古包头市"). Only the names, not any of the data.
AUTONOMOUS_REGIONS = {
    "广西": "广西壮族自治区",
    "内蒙古": "内蒙古自治区",
    "宁夏": "宁夏回族自治区",
    "新疆": "新疆维吾尔自治区",
    "西藏": "西藏自治区",
}

# Names of peoples that appear in the names of autonomous prefectures (自治州), stripped to get
# the short name ("阿坝藏族羌族自治州" -> "阿坝"). A prefecture whose name still holds "族" after
# stripping stops the script, so a new name in the data cannot pass unnoticed.
PEOPLES = [
    "朝鲜族", "蒙古族", "哈尼族", "傈僳族", "土家族", "布依族", "景颇族",
    "藏族", "羌族", "彝族", "回族", "傣族", "白族", "壮族", "苗族", "侗族",
    "哈萨克", "柯尔克孜", "蒙古",
]

# Suffixes of prefecture-level names stripped for the short display name, longest first.
SUFFIXES = ["自治州", "地区", "林区", "盟", "市", "县"]

odd = []  # (kind, detail) for the summary on stderr


def note(kind, detail):
    odd.append((kind, detail))


def package_copyright():
    """The upstream copyright line, as the package's geodata files carry it."""
    path = os.path.join(os.path.dirname(phonenumbers.geodata.__file__), "__init__.py")
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"#\s*(Copyright \(C\) .*Libphonenumber Authors)\s*$", line)
            if m:
                return m.group(1)
    sys.exit("generate.py: no copyright line found in " + path)


def resolve(data):
    """prefix (without 86) -> (zh, en) as libphonenumber answers for that longest prefix."""
    out = {}
    for key in data:
        en = data[key].get("en")
        if en is None:
            sys.exit("generate.py: prefix %s has no English description" % key)
        zh = None
        for n in range(len(key), len(COUNTRY), -1):
            entry = data.get(key[:n])
            if entry is not None and "zh" in entry:
                zh = entry["zh"]
                if n != len(key):
                    note("zh falls back to a shorter prefix",
                         "+%s en=%r -> zh of +%s %r" % (key, en, key[:n], zh))
                break
        if zh is None:
            sys.exit("generate.py: prefix %s has no Chinese description at any length" % key)
        out[key[len(COUNTRY):]] = (zh, en)
    return out


def split_en(en):
    """'Shenzhen, Guangdong' -> ('Guangdong', 'Shenzhen'); 'Beijing' -> ('Beijing', 'Beijing')."""
    parts = en.split(", ")
    if len(parts) == 1:
        return en, en
    if len(parts) != 2 or not parts[0] or not parts[1]:
        sys.exit("generate.py: unexpected English description %r" % en)
    return parts[1], parts[0]


def pinyin_apostrophe(name):
    """'XiAn' -> "Xi'an", 'MaAnshan' -> "Ma'anshan": the data's camel case for the apostrophe."""
    return re.sub(r"(?<=[a-z])([AEIOU])", lambda m: "'" + m.group(1).lower(), name)


def short_part(part):
    """'深圳市' -> '深圳', '阿坝藏族羌族自治州' -> '阿坝', '芒市' -> '芒市'."""
    for suffix in SUFFIXES:
        if part.endswith(suffix) and len(part) - len(suffix) >= 2:
            part = part[: -len(suffix)]
            if suffix == "自治州":
                stripped = True
                while stripped:
                    stripped = False
                    for people in PEOPLES:
                        if part.endswith(people) and len(part) > len(people):
                            part = part[: -len(people)]
                            stripped = True
            break
    if "族" in part or "自治" in part:
        sys.exit("generate.py: cannot shorten %r; extend PEOPLES" % part)
    return part


def subscriber_lengths(prefixes):
    """Area code -> the lengths (7, 8) of subscriber numbers that libphonenumber takes as valid.

    An area code has two digits after 10 and 2, three otherwise. Lengths are found by asking
    phonenumbers.is_valid_number about a sample number for each first digit of the subscriber
    number; a length holds when most of the ten are valid. Area codes without any valid length
    (for example 0330-0334, which only a shorter prefix geocodes) are left out: libphonenumber
    gives their numbers no region. Shorter service numbers (0551-95512) are left out on purpose.
    """
    codes = ["10"] + [str(c) for c in range(20, 30)] + [str(c) for c in range(300, 1000)]
    heads = {p[:n] for p in prefixes for n in (2, 3)}
    out = {}
    for code in codes:
        if code not in heads and not any(code[:n] in prefixes for n in range(1, len(code))):
            continue
        lengths = []
        for length in (7, 8):
            valid = sum(
                phonenumbers.is_valid_number(
                    phonenumbers.parse("+86" + code + str(d) + "3456789"[: length - 1], None))
                for d in range(10))
            if 0 < valid < 10:
                note("area code valid for some first digits only",
                     "0%s, %d digits: %d of 10" % (code, length, valid))
            if valid >= 5:
                lengths.append(length)
        if lengths:
            out[code] = lengths
        else:
            note("area code geocoded but never valid", "0" + code)
    return out


def main():
    if phonenumbers.__version__ != PINNED_VERSION:
        sys.exit("generate.py: phonenumbers %s is installed, this script is pinned to %s"
                 % (phonenumbers.__version__, PINNED_VERSION))
    data = {k: v for k, v in GEOCODE_DATA.items() if k.startswith(COUNTRY)}
    prefixes = resolve(data)
    pairs = collections.Counter(prefixes.values())  # (zh, en) -> number of prefixes

    # English provinces; a description without a comma is a municipality.
    municipalities = sorted({en for _, en in pairs if ", " not in en})

    # zh province prefixes: full names found in the data ("广东省", "广西壮族自治区"), the same
    # without the 省 suffix ("四川阿坝"), the short autonomous-region names, the municipalities.
    full_names = set()
    for zh, en in pairs:
        m = re.match(r"^(.+?(?:省|自治区))", zh)
        if m:
            full_names.add(m.group(1))
    prefix_to_full = {}
    for full in full_names:
        prefix_to_full[full] = full
        if full.endswith("省"):
            prefix_to_full[full[:-1]] = full
    for short, full in AUTONOMOUS_REGIONS.items():
        prefix_to_full[short] = full
        prefix_to_full[full] = full
    by_length = sorted(prefix_to_full, key=lambda p: (-len(p), p))

    zh_province_of_en = {}
    regions = {}  # (zh, en) -> dict of fields
    for zh, en in sorted(pairs):
        province_en, city_en = split_en(en)
        if province_en in municipalities:
            if city_en != province_en:
                sys.exit("generate.py: %r names a municipality with a city" % en)
            full = zh if zh.endswith("市") else zh + "市"
            if full != zh:
                note("municipality without 市", "%r | %r" % (zh, en))
            province_zh, rest = full, full
        else:
            province_zh = rest = None
            for p in by_length:
                if zh.startswith(p) and len(zh) > len(p):
                    province_zh, rest = prefix_to_full[p], zh[len(p):]
                    if p != province_zh:
                        note("province in short form", "%s for %s" % (p, province_zh))
                    break
            if province_zh is None:
                sys.exit("generate.py: no province found in %r | %r" % (zh, en))
        known = zh_province_of_en.setdefault(province_en, province_zh)
        if known != province_zh:
            sys.exit("generate.py: %r is both %r and %r" % (province_en, known, province_zh))
        parts = []
        for part in rest.split("、"):
            if part in parts:
                note("repeated city", "%r | %r" % (zh, en))
            elif part:
                parts.append(part)
        if len(parts) > 1:
            note("several cities", "%r | %r" % (zh, en))
        shorts = tuple(short_part(p) for p in parts)
        regions[(zh, en)] = {
            "province_zh": province_zh,
            "province_en": province_en,
            "city_zh_raw": "、".join(parts),
            "city_en_raw": city_en,
            "area_key": (province_zh, shorts),
            "area_zh": "、".join(shorts),
        }
    if len(set(zh_province_of_en.values())) != len(zh_province_of_en):
        sys.exit("generate.py: two English provinces share a Chinese one: %r" % zh_province_of_en)

    # Cities: one per (province, short names). Variants of a name ("四川阿坝" beside
    # "四川省阿坝藏族羌族自治州", "Akesu" beside "Aksu") take the form used by most prefixes.
    votes_zh = collections.defaultdict(collections.Counter)
    votes_en = collections.defaultdict(collections.Counter)
    for pair, r in regions.items():
        votes_zh[r["area_key"]][r["city_zh_raw"]] += pairs[pair]
        votes_en[r["area_key"]][r["city_en_raw"]] += pairs[pair]

    def top(counter):
        return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]

    city_rows = {}
    for key in votes_zh:
        province_zh, _ = key
        city_zh, city_en = top(votes_zh[key]), top(votes_en[key])
        if len(votes_zh[key]) > 1:
            note("Chinese variants of one city", "%s: %s -> %r"
                 % (province_zh, dict(votes_zh[key]), city_zh))
        if len(votes_en[key]) > 1:
            note("English variants of one city", "%s: %s -> %r"
                 % (province_zh, dict(votes_en[key]), city_en))
        fixed = pinyin_apostrophe(city_en)
        if fixed != city_en:
            note("camel case read as apostrophe", "%r -> %r" % (city_en, fixed))
        city_rows[key] = (city_zh, "、".join(key[1]), fixed)

    provinces = sorted({(r["province_en"], r["province_zh"]) for r in regions.values()})
    province_id = {zh: i for i, (_, zh) in enumerate(provinces)}
    city_order = sorted(city_rows, key=lambda k: (province_id[k[0]], city_rows[k][2], city_rows[k][0]))
    city_id = {k: i for i, k in enumerate(city_order)}
    region_order = sorted(regions, key=lambda p: (city_id[regions[p]["area_key"]], p[1], p[0]))
    region_id = {p: i for i, p in enumerate(region_order)}

    areas = subscriber_lengths(set(prefixes))

    # Runs of consecutive same-length prefixes with the same region.
    runs = []
    for prefix in sorted(prefixes, key=lambda p: (len(p), int(p))):
        rid = region_id[prefixes[prefix]]
        last = runs[-1] if runs else None
        if (last and len(last[0]) == len(prefix) and int(last[0]) + last[1] == int(prefix)
                and last[2] == rid):
            last[1] += 1
        else:
            runs.append([prefix, 1, rid])

    out = []
    out.append("# Regions of Chinese (+86) phone number prefixes. Generated by tools/phone_regions/generate.py;")
    out.append("# do not edit by hand.")
    out.append("# Source: libphonenumber geocoding data, from the PyPI package phonenumbers==%s." % PINNED_VERSION)
    out.append("# %s. Licensed under the Apache License, Version 2.0." % package_copyright())
    out.append("# Lines are tab-separated; ids are dense from 0 and each section comes in id order.")
    out.append("# P id province_zh province_en")
    out.append("# C id province_id city_zh area_zh city_en covers   (city_en is also the short English name)")
    out.append("#   covers: for a city naming several (\"成都市、资阳市、眉山市\", one area code shared by")
    out.append("#   several cities), the comma-separated ids of those of them that are cities of their own")
    out.append("# R id city_id description_zh description_en       (libphonenumber's own descriptions)")
    out.append("# A area_code lengths: the lengths of a landline's subscriber number after that area")
    out.append("#   code (two digits after 10 and 2, else three); a landline of an area code not listed")
    out.append("#   has no region. Mobile numbers (1 but not 10) have 11 digits.")
    out.append("# prefix[+count] region_id: national significant number prefix (without 86); +count")
    out.append("#   stands for count consecutive prefixes of the same length. Longest prefix wins.")
    out.append("# provinces=%d cities=%d regions=%d areas=%d prefixes=%d lines=%d"
               % (len(provinces), len(city_order), len(region_order), len(areas), len(prefixes),
                  len(runs)))
    for i, (en, zh) in enumerate(provinces):
        out.append("P\t%d\t%s\t%s" % (i, zh, en))
    for i, key in enumerate(city_order):
        city_zh, area_zh, city_en = city_rows[key]
        covers = []
        if len(key[1]) > 1:
            for short in key[1]:
                other = (key[0], (short,))
                if other in city_id:
                    covers.append(city_id[other])
                else:
                    note("named in a city list but not a city of its own", "%s%s" % (key[0], short))
        out.append("C\t%d\t%d\t%s\t%s\t%s\t%s" % (i, province_id[key[0]], city_zh, area_zh, city_en,
                                                 ",".join(str(c) for c in sorted(covers))))
    for i, (zh, en) in enumerate(region_order):
        out.append("R\t%d\t%d\t%s\t%s" % (i, city_id[regions[(zh, en)]["area_key"]], zh, en))
    for code in sorted(areas, key=int):
        out.append("A\t%s\t%s" % (code, ",".join(str(n) for n in areas[code])))
    for prefix, count, rid in runs:
        out.append("%s%s\t%d" % (prefix, "+%d" % count if count > 1 else "", rid))
    text = "\n".join(out) + "\n"
    for field in text.split("\t"):
        if "\r" in field:
            sys.exit("generate.py: carriage return in the data")

    if len(sys.argv) > 2:
        sys.exit("usage: generate.py [OUTPUT]")
    if len(sys.argv) == 2:
        with open(sys.argv[1], "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))

    kinds = collections.Counter(kind for kind, _ in odd)
    print("generate.py: phonenumbers %s: %d prefixes of +86 in %d lines, %d regions, %d cities, "
          "%d provinces, %d area codes, %d bytes"
          % (PINNED_VERSION, len(prefixes), len(runs), len(region_order), len(city_order),
             len(provinces), len(areas), len(text.encode("utf-8"))),
          file=sys.stderr)
    for kind in sorted(kinds):
        print("  %s: %d" % (kind, kinds[kind]), file=sys.stderr)
        details = collections.Counter(detail for k, detail in odd if k == kind)
        for detail in sorted(details):
            times = details[detail]
            print("    " + detail + (" (%d descriptions)" % times if times > 1 else ""),
                  file=sys.stderr)


if __name__ == "__main__":
    main()
