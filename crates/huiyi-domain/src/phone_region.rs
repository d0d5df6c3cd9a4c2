//! The region (province and city) of a Chinese phone number.
//!
//! The data is libphonenumber's geocoding data for country code 86, as the PyPI package
//! `phonenumbers` ships it, turned into `data/cn_phone_regions.txt` by
//! `tools/phone_regions/generate.py` (see `tools/phone_regions/README.md` for its origin,
//! licence and format). It is included at compile time and parsed once, on first use.
//!
//! A lookup takes the national significant number (the number without `+86` and without the
//! trunk `0`) and finds its longest prefix in the data, as libphonenumber's geocoder does, so
//! [`Region::description_zh`] and [`Region::description_en`] are exactly what
//! `geocoder.description_for_number(number, "zh")` and `(…, "en")` answer for a valid number.
//! Validity itself is only approximated, by the length of the number: 11 digits for a mobile,
//! and for a landline the subscriber lengths libphonenumber accepts after its area code.

use std::sync::LazyLock;

const DATA: &str = include_str!("../data/cn_phone_regions.txt");

/// The longest prefix the data file can hold: a prefix is kept in a `u32`.
const MAX_PREFIX: usize = 9;
/// An input with more digits than this, country code and trunk prefix included, is not a phone
/// number.
const MAX_DIGITS: usize = 24;

/// Where a Chinese phone number is from: a province and a city (a prefecture-level area).
///
/// Some area codes are shared by several cities, and the data names them all: the region of
/// `028` has the city `成都市、资阳市、眉山市` ("Chengdu/Ziyang/Meishan").
#[derive(Debug, PartialEq, Eq)]
pub struct Region {
    province_zh: &'static str,
    province_en: &'static str,
    city_zh: &'static str,
    area_zh: &'static str,
    city_en: &'static str,
    description_zh: &'static str,
    description_en: &'static str,
    province: u16,
    city: u16,
    /// The city itself and, for a city naming several, those of them that are cities too.
    covers: Box<[u16]>,
}

impl Region {
    /// The province's full name: "广东省", "广西壮族自治区", "北京市" for a municipality.
    pub fn province_zh(&self) -> &str {
        self.province_zh
    }

    /// The city's full name: "深圳市", "阿坝藏族羌族自治州", "北京市" for a municipality.
    pub fn city_zh(&self) -> &str {
        self.city_zh
    }

    /// The province in English: "Guangdong", "Beijing".
    pub fn province_en(&self) -> &str {
        self.province_en
    }

    /// The city in English: "Shenzhen", "Beijing".
    pub fn city_en(&self) -> &str {
        self.city_en
    }

    /// The city's short name, for display: "深圳", "阿坝", "北京".
    pub fn area_zh(&self) -> &str {
        self.area_zh
    }

    /// The city's short name in English, for display; the same as [`Region::city_en`].
    pub fn area_en(&self) -> &str {
        self.city_en
    }

    /// libphonenumber's own Chinese description: "广东省深圳市", "北京市", "广西百色市".
    pub fn description_zh(&self) -> &str {
        self.description_zh
    }

    /// libphonenumber's own English description: "Shenzhen, Guangdong", "Beijing".
    pub fn description_en(&self) -> &str {
        self.description_en
    }

    /// Both are the same city, or could be: true also when one of them names several cities
    /// (a shared area code, as `028` for Chengdu, Ziyang and Meishan) and the other is one of
    /// them or names one of them too.
    pub fn same_city(&self, other: &Region) -> bool {
        self.city == other.city || self.covers.iter().any(|c| other.covers.contains(c))
    }

    /// Both are in the same province (a municipality is a province of its own).
    pub fn same_province(&self, other: &Region) -> bool {
        self.province == other.province
    }

    /// The municipality of Beijing.
    pub fn is_beijing(&self) -> bool {
        self.province_en == "Beijing"
    }
}

