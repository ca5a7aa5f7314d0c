//! Certificate service: the kinds the hall offers (catalog), the records of the sample
//! citizens that the certificates are made from, the issue of a certificate (case number,
//! signed verification URL, kept so the verification page can vouch for it) and the
//! verification itself.
//!
//! The records are those of the card-reader simulator's sample citizens
//! ([`SAMPLE_HOLDER_ID_NUMBERS`]): contributions that span years, a property search, the
//! household's members; 刘洋 is registered in another city (no household-register record
//! here) and 欧阳䶮然 has no record at all.

use chrono::{Datelike, NaiveDate};
use rusqlite::{params, Connection, OptionalExtension};

use super::ApiError;
use crate::api::certificate::{
    CertificateOffer, CertificateRequest, IssuedCertificate, ERROR_NO_RECORD, ERROR_UNKNOWN_KIND,
    KIND_HOUSEHOLD_REGISTER, KIND_NO_HOUSING, KIND_SOCIAL_INSURANCE,
};
use crate::api::holder_hash;
use crate::sim::cases::SAMPLE_HOLDER_ID_NUMBERS;

/// The key the simulated platform signs verification URLs with: the demo hall's key, the
/// same as the demo kiosk's `[codes] verify_key` (`documents::samples::SAMPLE_SIGNING_KEY`
/// in the app; a test there keeps the two equal).
pub const VERIFY_KEY: &[u8] = b"citizen-window-sample-key";

/// Migration 9: the kinds of certificate the hall offers and the certificates issued.
/// `marriage_record` is offered by the hall but has no layout on the kiosk (the kiosk must
/// not show it). Released: never edit it; a change is a new migration.
pub(crate) const MIGRATION_9: &str = r#"
    CREATE TABLE certificate_kinds (
        code     TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        name_zh  TEXT NOT NULL,
        name_en  TEXT NOT NULL,
        use_zh   TEXT NOT NULL,
        use_en   TEXT NOT NULL
    );
    CREATE TABLE certificates (
        case_number TEXT PRIMARY KEY,
        kiosk_id    TEXT NOT NULL,
        request_id  TEXT NOT NULL,
        kind        TEXT NOT NULL,
        holder      TEXT NOT NULL,
        -- Masked name and ID number, as the verification page shows them.
        masked      TEXT NOT NULL,
        issued_on   TEXT NOT NULL,
        -- The whole answer, so a repeated request gets the same certificate.
        answer      TEXT NOT NULL,
        UNIQUE (kiosk_id, request_id)
    );
    INSERT INTO certificate_kinds (code, position, name_zh, name_en, use_zh, use_en) VALUES
        ('social_insurance', 1, '个人参保证明', 'Social insurance contribution proof',
         '落户、购房、子女入学等', 'For residence, home purchase, school enrolment'),
        ('no_housing', 2, '无住房证明', 'No-housing-property proof',
         '申请公租房、住房补贴、公积金提取', 'For public housing, housing allowance, fund withdrawal'),
        ('household_register', 3, '户籍证明', 'Household register proof',
         '证明户籍登记信息与户内成员', 'Shows your registered address and household members'),
        ('marriage_record', 4, '婚姻登记记录证明', 'Marriage registration record',
         '请到 C 区窗口办理', 'Ask at area C');
"#;

