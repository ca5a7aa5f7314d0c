//! Applications (自助申报): the matters offered for application (constant data served in the
//! catalog), the parts each application's scans arrive in, and the application itself, which
//! opens one case per key in the cases the progress query reads.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::ApiError;
use crate::api::apply::{
    age_on, is_post_address, sms_text, Application, ApplyField, ApplyMaterial, ApplyMatter,
    Delivery, FieldKind, Gazetteer, GazetteerDistrict, GazetteerPlace, PartReceipt, Submitted,
    ERROR_BAD_ADDRESS, ERROR_NOT_ELIGIBLE, ERROR_PART_MISSING, ERROR_UNKNOWN_MATTER,
};
use crate::api::{CaseStatus, CaseStep, NewCase};

/// Migration 18 (after the sample forms' 17): parts and applications, per kiosk and key.
/// Released: never edit it; a change is a new migration in `super::MIGRATIONS`.
pub(crate) const MIGRATION_18: &str = r#"
    CREATE TABLE application_parts (
        kiosk_id    TEXT NOT NULL,
        app_key     TEXT NOT NULL,
        n           INTEGER NOT NULL,
        sha256      TEXT NOT NULL,
        size        INTEGER NOT NULL,
        body        BLOB NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (kiosk_id, app_key, n)
    );
    CREATE TABLE applications (
        kiosk_id    TEXT NOT NULL,
        app_key     TEXT NOT NULL,
        case_number TEXT NOT NULL UNIQUE,
        matter      TEXT NOT NULL,
        received_at TEXT NOT NULL,
        sms_sent    INTEGER NOT NULL DEFAULT 0,
        body        TEXT NOT NULL,
        PRIMARY KEY (kiosk_id, app_key)
    );
    "#;

/// Migration 19: the postal address a case goes to, kept beside the application (the
/// operator's view reads it; the whole application is still in `body`).
pub(crate) const MIGRATION_19: &str = r#"
    ALTER TABLE applications ADD COLUMN post_address TEXT;
    "#;

/// The gazetteer's text: districts and their places (see the file's head).
const GAZETTEER: &str = include_str!("apply_gazetteer.txt");

/// The city's postal gazetteer (`GET /v1/gazetteer`): constant data, like the matters.
pub(crate) fn gazetteer() -> Gazetteer {
    let mut districts: Vec<GazetteerDistrict> = Vec::new();
    for line in GAZETTEER.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(head) = line.strip_prefix("= ") {
            let f: Vec<&str> = head.split('|').collect();
            districts.push(GazetteerDistrict {
                code: f[0].to_owned(),
                name_zh: f[1].to_owned(),
                name_en: f[2].to_owned(),
                postcode: f[3].to_owned(),
                places: Vec::new(),
            });
        } else if let (Some((name, pinyin)), Some(d)) = (line.split_once('|'), districts.last_mut())
        {
            d.places.push(GazetteerPlace {
                name_zh: name.to_owned(),
                pinyin: pinyin.split(' ').map(str::to_owned).collect(),
            });
        }
    }
    Gazetteer {
        city_zh: "北京市".to_owned(),
        city_en: "Beijing".to_owned(),
        districts,
    }
}

