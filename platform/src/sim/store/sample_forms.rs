//! Sample forms: the hall's form library, generated deterministically from a fixed
//! vocabulary of real matter words (so every simulator and every test sees the same 234
//! forms), and the page images rendered on demand (`sim/form_pages.rs`) and kept here.
//!
//! The pinyin of each name comes from [`PINYIN`], a table of exactly the characters the
//! vocabulary uses (a test keeps it complete): no pinyin crate is needed for 245
//! characters, and the polyphones are read as the matter words mean them (调解 tiáo,
//! 所得税 dé, 名称 chēng).

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::ApiError;
use crate::api::sample_forms::{
    CardField, Department, FormField, FormLibrary, PageKind, SampleForm,
};

/// Migration 17: departments, forms and the cache of rendered page images.
pub(crate) const MIGRATION_17: &str = r#"
    CREATE TABLE form_departments (
        code     TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        name_zh  TEXT NOT NULL,
        name_en  TEXT NOT NULL
    );
    CREATE TABLE sample_forms (
        id         TEXT PRIMARY KEY,
        position   INTEGER NOT NULL,
        name_zh    TEXT NOT NULL,
        pinyin     TEXT NOT NULL,
        department TEXT NOT NULL REFERENCES form_departments (code),
        pages      INTEGER NOT NULL,
        fields     TEXT NOT NULL
    );
    CREATE TABLE form_page_images (
        form_id TEXT NOT NULL,
        kind    TEXT NOT NULL,
        page    INTEGER NOT NULL,
        png     BLOB NOT NULL,
        PRIMARY KEY (form_id, kind, page)
    ) WITHOUT ROWID;
"#;

/// The departments (with a short English name that fits a button) and the matters each
/// takes forms for.
const DEPARTMENTS: &[(&str, &str, &str, &[&str])] = &[
    (
        "ps",
        "公安",
        "Police",
        &[
            "居民身份证",
            "居住证",
            "户口迁移",
            "出生登记",
            "临时身份证",
            "户籍证明",
        ],
    ),
    (
        "ca",
        "民政",
        "Civil",
        &[
            "婚姻登记",
            "最低生活保障",
            "社会团体",
            "殡葬服务",
            "养老服务补贴",
            "临时救助",
        ],
    ),
    (
        "hr",
        "人社",
        "HR & SS",
        &[
            "社会保险",
            "失业保险金",
            "职业资格",
            "就业登记",
            "退休审批",
            "工伤认定",
        ],
    ),
    (
        "mi",
        "医保",
        "Med. ins.",
        &[
            "医疗保险参保",
            "异地就医",
            "门诊慢特病",
            "医疗费用报销",
            "生育津贴",
        ],
    ),
    (
        "tx",
        "税务",
        "Tax",
        &["个人所得税", "发票领用", "税务登记", "增值税", "车船税"],
    ),
    (
        "mr",
        "市场监管",
        "Market",
        &[
            "个体工商户",
            "营业执照",
            "食品经营许可",
            "企业名称",
            "商标注册",
        ],
    ),
    (
        "hc",
        "住建",
        "Housing",
        &[
            "公共租赁住房",
            "施工许可",
            "房屋交易",
            "物业服务",
            "燃气经营",
        ],
    ),
    (
        "ed",
        "教育",
        "Education",
        &["小学入学", "学籍转接", "教师资格", "学生资助", "民办学校"],
    ),
    (
        "hl",
        "卫健",
        "Health",
        &[
            "医师执业",
            "出生医学证明",
            "母婴保健",
            "计划生育奖励",
            "护士执业",
        ],
    ),
    (
        "tr",
        "交通",
        "Transport",
        &[
            "道路运输",
            "出租汽车",
            "驾驶员从业资格",
            "公交卡",
            "车辆营运",
        ],
    ),
    (
        "nr",
        "自然资源",
        "Land",
        &[
            "不动产登记",
            "土地使用",
            "建设用地规划",
            "宅基地",
            "测绘资质",
        ],
    ),
    (
        "df",
        "残联",
        "Disability",
        &["残疾人证", "辅助器具", "残疾人就业", "康复救助"],
    ),
    (
        "va",
        "退役军人",
        "Veterans",
        &["优待证", "军人抚恤", "退役安置", "光荣牌"],
    ),
    (
        "ju",
        "司法",
        "Justice",
        &["法律援助", "公证", "人民调解", "律师执业"],
    ),
    (
        "hf",
        "公积金",
        "Hous. fund",
        &["公积金提取", "公积金贷款", "公积金缴存", "公积金转移"],
    ),
    (
        "ag",
        "农业农村",
        "Farming",
        &["耕地地力补贴", "农机购置补贴", "渔业捕捞许可", "动物防疫"],
    ),
];