/// The kinds the hall offers, in catalog order.
pub(crate) fn offers(conn: &Connection) -> rusqlite::Result<Vec<CertificateOffer>> {
    let mut stmt = conn.prepare_cached(
        "SELECT code, name_zh, name_en, use_zh, use_en FROM certificate_kinds
         ORDER BY position, code",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(CertificateOffer {
            code: r.get(0)?,
            name_zh: r.get(1)?,
            name_en: r.get(2)?,
            use_zh: r.get(3)?,
            use_en: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// A household member: name, relation to the head, sex, birth date.
type Member = (&'static str, &'static str, &'static str, &'static str);

/// What the platform knows of a sample citizen.
struct Person {
    name: &'static str,
    sex: &'static str,
    birth: (i32, u32, u32),
    /// Start (year, month) of contributions, employer, the first year's monthly base
    /// (yuan) and the month of retirement, if retired.
    insurance: Option<Insurance>,
    /// Registered household address and the other members (name, relation, sex, birth).
    household: Option<(&'static str, &'static [Member])>,
    /// Spouse searched together with the citizen for the no-housing proof.
    spouse: Option<&'static str>,
}

struct Insurance {
    from: (i32, u32),
    employer: &'static str,
    base: u32,
    retired: Option<(i32, u32)>,
}

fn person(index: usize) -> Option<Person> {
    Some(match index {
        0 => Person {
            name: "张伟",
            sex: "男",
            birth: (1985, 3, 12),
            insurance: Some(Insurance {
                from: (2008, 7),
                employer: "示范市云帆信息技术有限公司",
                base: 6_200,
                retired: None,
            }),
            household: Some((
                "北京市东城区景山前街4号",
                &[
                    ("李娜", "妻", "女", "1987年06月21日"),
                    ("张子涵", "子", "男", "2014年09月03日"),
                ],
            )),
            spouse: Some("李娜"),
        },
        1 => Person {
            name: "刘洋",
            sex: "男",
            birth: (1990, 7, 7),
            insurance: Some(Insurance {
                from: (2013, 9),
                employer: "示范市申城物流有限公司",
                base: 5_400,
                retired: None,
            }),
            // Registered in Shanghai: this city's register has no record of him.
            household: None,
            spouse: None,
        },
        2 => Person {
            name: "陈静",
            sex: "女",
            birth: (1972, 2, 15),
            insurance: Some(Insurance {
                from: (1996, 3),
                employer: "示范市南山科技园管理服务中心",
                base: 8_100,
                retired: None,
            }),
            household: Some((
                "广东省深圳市南山区科技园南路18号",
                &[("周明", "夫", "男", "1970年11月02日")],
            )),
            spouse: Some("周明"),
        },
        3 => Person {
            name: "赵秀英",
            sex: "女",
            birth: (1955, 10, 8),
            insurance: Some(Insurance {
                from: (1992, 1),
                employer: "示范市第二纺织厂",
                base: 2_300,
                retired: Some((2010, 10)),
            }),
            household: Some(("四川省成都市武侯区人民南路四段12号", &[])),
            spouse: None,
        },
        4 => Person {
            name: "阿依古丽·买买提",
            sex: "女",
            birth: (1993, 11, 8),
            insurance: Some(Insurance {
                from: (2017, 3),
                employer: "示范市天山文化传媒有限公司",
                base: 4_800,
                retired: None,
            }),
            household: Some((
                "新疆乌鲁木齐市天山区解放南路88号",
                &[("买买提·吐尔逊", "父", "男", "1965年04月17日")],
            )),
            spouse: None,
        },
        // 欧阳䶮然 (5) and anyone else: no record at all.
        _ => return None,
    })
}

fn ym(y: i32, m: u32) -> i32 {
    y * 12 + m as i32 - 1
}

/// The body and table of a certificate of `kind` for `p` on `today`; `None` when there is
/// no record of that kind.
fn content(
    kind: &str,
    p: &Person,
    masked_id: &str,
    today: NaiveDate,
) -> Option<(String, Vec<String>, Vec<Vec<String>>)> {
    let date = today.format("%Y年%m月%d日").to_string();
    match kind {
        KIND_SOCIAL_INSURANCE => {
            let ins = p.insurance.as_ref()?;
            // Contributions up to last month, or up to retirement.
            let last_month = ym(today.year(), today.month()) - 1;
            let end = ins.retired.map(|(y, m)| ym(y, m) - 1).unwrap_or(last_month);
            let start = ym(ins.from.0, ins.from.1);
            let months = (end - start + 1).max(0);
            let (end_y, end_m) = (end.div_euclid(12), end.rem_euclid(12) + 1);
            let status = match ins.retired {
                Some((y, m)) => format!("已于{y}年{m:02}月退休，按月领取基本养老金"),
                None => "正常参保缴费".to_owned(),
            };
            let body = vec![
                format!(
                    "兹证明{}（公民身份号码{}）自{}年{:02}月起在本市参加社会保险，截至{}年{:02}月累计缴费{}个月，\
                     目前参保状态：{}。参保单位：{}。",
                    p.name, masked_id, ins.from.0, ins.from.1, end_y, end_m, months, status, ins.employer
                ),
                "近年缴费情况如下（单位：元）：".to_owned(),
            ];
            let mut table = vec![vec![
                "年度".to_owned(),
                "缴费月数".to_owned(),
                "月缴费基数".to_owned(),
                "个人缴纳".to_owned(),
                "单位缴纳".to_owned(),
            ]];
            // The last ten years of the contribution period: enough to cover what a
            // residence or school application asks for, and it fits the page.
            let first_year = ins.from.0.max(end_y - 9);
            for year in first_year..=end_y {
                let from = start.max(ym(year, 1));
                let to = end.min(ym(year, 12));
                let n = (to - from + 1).max(0) as u32;
                // The base rises about 6 % a year, rounded to ten yuan; the citizen pays
                // 8 % of it for the pension, the employer 16 %.
                let base = (f64::from(ins.base) * 1.06f64.powi(year - ins.from.0) / 10.0).round()
                    as u32
                    * 10;
                table.push(vec![
                    year.to_string(),
                    n.to_string(),
                    base.to_string(),
                    (base * 8 / 100 * n).to_string(),
                    (base * 16 / 100 * n).to_string(),
                ]);
            }
            Some(("示范市社会保险事业管理中心".to_owned(), body, table))
        }
        KIND_NO_HOUSING => {
            // Everyone on record here was searched; none owns a home in the city.
            p.insurance.as_ref()?;
            let mut body = vec![format!(
                "经查询示范市不动产登记信息系统，截至{date}，{}（公民身份号码{}）{}在本市行政区域内\
                 无登记在册的住房。",
                p.name,
                masked_id,
                if p.spouse.is_some() {
                    "及其配偶"
                } else {
                    ""
                }
            )];
            body.push("本证明仅反映查询时点的登记信息，自开具之日起30日内有效。".to_owned());
            let mut table = vec![vec![
                "查询对象".to_owned(),
                "关系".to_owned(),
                "查询范围".to_owned(),
                "查询结果".to_owned(),
            ]];
            table.push(vec![
                p.name.to_owned(),
                "本人".to_owned(),
                "示范市全市".to_owned(),
                "无登记住房".to_owned(),
            ]);
            if let Some(s) = p.spouse {
                table.push(vec![
                    s.to_owned(),
                    "配偶".to_owned(),
                    "示范市全市".to_owned(),
                    "无登记住房".to_owned(),
                ]);
            }
            Some(("示范市不动产登记中心".to_owned(), body, table))
        }
        KIND_HOUSEHOLD_REGISTER => {
            let (address, members) = p.household?;
            let (y, m, d) = p.birth;
            let body = vec![format!(
                "经查询户籍登记信息，{}，{}，{y}年{m:02}月{d:02}日出生，公民身份号码{}，户籍登记地址：{}，\
                 户别：家庭户。户内成员如下：",
                p.name, p.sex, masked_id, address
            )];
            let mut table = vec![vec![
                "姓名".to_owned(),
                "与户主关系".to_owned(),
                "性别".to_owned(),
                "出生日期".to_owned(),
            ]];
            table.push(vec![
                p.name.to_owned(),
                "户主".to_owned(),
                p.sex.to_owned(),
                format!("{y}年{m:02}月{d:02}日"),
            ]);
            for (n, r, s, b) in members {
                table.push(vec![
                    (*n).to_owned(),
                    (*r).to_owned(),
                    (*s).to_owned(),
                    (*b).to_owned(),
                ]);
            }
            Some(("示范市公安局户政管理处".to_owned(), body, table))
        }
        _ => None,
    }
}

/// First 6 and last 4 characters of an ID number, the rest starred.
fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

/// The first character and a star for each other one (`张*`, `阿*******`).
fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    let first = chars.next().map(String::from).unwrap_or_default();
    format!("{first}{}", "*".repeat(chars.count()))
}

fn case_prefix(kind: &str) -> &'static str {
    match kind {
        KIND_SOCIAL_INSURANCE => "SB",
        KIND_NO_HOUSING => "BDC",
        _ => "HJ",
    }
}