/// Finds the region of a phone number in China, as people type them:
/// landline with trunk 0 and area code ("010-59937429", "0755 2345 6789", "(021)5888-1234"),
/// a mobile ("13812345678", "138 1234 5678"), with "+86"/"0086"/"86" prefixes
/// ("+86 10 5993 7429", "+8613812345678").
/// Separators (space, '-', '(', ')', '.') are ignored. Returns None for anything that is not a
/// Chinese number or has no region in the data.
///
/// A mobile number has 11 digits; a landline has a two-digit area code (`10`, `2x`) or a
/// three-digit one, then seven or eight digits, as libphonenumber has it for that area code.
/// Shorter service numbers of a city (`0551-95512`), which libphonenumber also places, have no
/// region here.
pub fn region_of(phone: &str) -> Option<&'static Region> {
    let mut digits = [0u8; MAX_DIGITS];
    let nsn = national_significant_number(phone, &mut digits)?;
    let table: &'static Table = &TABLE;
    if !table.valid_length(nsn) {
        return None;
    }
    table.lookup(nsn)
}

/// The digits of the national significant number, as values 0–9, in `buf`.
fn national_significant_number<'a>(phone: &str, buf: &'a mut [u8; MAX_DIGITS]) -> Option<&'a [u8]> {
    let mut len = 0;
    let mut plus = false;
    for b in phone.bytes() {
        match b {
            b'0'..=b'9' => {
                *buf.get_mut(len)? = b - b'0';
                len += 1;
            }
            b' ' | b'-' | b'(' | b')' | b'.' | b'\t' => {}
            b'+' if len == 0 && !plus => plus = true,
            _ => return None,
        }
    }
    let mut digits = &buf[..len];
    if plus {
        digits = digits.strip_prefix(&[8, 6])?;
    } else if let Some(rest) = digits.strip_prefix(&[0, 0]) {
        digits = rest.strip_prefix(&[8, 6])?;
    } else if let Some(rest) = digits.strip_prefix(&[8, 6]) {
        // No area code starts with 86, so this is the country code written without '+'.
        digits = rest;
    }
    // The trunk prefix, also when written after the country code ("+86 (0)10 …").
    Some(digits.strip_prefix(&[0]).unwrap_or(digits))
}

static TABLE: LazyLock<Table> =
    LazyLock::new(|| Table::parse(DATA).unwrap_or_else(|e| panic!("cn_phone_regions.txt: {e}")));

/// `count` consecutive prefixes from `first`, all of the same length, in region `region`.
#[derive(Debug, Clone, Copy)]
struct Run {
    first: u32,
    count: u16,
    region: u16,
}

struct Table {
    regions: Vec<Region>,
    /// By area code (10, 20–29, 300–999): a bit for each valid length of a subscriber number.
    subscriber_lengths: Vec<u16>,
    /// Runs by prefix length, each sorted and without overlaps.
    runs: [Vec<Run>; MAX_PREFIX + 1],
}

impl Table {
    fn valid_length(&self, nsn: &[u8]) -> bool {
        let area = match nsn {
            // Mobile.
            [1, 1..=9, ..] => return nsn.len() == 11,
            // Beijing (10) and the other two-digit area codes.
            [1, 0, ..] | [2, ..] => 2,
            [3..=9, _, _, ..] => 3,
            _ => return false,
        };
        let code = nsn[..area]
            .iter()
            .fold(0usize, |code, d| code * 10 + usize::from(*d));
        let subscriber = nsn.len() - area;
        subscriber < 16 && self.subscriber_lengths[code] & (1 << subscriber) != 0
    }