/// What a form is for; each matter gets three of them, in turn.
const ACTIONS: &[&str] = &[
    "申请表",
    "登记表",
    "变更申请表",
    "补办申请表",
    "注销申请表",
    "审核表",
];

/// The pinyin of every character the vocabulary and the page images use, without tones
/// (ü as `v`), as the matter words read.
pub(crate) const PINYIN: &str =
    "不bu 业ye 个ge 临lin 事shi 交jiao 产chan 人ren 从cong 件jian 份fen \
企qi 休xiu 优you 会hui 伤shang 位wei 低di 住zhu 体ti 作zuo 使shi 例li 保bao 值zhi 健jian 光guang \
入ru 公gong 共gong 具ju 养yang 册ce 写xie 军jun 农nong 出chu 划hua 别bie 力li 办ban 务wu 动dong \
助zhu 励li 医yi 单dan 卡ka 卫wei 参can 发fa 取qu 变bian 口kou 可ke 号hao 司si 名ming 员yuan \
品pin 商shang 器qi 团tuan 土tu 地di 场chang 址zhi 基ji 填tian 增zeng 士shi 复fu 失shi 奖jiang \
如ru 姓xing 姻yin 婚hun 婴ying 字zi 存cun 学xue 宅zhai 安an 定ding 实shi 审shen 小xiao 就jiu \
居ju 屋wu 工gong 市shi 师shi 年nian 康kang 建jian 异yi 役yi 待dai 律lv 得de 性xing 恤xu 慢man \
户hu 房fang 所suo 执zhi 批pi 抚fu 护hu 报bao 按an 捕bu 捞lao 接jie 提ti 援yuan 政zheng 救jiu \
教jiao 施shi 族zu 日ri 时shi 明ming 易yi 更geng 最zui 月yue 服fu 期qi 本ben 机ji 村cun 标biao \
校xiao 核he 格ge 款kuan 残can 殡bin 母mu 民min 气qi 汽qi 法fa 注zhu 津jin 活huo 测ce 渔yu \
源yuan 然ran 照zhao 燃ran 牌pai 物wu 特te 生sheng 用yong 申shen 电dian 疗liao 疫yi 疾ji 病bing \
登deng 监jian 码ma 示shi 社she 票piao 租zu 积ji 称cheng 移yi 税shui 第di 签qian 管guan 籍ji \
系xi 经jing 绘hui 续xu 缴jiao 置zhi 老lao 耕geng 职zhi 联lian 育yu 自zi 船chuan 荣rong 营ying \
葬zang 补bu 表biao 规gui 解jie 计ji 认ren 记ji 许xu 设she 证zheng 诊zhen 话hua 说shuo 请qing \
调tiao 质zhi 购gou 贴tie 贷dai 费fei 赁lin 资zi 路lu 身shen 车che 转zhuan 辅fu 辆liang 输shu \
迁qian 运yun 退tui 通tong 道dao 金jin 销xiao 门men 防fang 险xian 障zhang 页ye 项xiang 领ling \
食shi 驶shi 驾jia";

/// The syllable of one character, when the table has it.
pub(crate) fn syllable(c: char) -> Option<&'static str> {
    PINYIN.split_whitespace().find_map(|entry| {
        let mut chars = entry.chars();
        (chars.next() == Some(c)).then_some(chars.as_str())
    })
}