/// Issues a certificate: the same request again gets the same answer; an unknown kind or
/// a holder without a record of that kind is refused (`404`), nothing stored.
pub(crate) fn issue(
    conn: &mut Connection,
    kiosk_id: &str,
    request: &CertificateRequest,
    today: NaiveDate,
    verify_base: &str,
) -> Result<IssuedCertificate, ApiError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let earlier: Option<String> = tx
        .query_row(
            "SELECT answer FROM certificates WHERE kiosk_id = ?1 AND request_id = ?2",
            params![kiosk_id, request.request_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(answer) = earlier {
        return serde_json::from_str(&answer)
            .map_err(|_| ApiError::new(500, "internal", "stored certificate unreadable"));
    }
    let offered = tx
        .prepare_cached("SELECT 1 FROM certificate_kinds WHERE code = ?1")?
        .exists([&request.kind])?;
    if !offered {
        return Err(ApiError::new(
            404,
            ERROR_UNKNOWN_KIND,
            "the hall does not issue this kind",
        ));
    }
    let holder = request.holder.to_ascii_lowercase();
    let found = SAMPLE_HOLDER_ID_NUMBERS
        .iter()
        .enumerate()
        .find(|(_, id)| holder_hash(id) == holder)
        .and_then(|(i, id)| person(i).map(|p| (p, mask_id(id))));
    let no_record = || {
        ApiError::new(
            404,
            ERROR_NO_RECORD,
            "no record of this kind for the holder",
        )
    };
    let (p, masked_id) = found.ok_or_else(no_record)?;
    let (issuer, body, table) =
        content(&request.kind, &p, &masked_id, today).ok_or_else(no_record)?;

    let day = today.format("%Y%m%d").to_string();
    let counter = format!("certificate:{day}");
    tx.execute(
        "INSERT INTO counters (name, value) VALUES (?1, 1)
         ON CONFLICT (name) DO UPDATE SET value = value + 1",
        [&counter],
    )?;
    let serial: i64 = tx.query_row(
        "SELECT value FROM counters WHERE name = ?1",
        [&counter],
        |r| r.get(0),
    )?;
    let case_number = format!("{}-{day}-{:06}", case_prefix(&request.kind), 500 + serial);
    let issued = IssuedCertificate {
        verify_url: crate::codes::verification_url(verify_base, &case_number, today, VERIFY_KEY),
        case_number,
        kind: request.kind.clone(),
        issued_on: today,
        issuer,
        holder_name: p.name.to_owned(),
        body,
        table,
    };
    let answer = serde_json::to_string(&issued)
        .map_err(|_| ApiError::new(500, "internal", "serialisation failed"))?;
    tx.execute(
        "INSERT INTO certificates (case_number, kiosk_id, request_id, kind, holder, masked,
                                   issued_on, answer)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            issued.case_number,
            kiosk_id,
            request.request_id,
            request.kind,
            holder,
            format!("{} {}", mask_name(p.name), masked_id),
            today.to_string(),
            answer
        ],
    )?;
    tx.commit()?;
    Ok(issued)
}