fn texts(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn material(code: &str, zh: &str, en: &str, required: bool, may_bring: bool) -> ApplyMaterial {
    ApplyMaterial {
        code: code.to_owned(),
        name_zh: zh.to_owned(),
        name_en: en.to_owned(),
        required,
        may_bring,
    }
}

fn mobile() -> ApplyField {
    ApplyField {
        code: "mobile".to_owned(),
        label_zh: "手机号码".to_owned(),
        label_en: "Mobile number".to_owned(),
        kind: FieldKind::Mobile,
    }
}

/// The matters the hall takes applications for at the kiosk, in display order.
pub(crate) fn matters(_conn: &Connection) -> rusqlite::Result<Vec<ApplyMatter>> {
    Ok(vec![
        ApplyMatter {
            code: "LR01".to_owned(),
            name_zh: "老人卡申办".to_owned(),
            name_en: "Senior citizen's card".to_owned(),
            instructions_zh: texts(&[
                "年满 60 周岁的本市户籍或持居住证的老年人可申办，凭卡享受公交免费、景区优惠等待遇。",
                "本机读取身份证信息并扫描身份证正反面，请准备好近期一寸免冠照片。",
                "承诺办结时限：10 个工作日。",
            ]),
            instructions_en: texts(&[
                "Residents aged 60 or over may apply; the card gives free buses and reduced fees at sights.",
                "The kiosk reads your ID card and scans both sides; have a recent passport photo ready.",
                "Done within 10 working days.",
            ]),
            min_age: Some(60),
            materials: vec![
                material("photo", "一寸免冠照片", "Passport-size photo", true, true),
                material(
                    "hukou",
                    "户口簿本人页或居住证",
                    "Household register page or residence permit",
                    true,
                    false,
                ),
            ],
            fields: vec![
                mobile(),
                ApplyField {
                    code: "pickup_district".to_owned(),
                    label_zh: "领卡区域".to_owned(),
                    label_en: "District to collect the card".to_owned(),
                    kind: FieldKind::Choice {
                        options_zh: texts(&["东城区", "西城区", "朝阳区", "海淀区"]),
                        options_en: texts(&["Dongcheng", "Xicheng", "Chaoyang", "Haidian"]),
                    },
                },
                ApplyField {
                    code: "emergency_room".to_owned(),
                    label_zh: "紧急联系人电话（可留空）".to_owned(),
                    label_en: "Emergency contact's phone (may be empty)".to_owned(),
                    kind: FieldKind::Text { max_len: 12 },
                },
            ],
            delivery: vec![Delivery::Window, Delivery::Post],
        },
        ApplyMatter {
            code: "JZ01".to_owned(),
            name_zh: "居住证签注".to_owned(),
            name_en: "Residence permit endorsement".to_owned(),
            instructions_zh: texts(&[
                "居住证每满一年须签注一次，签注后继续有效。",
                "请准备居住证原件、租房合同或房产证明。",
                "承诺办结时限：5 个工作日。",
            ]),
            instructions_en: texts(&[
                "A residence permit is endorsed once a year to stay valid.",
                "Have the permit and your tenancy agreement or title deed ready.",
                "Done within 5 working days.",
            ]),
            min_age: None,
            materials: vec![
                material("permit", "居住证原件", "Residence permit", true, false),
                material(
                    "tenancy",
                    "租房合同或房产证明",
                    "Tenancy agreement or title deed",
                    true,
                    true,
                ),
            ],
            fields: vec![
                mobile(),
                ApplyField {
                    code: "housing".to_owned(),
                    label_zh: "居住类型".to_owned(),
                    label_en: "Housing".to_owned(),
                    kind: FieldKind::Choice {
                        options_zh: texts(&["租赁", "自有住房", "单位宿舍", "亲友住房"]),
                        options_en: texts(&["Rented", "Own home", "Employer's dormitory", "With relatives"]),
                    },
                },
                ApplyField {
                    code: "room".to_owned(),
                    label_zh: "门牌号".to_owned(),
                    label_en: "House and room number".to_owned(),
                    kind: FieldKind::Text { max_len: 12 },
                },
            ],
            delivery: vec![Delivery::Window, Delivery::Post],
        },
    ])
}

/// Stores part `n` of application `key` (a part sent again with the same bytes is answered
/// the same; with other bytes it replaces the first: the kiosk scanned again).
pub(crate) fn put_part(
    conn: &Connection,
    kiosk_id: &str,
    key: &str,
    n: u32,
    body: &[u8],
    sha256: &str,
    now: DateTime<Utc>,
) -> Result<PartReceipt, ApiError> {
    conn.prepare_cached(
        "INSERT INTO application_parts (kiosk_id, app_key, n, sha256, size, body, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (kiosk_id, app_key, n) DO UPDATE
         SET sha256 = excluded.sha256, size = excluded.size, body = excluded.body",
    )?
    .execute(params![
        kiosk_id,
        key,
        n,
        sha256,
        body.len() as i64,
        body,
        now.to_rfc3339()
    ])?;
    Ok(PartReceipt {
        part: n,
        sha256: sha256.to_owned(),
        size: body.len() as u64,
    })
}

/// The prefix letters of a matter's case numbers (`LR01` → `LR`).
fn prefix(code: &str) -> String {
    let p: String = code.chars().take_while(char::is_ascii_alphabetic).collect();
    if (2..=4).contains(&p.len()) {
        p.to_ascii_uppercase()
    } else {
        "SQ".to_owned()
    }
}

/// Submits application `key`: one case per key, whatever the number of calls.
pub(crate) fn submit(
    conn: &mut Connection,
    kiosk_id: &str,
    key: &str,
    app: &Application,
    now: DateTime<Utc>,
) -> Result<Submitted, ApiError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let seen: Option<(String, bool, String)> = tx
        .prepare_cached(
            "SELECT case_number, sms_sent, matter FROM applications
             WHERE kiosk_id = ?1 AND app_key = ?2",
        )?
        .query_row(params![kiosk_id, key], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let matters = matters(&tx)?;
    if let Some((case_number, sms_sent, matter)) = seen {
        if app.notify_sms && !sms_sent {
            let name = matters
                .iter()
                .find(|m| m.code == matter)
                .map(|m| m.name_zh.as_str())
                .unwrap_or("事项");
            crate::sim::sms::record(&tx, &app.mobile, &sms_text(name, &case_number), now)?;
            tx.execute(
                "UPDATE applications SET sms_sent = 1 WHERE kiosk_id = ?1 AND app_key = ?2",
                params![kiosk_id, key],
            )?;
        }
        tx.commit()?;
        return Ok(Submitted {
            case_number,
            created: false,
        });
    }
    let Some(matter) = matters.iter().find(|m| m.code == app.matter) else {
        return Err(ApiError::new(
            422,
            ERROR_UNKNOWN_MATTER,
            "no such matter to apply for",
        ));
    };
    let post_address = match (app.delivery, &app.post_address) {
        (Delivery::Post, Some(a)) if is_post_address(a) => Some(a.trim().to_owned()),
        (Delivery::Post, _) => {
            return Err(ApiError::new(
                422,
                ERROR_BAD_ADDRESS,
                "by post needs a postal address of 1 to 120 plain characters",
            ))
        }
        (Delivery::Window, _) => None,
    };
    let today = crate::api::hall_service_day(now);
    if let Some(min) = matter.min_age {
        if age_on(app.birth, today) < min {
            return Err(ApiError::new(
                422,
                ERROR_NOT_ELIGIBLE,
                format!("the applicant must be {min} or older"),
            ));
        }
    }
    // Every part the application names must have arrived with its digest.
    let mut missing = Vec::new();
    for part in &app.parts {
        let got: Option<String> = tx
            .prepare_cached(
                "SELECT sha256 FROM application_parts WHERE kiosk_id = ?1 AND app_key = ?2 AND n = ?3",
            )?
            .query_row(params![kiosk_id, key, part.n], |r| r.get(0))
            .optional()?;
        if got.as_deref() != Some(part.sha256.as_str()) {
            missing.push(part.n.to_string());
        }
    }
    let named = app
        .card_parts
        .iter()
        .chain(app.materials.iter().flat_map(|m| m.pages.iter()));
    for n in named {
        if !app.parts.iter().any(|p| p.n == *n) {
            missing.push(n.to_string());
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::new(
            409,
            ERROR_PART_MISSING,
            format!("parts not received: {}", missing.join(",")),
        ));
    }
    let p = prefix(&matter.code);
    let day = today.format("%Y%m%d").to_string();
    let counter = format!("apply-{p}-{day}");
    tx.execute(
        "INSERT INTO counters (name, value) VALUES (?1, 101)
         ON CONFLICT (name) DO UPDATE SET value = value + 1",
        [&counter],
    )?;
    let seq: i64 = tx.query_row(
        "SELECT value FROM counters WHERE name = ?1",
        [&counter],
        |r| r.get(0),
    )?;
    let case_number = format!("{p}-{day}-{seq:06}");
    let last = match app.delivery {
        Delivery::Window => ("待领取", "Ready for pickup"),
        Delivery::Post => ("邮寄送达", "Sent by post"),
    };
    let step = |zh: &str, en: &str, at: Option<DateTime<Utc>>| CaseStep {
        name_zh: zh.to_owned(),
        name_en: en.to_owned(),
        at,
        done: at.is_some(),
    };
    let case = crate::sim::cases::case(
        &case_number,
        (matter.name_zh.as_str(), matter.name_en.as_str()),
        CaseStatus::Received,
        vec![
            step("受理", "Received", Some(now)),
            step("审核", "Review", None),
            step("办结", "Approved", None),
            step(last.0, last.1, None),
        ],
    );
    super::case_progress::put_case(
        &tx,
        &NewCase {
            holder: app.holder.clone(),
            case,
        },
    )?;
    let body = serde_json::to_string(app)
        .map_err(|_| ApiError::new(500, "internal", "serialisation failed"))?;
    tx.execute(
        "INSERT INTO applications
             (kiosk_id, app_key, case_number, matter, received_at, sms_sent, body, post_address)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            kiosk_id,
            key,
            case_number,
            matter.code,
            now.to_rfc3339(),
            app.notify_sms,
            body,
            post_address
        ],
    )?;
    if app.notify_sms {
        crate::sim::sms::record(
            &tx,
            &app.mobile,
            &sms_text(&matter.name_zh, &case_number),
            now,
        )?;
    }
    tx.commit()?;
    tracing::info!(matter = %matter.code, parts = app.parts.len(), "platform sim: application opened a case");
    Ok(Submitted {
        case_number,
        created: true,
    })
}