/// The library, generated: every department's matters times three actions, numbered in
/// order (`F0001`…). Same input, same library, on every simulator.
pub(crate) fn generate() -> FormLibrary {
    let departments = DEPARTMENTS
        .iter()
        .map(|(code, zh, en, _)| Department {
            code: (*code).to_owned(),
            name_zh: (*zh).to_owned(),
            name_en: (*en).to_owned(),
        })
        .collect();
    let mut forms = Vec::new();
    for (code, _, _, matters) in DEPARTMENTS {
        for (m, matter) in matters.iter().enumerate() {
            for k in 0..3 {
                let n = forms.len() + 1;
                let name_zh = format!("{matter}{}", ACTIONS[(m + k) % ACTIONS.len()]);
                let pinyin = name_zh
                    .chars()
                    .map(|c| syllable(c).unwrap_or("x").to_owned())
                    .collect();
                forms.push(SampleForm {
                    id: format!("F{n:04}"),
                    name_zh,
                    pinyin,
                    department: (*code).to_owned(),
                    pages: pages_of(n),
                    fields: fields_of(n),
                });
            }
        }
    }
    FormLibrary { departments, forms }
}

/// Most forms are one page; some two or three (the viewer pages through them).
fn pages_of(n: usize) -> u8 {
    if n % 11 == 5 {
        3
    } else if n % 7 == 3 {
        2
    } else {
        1
    }
}

/// The boxes of form `n`: the card's name and number always, the card's other fields and
/// the applicant's own ones by turns.
fn fields_of(n: usize) -> Vec<FormField> {
    let card = |label: &str, c: CardField, lines: u8| FormField {
        label_zh: label.to_owned(),
        card: Some(c),
        lines,
    };
    let own = |label: &str, lines: u8| FormField {
        label_zh: label.to_owned(),
        card: None,
        lines,
    };
    let mut f = vec![card("姓名", CardField::Name, 1)];
    if n.is_multiple_of(2) {
        f.push(card("性别", CardField::Sex, 1));
    }
    if n.is_multiple_of(3) {
        f.push(card("民族", CardField::Nation, 1));
    }
    if n.is_multiple_of(2) || n % 5 == 1 {
        f.push(card("出生日期", CardField::Birth, 1));
    }
    f.push(card("公民身份号码", CardField::IdNumber, 1));
    if n % 4 != 1 {
        f.push(card("住址", CardField::Address, 2));
    }
    f.push(own("联系电话", 1));
    if n % 5 == 2 {
        f.push(own("工作单位", 1));
    }
    f.push(own("申请事项说明", 3));
    f
}

/// Writes the generated library into the database (once: rows already there stay).
pub(crate) fn seed(conn: &mut Connection) -> rusqlite::Result<()> {
    let library = generate();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for (i, d) in library.departments.iter().enumerate() {
        tx.execute(
            "INSERT OR IGNORE INTO form_departments (code, position, name_zh, name_en)
             VALUES (?1, ?2, ?3, ?4)",
            params![d.code, i as i64, d.name_zh, d.name_en],
        )?;
    }
    for (i, f) in library.forms.iter().enumerate() {
        let fields = serde_json::to_string(&f.fields).unwrap_or_else(|_| "[]".to_owned());
        tx.execute(
            "INSERT OR IGNORE INTO sample_forms (id, position, name_zh, pinyin, department,
                 pages, fields)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                f.id,
                i as i64,
                f.name_zh,
                f.pinyin.join(" "),
                f.department,
                i64::from(f.pages),
                fields
            ],
        )?;
    }
    tx.commit()
}

