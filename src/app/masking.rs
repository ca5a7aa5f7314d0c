//! How personal data is masked where the full value is not needed: the one set of rules
//! that every adapter (screens) and every slip (`crate::documents`) uses, so a lobby screen
//! and a slip left behind show the same little.
//!
//! - ID numbers: the first 6 (the region) and last 4 characters, `440106********1234`.
//! - Names: the family name, then one `*` per further character: `张*`, `欧阳**` (the common
//!   two-character family names are kept whole, see [`COMPOUND_SURNAMES`]).
//! - Mobile numbers: the first 3 and last 4 digits, `138****8000`.
//! - Postal addresses: up to the district (区, 县 or 旗), then `****`:
//!   `北京市东城区****`.
//!
//! Which page or paper masks what is docs/security.md's "At the screen" table; the test
//! over every page and slip of the sample citizens is tests/e2e/screen_pii.rs.

/// The two-character family names a name keeps whole when masked (复姓): the ones in use
/// today, so `欧阳娜娜` shows as `欧阳**` and not `欧***`.
pub const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "钟离", "闻人", "澹台", "端木", "独孤", "南宫", "西门", "万俟", "呼延",
    "申屠", "太史", "司空", "淳于", "单于", "濮阳", "赫连", "拓跋", "百里", "东郭", "公羊", "左丘",
    "第五", "谷梁",
];

/// A name as a screen shows it: the family name and one `*` for each other character
/// (`张伟` → `张*`, `欧阳娜娜` → `欧阳**`, `阿卜杜拉·买买提` → `阿******`). A name of one
/// character is starred whole, and a two-character name never keeps both (`欧阳` alone is
/// family name 欧 and given name 阳).
pub fn name(full: &str) -> String {
    let chars: Vec<char> = full.trim().chars().collect();
    let kept = match chars.len() {
        0 => return String::new(),
        1 => 0,
        2 => 1,
        _ => {
            let head: String = chars[..2].iter().collect();
            if COMPOUND_SURNAMES.contains(&head.as_str()) {
                2
            } else {
                1
            }
        }
    };
    chars[..kept]
        .iter()
        .copied()
        .chain(std::iter::repeat_n('*', chars.len() - kept))
        .collect()
}

/// An ID number with its first 6 and last 4 characters kept (`110101********0017`); one
/// too short to keep both is starred whole (the card driver's rule).
pub fn id_number(full: &str) -> String {
    idcard::id_number::mask(full.trim())
}

/// A mobile number with its first 3 and last 4 digits kept (`138****8000`).
pub fn phone(full: &str) -> String {
    kiosk_platform::api::mask_phone(full)
}

/// A postal address as a screen or slip shows it: up to and including its district (the
/// first 区, 县 or 旗 after the city; failing one, up to the city's 市), then `****`
/// (`北京市东城区景山前街4号` → `北京市东城区****`). The street and the number never show.
pub fn address(full: &str) -> String {
    let chars: Vec<char> = full.trim().chars().collect();
    let at = |set: &[char]| {
        chars
            .iter()
            .skip(2)
            .position(|c| set.contains(c))
            .map(|i| i + 3)
    };
    let kept = at(&['区', '县', '旗']).or_else(|| at(&['市'])).unwrap_or(0);
    // Never the whole of it: something is always starred.
    let kept = kept.min(chars.len().saturating_sub(1));
    chars[..kept].iter().chain(['*'; 4].iter()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_the_family_name_only() {
        assert_eq!(name("张伟"), "张*");
        assert_eq!(name("王秀英"), "王**");
        assert_eq!(name(" 李娜 "), "李*");
        assert_eq!(name("欧阳娜娜"), "欧阳**");
        assert_eq!(name("司马相如"), "司马**");
        assert_eq!(name("诸葛亮"), "诸葛*");
        assert_eq!(name("欧阳"), "欧*");
        assert_eq!(name("张"), "*");
        assert_eq!(name(""), "");
        assert_eq!(name("阿卜杜拉·买买提"), "阿*******");
    }

    #[test]
    fn a_masked_name_never_holds_the_given_name() {
        for full in ["张伟", "欧阳娜娜", "陈静", "赵秀英", "刘洋"] {
            let m = name(full);
            assert_ne!(m, full);
            assert_eq!(m.chars().count(), full.chars().count());
            assert!(m.ends_with('*'), "{m}");
        }
    }

    #[test]
    fn numbers_keep_six_and_four_and_phones_three_and_four() {
        assert_eq!(id_number("440106199003071234"), "440106********1234");
        assert_eq!(id_number("11010119850312001X"), "110101********001X");
        assert_eq!(id_number("1234567890"), "**********");
        assert_eq!(phone("13912345678"), "139****5678");
    }

    #[test]
    fn addresses_keep_the_district_only() {
        assert_eq!(address("北京市东城区景山前街4号"), "北京市东城区****");
        assert_eq!(
            address("北京市朝阳区建国路88号2号楼301室"),
            "北京市朝阳区****"
        );
        assert_eq!(
            address("四川省成都市锦江区红星路"),
            "四川省成都市锦江区****"
        );
        assert_eq!(address("河北省张家口市某路1号"), "河北省张家口市****");
        assert_eq!(address("景山前街4号"), "****");
        assert_eq!(address("北京市东城区"), "北京市东城****");
        assert_eq!(address(""), "****");
    }
}
