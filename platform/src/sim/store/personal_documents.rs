//! Personal documents: what the platform keeps for each holder (electronic licences and
//! certificates issued earlier), keyed by the holder's
//! [`holder_hash`](crate::api::holder_hash), and the sample citizens' documents it starts
//! with.

use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};

use super::ApiError;
use crate::api::holder_hash;
use crate::api::personal_documents::{
    Document, DocumentCategory, DocumentField, DocumentList, DocumentSummary, NewDocument,
};
use crate::sim::cases::SAMPLE_HOLDER_ID_NUMBERS;

/// The migration that adds this service's table (appended to `super::MIGRATIONS`).
/// Released: never edit it; a change is a new migration.
pub(crate) const MIGRATION: &str = r#"
    CREATE TABLE personal_documents (
        id         TEXT PRIMARY KEY,
        holder     TEXT NOT NULL,
        issued_on  TEXT NOT NULL,
        body       TEXT NOT NULL
    );
    CREATE INDEX personal_documents_by_holder ON personal_documents (holder, issued_on);
    "#;

/// Stores a document only when its id is not there yet (seeding at start).
pub(crate) fn seed_document(conn: &Connection, new: &NewDocument) -> Result<(), ApiError> {
    let body = serde_json::to_string(&new.document)
        .map_err(|_| ApiError::new(500, "internal", "serialisation failed"))?;
    conn.execute(
        "INSERT INTO personal_documents (id, holder, issued_on, body) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO NOTHING",
        params![
            new.document.summary.id.to_ascii_uppercase(),
            new.holder.to_ascii_lowercase(),
            new.document.summary.issued_on.to_string(),
            body
        ],
    )?;
    Ok(())
}

/// Seeds the sample citizens' documents (see [`seed`]).
pub(crate) fn seed_all(conn: &Connection) -> Result<(), ApiError> {
    for new in seed() {
        seed_document(conn, &new)?;
    }
    Ok(())
}

fn decode(body: &str) -> Result<Document, ApiError> {
    serde_json::from_str(body)
        .map_err(|_| ApiError::new(500, "internal", "stored document unreadable"))
}

/// The holder's documents, newest first.
pub(crate) fn of_holder(conn: &Connection, holder: &str) -> Result<DocumentList, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT body FROM personal_documents WHERE holder = ?1 ORDER BY issued_on DESC, id",
    )?;
    let rows = stmt.query_map([holder.to_ascii_lowercase()], |r| r.get::<_, String>(0))?;
    let mut documents = Vec::new();
    for row in rows {
        documents.push(decode(&row?)?.summary);
    }
    Ok(DocumentList { documents })
}

/// One document, only when it is the holder's: someone else's is as unknown as one that
/// does not exist, so an id cannot be probed for.
pub(crate) fn document(
    conn: &Connection,
    id: &str,
    holder: &str,
) -> Result<Option<Document>, ApiError> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM personal_documents WHERE id = ?1 AND holder = ?2")?
        .query_row(
            params![id.to_ascii_uppercase(), holder.to_ascii_lowercase()],
            |r| r.get(0),
        )
        .optional()?;
    body.as_deref().map(decode).transpose()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    // Constant, valid dates; the fallback only keeps this free of panics.
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn field(key: &str, zh: &str, en: &str, value: &str) -> DocumentField {
    DocumentField {
        key: key.to_owned(),
        label_zh: zh.to_owned(),
        label_en: en.to_owned(),
        value: value.to_owned(),
    }
}

struct Head<'a> {
    id: &'a str,
    category: DocumentCategory,
    kind: &'a str,
    title: (&'a str, &'a str),
    issuer: (&'a str, &'a str),
    issued_on: NaiveDate,
    valid: (Option<NaiveDate>, Option<NaiveDate>),
    number: &'a str,
}

fn doc(holder: usize, name: &str, head: Head<'_>, fields: Vec<DocumentField>) -> NewDocument {
    let id_number = SAMPLE_HOLDER_ID_NUMBERS[holder];
    NewDocument {
        holder: holder_hash(id_number),
        document: Document {
            summary: DocumentSummary {
                id: head.id.to_owned(),
                category: head.category,
                kind: head.kind.to_owned(),
                title_zh: head.title.0.to_owned(),
                title_en: head.title.1.to_owned(),
                issuer_zh: head.issuer.0.to_owned(),
                issuer_en: head.issuer.1.to_owned(),
                issued_on: head.issued_on,
                valid_until: head.valid.1,
            },
            number: head.number.to_owned(),
            valid_from: head.valid.0,
            holder_name: name.to_owned(),
            holder_id_number: id_number.to_owned(),
            fields,
            body_zh: Vec::new(),
            table: Vec::new(),
        },
    }
}