/// The library as stored.
pub(crate) fn library(conn: &Connection) -> Result<FormLibrary, ApiError> {
    let mut stmt = conn
        .prepare_cached("SELECT code, name_zh, name_en FROM form_departments ORDER BY position")?;
    let departments = stmt
        .query_map([], |r| {
            Ok(Department {
                code: r.get(0)?,
                name_zh: r.get(1)?,
                name_en: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, name_zh, pinyin, department, pages, fields FROM sample_forms
         ORDER BY position",
    )?;
    let forms = stmt
        .query_map([], row_form)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(FormLibrary { departments, forms })
}

fn row_form(r: &rusqlite::Row<'_>) -> rusqlite::Result<SampleForm> {
    let pinyin: String = r.get(2)?;
    let fields: String = r.get(5)?;
    Ok(SampleForm {
        id: r.get(0)?,
        name_zh: r.get(1)?,
        pinyin: pinyin.split(' ').map(str::to_owned).collect(),
        department: r.get(3)?,
        pages: r.get::<_, i64>(4)?.clamp(1, 255) as u8,
        fields: serde_json::from_str(&fields).unwrap_or_default(),
    })
}

/// One form and its department.
pub(crate) fn form(
    conn: &Connection,
    id: &str,
) -> Result<Option<(SampleForm, Department)>, ApiError> {
    let found = conn
        .query_row(
            "SELECT f.id, f.name_zh, f.pinyin, f.department, f.pages, f.fields,
                    d.name_zh, d.name_en
             FROM sample_forms f JOIN form_departments d ON d.code = f.department
             WHERE f.id = ?1",
            [id],
            |r| {
                Ok((
                    row_form(r)?,
                    Department {
                        code: r.get(3)?,
                        name_zh: r.get(6)?,
                        name_en: r.get(7)?,
                    },
                ))
            },
        )
        .optional()?;
    Ok(found)
}

/// A page image rendered earlier.
pub(crate) fn cached_page(
    conn: &Connection,
    id: &str,
    kind: PageKind,
    page: u8,
) -> Result<Option<Vec<u8>>, ApiError> {
    Ok(conn
        .query_row(
            "SELECT png FROM form_page_images WHERE form_id = ?1 AND kind = ?2 AND page = ?3",
            params![id, kind.as_str(), i64::from(page)],
            |r| r.get(0),
        )
        .optional()?)
}

/// Keeps a rendered page image (two workers rendering the same page keep the first).
pub(crate) fn keep_page(
    conn: &Connection,
    id: &str,
    kind: PageKind,
    page: u8,
    png: &[u8],
) -> Result<(), ApiError> {
    conn.execute(
        "INSERT OR IGNORE INTO form_page_images (form_id, kind, page, png)
         VALUES (?1, ?2, ?3, ?4)",
        params![id, kind.as_str(), i64::from(page), png],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_has_two_hundred_forms_in_fifteen_departments_and_keeps_the_contract() {
        let lib = generate();
        assert!(lib.forms.len() >= 200, "{} forms", lib.forms.len());
        assert!(lib.departments.len() >= 15);
        assert!(lib.is_consistent());
        for d in &lib.departments {
            assert!(
                lib.forms.iter().any(|f| f.department == d.code),
                "{}",
                d.code
            );
        }
        assert!(lib.forms.iter().any(|f| f.pages > 1));
        assert_eq!(generate(), lib, "deterministic");
    }

    #[test]
    fn the_pinyin_table_has_every_character_once() {
        let lib = generate();
        for f in &lib.forms {
            for c in f.name_zh.chars() {
                assert!(syllable(c).is_some(), "{c} of {} has no pinyin", f.name_zh);
            }
        }
        for d in DEPARTMENTS {
            for c in d.1.chars() {
                assert!(syllable(c).is_some(), "{c} of {} has no pinyin", d.1);
            }
        }
        let mut seen = std::collections::HashSet::new();
        for entry in PINYIN.split_whitespace() {
            let c = entry.chars().next().unwrap();
            assert!(seen.insert(c), "{c} twice");
            assert!(entry[c.len_utf8()..]
                .bytes()
                .all(|b| b.is_ascii_lowercase()));
        }
        assert_eq!(syllable('调'), Some("tiao"));
        let f = lib
            .forms
            .iter()
            .find(|f| f.name_zh == "居民身份证申请表")
            .unwrap();
        assert_eq!(f.pinyin.join(""), "juminshenfenzhengshenqingbiao");
    }
}