    fn lookup(&'static self, nsn: &[u8]) -> Option<&'static Region> {
        let longest = nsn.len().min(MAX_PREFIX);
        let mut keys = [0u32; MAX_PREFIX + 1];
        let mut key = 0u32;
        for (len, d) in nsn[..longest].iter().enumerate() {
            key = key * 10 + u32::from(*d);
            keys[len + 1] = key;
        }
        for len in (1..=longest).rev() {
            let runs = &self.runs[len];
            let key = keys[len];
            let i = runs.partition_point(|r| r.first <= key);
            if let Some(run) = i.checked_sub(1).map(|i| runs[i])
                && key - run.first < u32::from(run.count)
            {
                return Some(&self.regions[usize::from(run.region)]);
            }
        }
        None
    }

    fn parse(data: &'static str) -> Result<Table, String> {
        struct City {
            province: u16,
            city_zh: &'static str,
            area_zh: &'static str,
            city_en: &'static str,
            covers: Vec<u16>,
        }
        let mut provinces: Vec<(&'static str, &'static str)> = Vec::new();
        let mut cities: Vec<City> = Vec::new();
        let mut regions: Vec<Region> = Vec::new();
        let mut runs: [Vec<Run>; MAX_PREFIX + 1] = Default::default();
        let mut subscriber_lengths = vec![0u16; 1000];

        for (n, line) in data.lines().enumerate() {
            let at = |what: &str| format!("line {}: {what}: {line:?}", n + 1);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&'static str> = line.split('\t').collect();
            let id = |s: &str, below: usize| -> Result<u16, String> {
                s.parse::<u16>()
                    .ok()
                    .filter(|&i| usize::from(i) < below)
                    .ok_or_else(|| at("bad id"))
            };
            match fields[..] {
                ["P", i, zh, en] => {
                    if usize::from(id(i, provinces.len() + 1)?) != provinces.len() {
                        return Err(at("province out of order"));
                    }
                    provinces.push((zh, en));
                }
                ["C", i, province, zh, area, en, covers] => {
                    let own = id(i, cities.len() + 1)?;
                    if usize::from(own) != cities.len() {
                        return Err(at("city out of order"));
                    }
                    let mut covers_ids = vec![own];
                    for c in covers.split(',').filter(|c| !c.is_empty()) {
                        covers_ids.push(c.parse::<u16>().map_err(|_| at("bad covered city"))?);
                    }
                    cities.push(City {
                        province: id(province, provinces.len())?,
                        city_zh: zh,
                        area_zh: area,
                        city_en: en,
                        covers: covers_ids,
                    });
                }
                ["R", i, city, zh, en] => {
                    if usize::from(id(i, regions.len() + 1)?) != regions.len() {
                        return Err(at("region out of order"));
                    }
                    let city_id = id(city, cities.len())?;
                    let c = &cities[usize::from(city_id)];
                    let (province_zh, province_en) = provinces[usize::from(c.province)];
                    regions.push(Region {
                        province_zh,
                        province_en,
                        city_zh: c.city_zh,
                        area_zh: c.area_zh,
                        city_en: c.city_en,
                        description_zh: zh,
                        description_en: en,
                        province: c.province,
                        city: city_id,
                        covers: c.covers.clone().into_boxed_slice(),
                    });
                }
                ["A", code, lengths] => {
                    let valid_code = matches!(
                        code.as_bytes(),
                        [b'1', b'0']
                            | [b'2', b'0'..=b'9']
                            | [b'3'..=b'9', b'0'..=b'9', b'0'..=b'9']
                    );
                    let slot = code
                        .parse::<usize>()
                        .ok()
                        .filter(|_| valid_code)
                        .map(|c| &mut subscriber_lengths[c])
                        .ok_or_else(|| at("bad area code"))?;
                    for length in lengths.split(',') {
                        match length.parse::<u32>() {
                            Ok(n @ 1..=15) => *slot |= 1 << n,
                            _ => return Err(at("bad length")),
                        }
                    }
                }
                [prefix, region] => {
                    let (first, count) = match prefix.split_once('+') {
                        Some((first, count)) => (first, count.parse().map_err(|_| at("count"))?),
                        None => (prefix, 1u16),
                    };
                    if first.is_empty()
                        || first.len() > MAX_PREFIX
                        || !first.bytes().all(|b| b.is_ascii_digit())
                        || count == 0
                    {
                        return Err(at("bad prefix"));
                    }
                    let run = Run {
                        first: first.parse().map_err(|_| at("bad prefix"))?,
                        count,
                        region: id(region, regions.len())?,
                    };
                    let same_length = &mut runs[first.len()];
                    if let Some(last) = same_length.last()
                        && u64::from(last.first) + u64::from(last.count) > u64::from(run.first)
                    {
                        return Err(at("prefix out of order"));
                    }
                    if u64::from(run.first) + u64::from(count) > 10u64.pow(first.len() as u32) {
                        return Err(at("run past the last prefix of its length"));
                    }
                    same_length.push(run);
                }
                _ => return Err(at("unknown line")),
            }
        }
        if cities
            .iter()
            .any(|c| c.covers.iter().any(|&i| usize::from(i) >= cities.len()))
        {
            return Err("a city covers a city that does not exist".to_owned());
        }
        Ok(Table {
            regions,
            subscriber_lengths,
            runs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(phone: &str) -> &'static Region {
        region_of(phone).unwrap_or_else(|| panic!("no region for {phone:?}"))
    }

    #[test]
    fn the_data_loads_whole() {
        use std::collections::HashSet;
        let table: &Table = &TABLE;
        let prefixes: usize = table
            .runs
            .iter()
            .flatten()
            .map(|r| usize::from(r.count))
            .sum();
        let regions = table.regions.len();
        let cities = table
            .regions
            .iter()
            .map(|r| r.city)
            .collect::<HashSet<_>>()
            .len();
        let provinces = table
            .regions
            .iter()
            .map(|r| r.province)
            .collect::<HashSet<_>>()
            .len();
        // phonenumbers 9.0.43: 130191 prefixes in 79572 lines, 419 regions, 362 cities,
        // 320 area codes, 31 provinces (the mainland's; Hong Kong, Macao and Taiwan have country codes of
        // their own).
        assert!(prefixes > 100_000, "{prefixes} prefixes");
        assert!(regions > 350, "{regions} regions");
        assert!(cities > 300, "{cities} cities");
        assert_eq!(provinces, 31);
        let header = DATA
            .lines()
            .find(|l| l.starts_with("# provinces="))
            .unwrap();
        let areas = table.subscriber_lengths.iter().filter(|&&l| l != 0).count();
        assert!(areas > 300, "{areas} area codes");
        let counted = format!(
            "# provinces={provinces} cities={cities} regions={regions} areas={areas} \
             prefixes={prefixes} "
        );
        assert!(header.starts_with(&counted), "{header}");
    }

    #[test]
    fn beijing_landline_with_and_without_separators() {
        for phone in [
            "010-59937429",
            "01059937429",
            "(010) 5993 7429",
            "010.5993.7429",
            "1059937429",
        ] {
            let r = region(phone);
            assert!(r.is_beijing(), "{phone}");
            assert_eq!(
                (r.province_zh(), r.city_zh(), r.area_zh()),
                ("北京市", "北京市", "北京")
            );
            assert_eq!(
                (r.province_en(), r.city_en(), r.area_en()),
                ("Beijing", "Beijing", "Beijing")
            );
            assert_eq!(
                (r.description_zh(), r.description_en()),
                ("北京市", "Beijing")
            );
        }
    }

    #[test]
    fn country_code_forms() {
        for phone in [
            "+86 10 5993 7429",
            "+861059937429",
            "+86 (0)10 5993 7429",
            "+86 010 5993 7429",
            "0086 10 5993 7429",
            "0086-010-59937429",
            "86 10 5993 7429",
        ] {
            assert!(region(phone).is_beijing(), "{phone}");
        }
        let shenzhen = region("0755 2345 6789");
        for phone in ["+86 755 2345 6789", "0086 755 23456789", "8675523456789"] {
            assert_eq!(region(phone), shenzhen, "{phone}");
        }
    }

    #[test]
    fn mobile() {
        let r = region("13812345678");
        assert_eq!((r.province_zh(), r.city_zh()), ("江苏省", "连云港市"));
        assert_eq!((r.province_en(), r.city_en()), ("Jiangsu", "Lianyungang"));
        assert_eq!(r.description_zh(), "江苏省连云港市");
        for phone in [
            "138 1234 5678",
            "138-1234-5678",
            "+8613812345678",
            "008613812345678",
        ] {
            assert_eq!(region(phone), r, "{phone}");
        }
        assert_eq!(region("13510000000").city_en(), "Shenzhen");
    }

    #[test]
    fn province_and_city() {
        let shenzhen = region("0755-2345 6789");
        assert_eq!(
            (
                shenzhen.province_zh(),
                shenzhen.city_zh(),
                shenzhen.area_zh()
            ),
            ("广东省", "深圳市", "深圳")
        );
        assert_eq!(
            (
                shenzhen.province_en(),
                shenzhen.city_en(),
                shenzhen.area_en()
            ),
            ("Guangdong", "Shenzhen", "Shenzhen")
        );
        assert_eq!(shenzhen.description_en(), "Shenzhen, Guangdong");
        assert!(!shenzhen.is_beijing());

        let shenzhen_mobile = region("13510000000");
        let guangzhou = region("020-8888 8888");
        assert_eq!(guangzhou.area_zh(), "广州");
        assert!(shenzhen.same_city(shenzhen_mobile) && shenzhen.same_province(shenzhen_mobile));
        assert!(!shenzhen.same_city(guangzhou) && shenzhen.same_province(guangzhou));
        let beijing = region("010-59937429");
        assert!(!shenzhen.same_city(beijing) && !shenzhen.same_province(beijing));
        assert!(beijing.same_city(beijing) && beijing.same_province(beijing));
    }

    #[test]
    fn autonomous_regions_and_prefectures() {
        let baise = region("0776-1234567");
        assert_eq!(baise.description_zh(), "广西百色市");
        assert_eq!(
            (baise.province_zh(), baise.city_zh(), baise.area_zh()),
            ("广西壮族自治区", "百色市", "百色")
        );
        let aba = region("0837-1234567");
        assert_eq!(aba.description_zh(), "四川阿坝");
        assert_eq!(
            (
                aba.province_zh(),
                aba.city_zh(),
                aba.area_zh(),
                aba.city_en()
            ),
            ("四川省", "阿坝藏族羌族自治州", "阿坝", "Aba")
        );
    }

    #[test]
    fn shared_area_codes_are_the_same_city_as_each_of_theirs() {
        let area_028 = region("028-8888 8888");
        assert_eq!(area_028.city_zh(), "成都市、资阳市、眉山市");
        assert_eq!(area_028.area_zh(), "成都、资阳、眉山");
        assert_eq!(area_028.city_en(), "Chengdu/Ziyang/Meishan");
        let chengdu_mobile = region("13540000000");
        assert_eq!(chengdu_mobile.city_zh(), "成都市");
        assert!(area_028.same_city(chengdu_mobile) && chengdu_mobile.same_city(area_028));
        assert!(!area_028.same_city(region("0755-2345 6789")));
    }

    #[test]
    fn chinese_falls_back_to_a_shorter_prefix_like_libphonenumber() {
        // +86 879 100 has only an English description ("Simao", Pu'er's former name);
        // libphonenumber answers the Chinese one of +86 879.
        let r = region("0879 1001234");
        assert_eq!(
            (r.description_zh(), r.description_en()),
            ("云南省普洱市", "Simao, Yunnan")
        );
        assert!(r.same_city(region("0879 2001234")));
    }

    #[test]
    fn not_chinese_or_not_a_number() {
        for phone in [
            "+1 650 253 0000",
            "001 650 253 0000",
            "+852 2345 6789",
            "abc",
            "",
            " ",
            "+",
            "+86",
            "86",
            "0",
            "010-5993742a",
            "13812345678 ext 12",
            "010-5993 7429 12345678901234567890",
            "++8613812345678",
            "1381234+5678",
            "０１０-59937429",
        ] {
            assert_eq!(region_of(phone), None, "{phone:?}");
        }
    }

    #[test]
    fn wrong_lengths() {
        for phone in [
            "010-5993742",
            "010-599374",
            "010-599374291",
            "0755-234567",
            "0755-234567890",
            "1381234567",
            "138123456789",
            "+86 138 1234 567",
            "0551-95512",
            // Shenzhen's numbers have eight digits, Taiyuan's seven.
            "0755-2345678",
            "0351-12345678",
            // Geocoded by a shorter prefix (+86 33), but no valid number has this area code.
            "0331-1234567",
            "0331-12345678",
        ] {
            assert_eq!(region_of(phone), None, "{phone:?}");
        }
        assert!(region_of("0351-1234567").is_some());
        assert!(region_of("0755-23456789").is_some());
        assert!(region_of("0433-1234567").is_some());
        assert!(region_of("0433-12345678").is_some());
    }

    #[test]
    fn no_region_in_the_data() {
        for phone in ["400-810-8888", "800-810-8888", "12345678901"] {
            assert_eq!(region_of(phone), None, "{phone:?}");
        }
    }
}