/// The documents the simulator starts with: 张伟 holds several from the last year (a
/// driving licence, a marriage certificate, a real-estate title, a degree, a health
/// certificate of a kind the kiosk has no template for, and the social-insurance proof he
/// printed last month), 刘洋 a residence permit and a degree, 欧阳䶮然 none.
pub fn seed() -> Vec<NewDocument> {
    use DocumentCategory::{Certificate, Licence};
    let zhang = "张伟";
    let liu = "刘洋";
    let mut proof = doc(
        0,
        zhang,
        Head {
            id: "SB-20261103-000318",
            category: Certificate,
            kind: "social_insurance_proof",
            title: ("个人参保证明", "Proof of social insurance contributions"),
            issuer: (
                "示范市社会保险事业管理中心",
                "Demo City Social Insurance Centre",
            ),
            issued_on: day(2026, 11, 3),
            valid: (None, None),
            number: "SB-20261103-000318",
        },
        vec![field(
            "insured_since",
            "参保日期",
            "Insured since",
            "2008年07月",
        )],
    );
    proof.document.body_zh = vec![
        "兹证明张伟自2008年07月起在本市参加企业职工基本养老保险、基本医疗保险、失业保险、\
         工伤保险和生育保险，截至2026年10月累计缴费220个月，现参保状态正常。"
            .to_owned(),
        "本证明仅证明上述参保情况。".to_owned(),
    ];
    proof.document.table = vec![
        vec![
            "险种".into(),
            "参保状态".into(),
            "缴费月数".into(),
            "末次缴费".into(),
        ],
        vec![
            "养老保险".into(),
            "正常".into(),
            "220".into(),
            "2026-10".into(),
        ],
        vec![
            "医疗保险".into(),
            "正常".into(),
            "220".into(),
            "2026-10".into(),
        ],
        vec![
            "失业保险".into(),
            "正常".into(),
            "218".into(),
            "2026-10".into(),
        ],
    ];
    vec![
        proof,
        doc(
            0,
            zhang,
            Head {
                id: "JK-20260915-004721",
                category: Licence,
                kind: "health_certificate",
                title: ("从业人员健康证明", "Health certificate for food workers"),
                issuer: (
                    "示范市疾病预防控制中心",
                    "Demo City Centre for Disease Control",
                ),
                issued_on: day(2026, 9, 15),
                valid: (Some(day(2026, 9, 15)), Some(day(2027, 9, 14))),
                number: "JK-20260915-004721",
            },
            vec![
                field("sex", "性别", "Sex", "男"),
                field("occupation", "从业类别", "Occupation", "食品销售"),
                field("result", "体检结论", "Result", "合格"),
            ],
        ),
        doc(
            0,
            zhang,
            Head {
                id: "BDC-20260618-000912",
                category: Licence,
                kind: "real_estate_title",
                title: ("不动产权证书", "Real estate title certificate"),
                issuer: (
                    "示范市不动产登记中心",
                    "Demo City Real Estate Registration Centre",
                ),
                issued_on: day(2026, 6, 18),
                valid: (None, None),
                number: "示(2026)示范市不动产权第0031752号",
            },
            vec![
                field("co_ownership", "共有情况", "Co-ownership", "共同共有"),
                field(
                    "location",
                    "坐落",
                    "Location",
                    "示范市和平区兴业路88号3栋1单元1202室",
                ),
                field(
                    "unit_number",
                    "不动产单元号",
                    "Unit number",
                    "110101003005GB00012F00031202",
                ),
                field(
                    "right_type",
                    "权利类型",
                    "Type of right",
                    "国有建设用地使用权/房屋所有权",
                ),
                field("use", "用途", "Use", "城镇住宅用地/住宅"),
                field("area", "面积", "Area", "建筑面积 89.36 平方米"),
                field(
                    "term",
                    "使用期限",
                    "Term",
                    "2006年05月10日起2076年05月09日止",
                ),
            ],
        ),
        doc(
            0,
            zhang,
            Head {
                id: "DL-20260302-001544",
                category: Licence,
                kind: "driving_licence",
                title: ("机动车驾驶证", "Motor vehicle driving licence"),
                issuer: ("示范市公安局交通警察支队", "Demo City Traffic Police"),
                issued_on: day(2026, 3, 2),
                valid: (Some(day(2026, 3, 2)), Some(day(2036, 3, 2))),
                // A driving licence's number is its holder's ID number.
                number: SAMPLE_HOLDER_ID_NUMBERS[0],
            },
            vec![
                field("sex", "性别", "Sex", "男"),
                field("nationality", "国籍", "Nationality", "中国"),
                field("address", "住址", "Address", "北京市东城区景山前街4号"),
                field("first_issued", "初次领证日期", "First issued", "2006-03-02"),
                field("vehicle_class", "准驾车型", "Vehicle class", "C1"),
                field("file_number", "档案编号", "File number", "110100867412"),
            ],
        ),
        doc(
            0,
            zhang,
            Head {
                id: "JH-20251220-000233",
                category: Licence,
                kind: "marriage_certificate",
                title: ("结婚证", "Marriage certificate"),
                issuer: ("示范市和平区民政局", "Heping District Civil Affairs Bureau"),
                issued_on: day(2025, 12, 20),
                valid: (None, None),
                number: "J110101-2025-004518",
            },
            vec![
                field("holder_role", "持证人", "Holder", "张伟"),
                field("spouse_name", "配偶姓名", "Spouse", "李娜"),
                field(
                    "spouse_nationality",
                    "配偶国籍",
                    "Spouse's nationality",
                    "中国",
                ),
                field(
                    "registered_on",
                    "登记日期",
                    "Registered on",
                    "2025年12月20日",
                ),
            ],
        ),
        doc(
            1,
            liu,
            Head {
                id: "JZ-20260420-010388",
                category: Licence,
                kind: "residence_permit",
                title: ("居住证", "Residence permit"),
                issuer: (
                    "示范市公安局和平分局",
                    "Heping Branch, Demo City Public Security Bureau",
                ),
                issued_on: day(2026, 4, 20),
                valid: (Some(day(2026, 4, 20)), Some(day(2027, 4, 19))),
                number: "JZ4401062026010388",
            },
            vec![
                field("sex", "性别", "Sex", "男"),
                field(
                    "domicile",
                    "户籍地址",
                    "Registered domicile",
                    "上海市徐汇区漕溪北路595号",
                ),
                field(
                    "address",
                    "居住地址",
                    "Residence",
                    "示范市和平区民生路12号2单元501室",
                ),
                field(
                    "endorsement",
                    "签注记录",
                    "Endorsements",
                    "2026年04月 首次签发",
                ),
            ],
        ),
        doc(
            1,
            liu,
            Head {
                id: "XW-20130701-105873",
                category: Licence,
                kind: "degree_certificate",
                title: ("学士学位证书", "Bachelor's degree certificate"),
                issuer: ("示范大学", "Demo University"),
                issued_on: day(2013, 7, 1),
                valid: (None, None),
                number: "1058732013001234",
            },
            vec![
                field("sex", "性别", "Sex", "男"),
                field("birth", "出生日期", "Date of birth", "1990年07月07日"),
                field("degree", "学位", "Degree", "工学学士"),
                field("major", "专业", "Major", "计算机科学与技术"),
            ],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_listed_for_their_holder_only_newest_first() {
        let dir = std::env::temp_dir().join(format!("pdocs-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sim.sqlite");
        let _ = std::fs::remove_file(&path);
        let mut conn = super::super::open(&path).unwrap();
        super::super::migrate(&mut conn).unwrap();
        seed_all(&conn).unwrap();
        seed_all(&conn).unwrap(); // twice: still once each
        let zhang = holder_hash(SAMPLE_HOLDER_ID_NUMBERS[0]);
        let liu = holder_hash(SAMPLE_HOLDER_ID_NUMBERS[1]);
        let none = holder_hash(SAMPLE_HOLDER_ID_NUMBERS[5]);
        let list = of_holder(&conn, &zhang).unwrap().documents;
        assert_eq!(list.len(), 5);
        assert!(list.windows(2).all(|w| w[0].issued_on >= w[1].issued_on));
        assert_eq!(of_holder(&conn, &liu).unwrap().documents.len(), 2);
        assert!(of_holder(&conn, &none).unwrap().documents.is_empty());
        let id = &list[0].id;
        assert!(document(&conn, id, &zhang).unwrap().is_some());
        // Someone else's document is unknown.
        assert!(document(&conn, id, &liu).unwrap().is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