/// What the platform holds of applications (tests: never two cases).
pub(crate) fn held(conn: &Connection) -> rusqlite::Result<crate::api::apply::HeldApplications> {
    let mut stmt =
        conn.prepare_cached("SELECT case_number FROM applications ORDER BY received_at, rowid")?;
    let cases = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let parts: i64 = conn.query_row("SELECT COUNT(*) FROM application_parts", [], |r| r.get(0))?;
    let posted = conn
        .prepare_cached(
            "SELECT case_number, post_address FROM applications
             WHERE post_address IS NOT NULL ORDER BY received_at, rowid",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(crate::api::apply::HeldApplications {
        cases,
        parts: parts.max(0) as u64,
        posted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gazetteer_keeps_the_contract_and_is_a_few_hundred_places() {
        let g = gazetteer();
        g.check().unwrap();
        let places: usize = g.districts.iter().map(|d| d.places.len()).sum();
        assert!((200..=600).contains(&places), "{places}");
        assert!(g.districts.len() >= 6);
        // Every district has enough to search in, and no name twice in a district.
        for d in &g.districts {
            assert!(d.places.len() >= 10, "{}", d.name_zh);
            let mut names: Vec<&str> = d.places.iter().map(|p| p.name_zh.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), d.places.len(), "{}", d.name_zh);
        }
        let chaoyang = g.districts.iter().find(|d| d.name_zh == "朝阳区").unwrap();
        let jgl = chaoyang
            .places
            .iter()
            .find(|p| p.name_zh == "建国路")
            .unwrap();
        assert_eq!(jgl.pinyin, vec!["jian", "guo", "lu"]);
    }

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrate(&mut conn).unwrap();
        conn
    }

    fn posted(address: Option<&str>) -> Application {
        Application {
            matter: "JZ01".into(),
            holder: "ab".repeat(32),
            masked_id: "110101********0017".into(),
            name: "张伟".into(),
            sex: "男".into(),
            nation: "汉".into(),
            birth: chrono::NaiveDate::from_ymd_opt(1985, 3, 12).unwrap(),
            address: "北京市东城区景山前街4号".into(),
            fields: vec![],
            mobile: "13800138000".into(),
            delivery: Delivery::Post,
            post_address: address.map(str::to_owned),
            card_parts: [0, 1],
            materials: vec![],
            parts: vec![],
            notify_sms: false,
        }
    }

    /// Sends the card's two sides under `key`, then submits `app` naming them.
    fn submit(
        conn: &mut Connection,
        kiosk: &str,
        key: &str,
        app: &Application,
        now: DateTime<Utc>,
    ) -> Result<Submitted, ApiError> {
        let mut app = app.clone();
        for n in 0..2u32 {
            let body = vec![n as u8; 10];
            let sha = crate::api::apply::digest(&body);
            put_part(conn, kiosk, key, n, &body, &sha, now)?;
            app.parts
                .push(crate::api::apply::PartRef { n, sha256: sha });
        }
        super::submit(conn, kiosk, key, &app, now)
    }

    #[test]
    fn the_post_address_is_stored_with_the_case_and_by_post_needs_one() {
        let mut conn = db();
        let now = Utc::now();
        let typed = "北京市朝阳区建国路88号2号楼301室";
        let done = submit(&mut conn, "K1", "key-00000001", &posted(Some(typed)), now).unwrap();
        let kept = held(&conn).unwrap();
        assert_eq!(kept.posted, vec![(done.case_number, typed.to_owned())]);
        for bad in [
            None,
            Some(""),
            Some("  "),
            Some("北京市<b>"),
            Some("a\u{202e}b"),
        ] {
            let e = submit(&mut conn, "K1", "key-00000002", &posted(bad), now).unwrap_err();
            assert_eq!((e.status, e.code), (422, ERROR_BAD_ADDRESS), "{bad:?}");
        }
        let long = "路".repeat(121);
        let e = submit(&mut conn, "K1", "key-00000003", &posted(Some(&long)), now).unwrap_err();
        assert_eq!(e.code, ERROR_BAD_ADDRESS);
        // By the window, no address is kept.
        let mut window = posted(Some(typed));
        window.delivery = Delivery::Window;
        submit(&mut conn, "K1", "key-00000004", &window, now).unwrap();
        assert_eq!(held(&conn).unwrap().posted.len(), 1);
    }
}