/// What the verification page shows of a genuine certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verified {
    pub case_number: String,
    pub kind_zh: String,
    pub kind_en: String,
    pub issued_on: NaiveDate,
    /// `张* 110101********0017`.
    pub masked_holder: String,
}

/// Checks a verification URL: its signature, then that the platform issued that case on
/// that date. `None` for anything forged, altered or unknown.
pub(crate) fn verify(conn: &Connection, url: &str) -> Result<Option<Verified>, ApiError> {
    let Some(case) = crate::codes::verify_url(url, VERIFY_KEY) else {
        return Ok(None);
    };
    let row = conn
        .query_row(
            "SELECT c.kind, c.issued_on, c.masked, k.name_zh, k.name_en
             FROM certificates c LEFT JOIN certificate_kinds k ON k.code = c.kind
             WHERE c.case_number = ?1",
            [&case],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            },
        )
        .optional()?;
    let Some((kind, issued_on, masked, zh, en)) = row else {
        return Ok(None);
    };
    let Ok(issued_on) = issued_on.parse::<NaiveDate>() else {
        return Ok(None);
    };
    // The signature covers the date: a URL whose date is not the issue's is not this one.
    if !url.contains(&format!("d={}", issued_on.format("%Y%m%d"))) {
        return Ok(None);
    }
    Ok(Some(Verified {
        case_number: case,
        kind_zh: zh.unwrap_or_else(|| kind.clone()),
        kind_en: en.unwrap_or(kind),
        issued_on,
        masked_holder: masked,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::store::{migrate, open};

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("platform.sqlite")).unwrap();
        migrate(&mut conn).unwrap();
        (dir, conn)
    }

    fn ask(kind: &str, who: usize) -> CertificateRequest {
        CertificateRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            kind: kind.into(),
            holder: holder_hash(SAMPLE_HOLDER_ID_NUMBERS[who]),
        }
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    const BASE: &str = "http://127.0.0.1:1/verify";

    #[test]
    fn the_catalog_lists_four_kinds_one_without_a_kiosk_layout() {
        let (_d, conn) = db();
        let codes: Vec<String> = offers(&conn).unwrap().into_iter().map(|o| o.code).collect();
        assert_eq!(
            codes,
            [
                KIND_SOCIAL_INSURANCE,
                KIND_NO_HOUSING,
                KIND_HOUSEHOLD_REGISTER,
                "marriage_record"
            ]
        );
    }

    #[test]
    fn contributions_span_years_and_count_the_months() {
        let (_d, mut conn) = db();
        let c = issue(&mut conn, "k", &ask(KIND_SOCIAL_INSURANCE, 0), day(), BASE).unwrap();
        assert!(
            c.case_number.starts_with("SB-20261124-"),
            "{}",
            c.case_number
        );
        assert_eq!(c.holder_name, "张伟");
        // 2008-07 .. 2026-10: 6 + 17 * 12 + 10 months.
        assert!(c.body[0].contains("累计缴费220个月"), "{}", c.body[0]);
        assert!(c.body[0].contains("110101********0017"));
        assert_eq!(c.table.len(), 1 + 10, "header and ten years");
        assert_eq!(c.table[1][0], "2017");
        assert_eq!(
            c.table.last().unwrap()[..2],
            ["2026".to_owned(), "10".to_owned()]
        );
        // The retired citizen's record ends at retirement.
        let r = issue(&mut conn, "k", &ask(KIND_SOCIAL_INSURANCE, 3), day(), BASE).unwrap();
        assert!(r.body[0].contains("已于2010年10月退休"), "{}", r.body[0]);
        assert_eq!(
            r.table.last().unwrap()[..2],
            ["2010".to_owned(), "9".to_owned()]
        );
    }

    #[test]
    fn the_same_request_gets_the_same_certificate_and_a_new_one_a_new_case() {
        let (_d, mut conn) = db();
        let q = ask(KIND_NO_HOUSING, 0);
        let a = issue(&mut conn, "k", &q, day(), BASE).unwrap();
        let b = issue(&mut conn, "k", &q, day(), BASE).unwrap();
        assert_eq!(a, b);
        let c = issue(&mut conn, "k", &ask(KIND_NO_HOUSING, 0), day(), BASE).unwrap();
        assert_ne!(a.case_number, c.case_number);
        assert_eq!(a.table.len(), 3, "the citizen and the spouse");
    }

    #[test]
    fn no_record_and_unknown_kinds_are_refused() {
        let (_d, mut conn) = db();
        for (kind, who, code) in [
            (KIND_SOCIAL_INSURANCE, 5, ERROR_NO_RECORD),
            (KIND_NO_HOUSING, 5, ERROR_NO_RECORD),
            (KIND_HOUSEHOLD_REGISTER, 5, ERROR_NO_RECORD),
            (KIND_HOUSEHOLD_REGISTER, 1, ERROR_NO_RECORD),
            ("birth", 0, ERROR_UNKNOWN_KIND),
        ] {
            let e = issue(&mut conn, "k", &ask(kind, who), day(), BASE).unwrap_err();
            assert_eq!((e.status, e.code), (404, code), "{kind} {who}");
        }
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM certificates", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn a_genuine_url_verifies_and_an_altered_or_unissued_one_does_not() {
        let (_d, mut conn) = db();
        let c = issue(
            &mut conn,
            "k",
            &ask(KIND_HOUSEHOLD_REGISTER, 4),
            day(),
            BASE,
        )
        .unwrap();
        let v = verify(&conn, &c.verify_url).unwrap().unwrap();
        assert_eq!(v.kind_zh, "户籍证明");
        assert_eq!(v.masked_holder, "阿******* 650102********2366");
        assert_eq!(v.issued_on, day());
        let altered = c.verify_url.replace(&c.case_number, "HJ-20261124-000999");
        assert_eq!(verify(&conn, &altered).unwrap(), None);
        // Signed with the right key but never issued.
        let unissued =
            crate::codes::verification_url(BASE, "HJ-20261124-000777", day(), VERIFY_KEY);
        assert_eq!(verify(&conn, &unissued).unwrap(), None);
        let other_key = crate::codes::verification_url(BASE, &c.case_number, day(), b"forger");
        assert_eq!(verify(&conn, &other_key).unwrap(), None);
    }
}
