//! A4 documents checked with independent tools: `pdftotext` gives back the Chinese text,
//! `pdftoppm` + `zbarimg` decode the verification QR code, `pdfimages` measures the ID card.
//! Debian: poppler-utils, zbar-tools (scripts/test installs them).

use std::path::{Path, PathBuf};
use std::process::Command;

use kiosk::cli::doc::doc_render::{render_sample, DocKind};
use kiosk::demo::RECEIPT_FONT;
use kiosk::documents::certificate::{self, CertificateKind};
use kiosk::documents::pdf::RgbImage;
use kiosk::documents::samples::{self, SAMPLE_CASE, SAMPLE_MASKED_ID, SAMPLE_NAME};
use kiosk::documents::verification::verify_url;

fn tool(name: &str) -> PathBuf {
    for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    panic!("{name} is not installed: run scripts/test (it installs poppler-utils and zbar-tools)");
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn pdftotext(pdf: &Path) -> String {
    run(Command::new(tool("pdftotext")).arg(pdf).arg("-"))
}

/// Renders page 1 at `dpi` and decodes every QR code on it.
fn qr_codes(pdf: &Path, dpi: u32) -> Vec<String> {
    let prefix = pdf.with_extension("");
    run(Command::new(tool("pdftoppm"))
        .args(["-png", "-r", &dpi.to_string(), "-singlefile"])
        .arg(pdf)
        .arg(&prefix));
    let png = prefix.with_extension("png");
    run(Command::new(tool("zbarimg"))
        .args(["-q", "--raw"])
        .arg(&png))
    .lines()
    .map(str::to_owned)
    .collect()
}

#[test]
fn certificates_give_back_name_masked_id_and_case_number() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, title) in [
        (
            CertificateKind::SocialInsuranceContribution,
            "社会保险参保缴费证明",
        ),
        (CertificateKind::NoHousingProperty, "无房产证明"),
    ] {
        let c = samples::certificate(kind);
        let pdf = certificate::render(&c, RECEIPT_FONT).unwrap();
        assert!(pdf.len() <= 300 * 1024, "{title}: {} bytes", pdf.len());
        let path = write(dir.path(), "cert.pdf", &pdf);
        let text = pdftotext(&path);
        assert!(text.contains(title), "{title} missing from:\n{text}");
        assert!(text.contains(SAMPLE_NAME), "name missing from:\n{text}");
        assert!(
            text.contains(SAMPLE_MASKED_ID),
            "masked ID missing:\n{text}"
        );
        assert!(text.contains(SAMPLE_CASE), "case number missing:\n{text}");
        assert!(
            text.contains("2026年11月24日"),
            "issue date missing:\n{text}"
        );
        assert!(text.contains(samples::SAMPLE_HALL), "hall missing:\n{text}");
        // The full ID number is never on a certificate (the sample's digits behind the mask).
        assert!(
            !text.contains("19900307"),
            "unmasked ID digits on paper:\n{text}"
        );
    }
    // The table of contributions came through too.
    let path = dir.path().join("cert.pdf");
    let pdf = certificate::render(
        &samples::certificate(CertificateKind::SocialInsuranceContribution),
        RECEIPT_FONT,
    )
    .unwrap();
    std::fs::write(&path, pdf).unwrap();
    let text = pdftotext(&path);
    assert!(text.contains("企业职工基本养老保险") && text.contains("2019-01"));
}

#[test]
fn certificate_qr_decodes_to_the_signed_url() {
    let dir = tempfile::tempdir().unwrap();
    let c = samples::certificate(CertificateKind::SocialInsuranceContribution);
    let path = write(
        dir.path(),
        "cert.pdf",
        &certificate::render(&c, RECEIPT_FONT).unwrap(),
    );
    let codes = qr_codes(&path, 150);
    assert_eq!(codes, vec![c.verify_url.clone()]);
    assert!(codes[0].contains(&format!("case={SAMPLE_CASE}")));
    assert_eq!(
        verify_url(&codes[0], samples::SAMPLE_SIGNING_KEY).as_deref(),
        Some(SAMPLE_CASE)
    );
}

#[test]
fn forms_blank_and_prefilled() {
    let dir = tempfile::tempdir().unwrap();
    let blank = write(
        dir.path(),
        "blank.pdf",
        &render_sample(DocKind::FormBlank).unwrap(),
    );
    let filled = write(
        dir.path(),
        "filled.pdf",
        &render_sample(DocKind::FormFilled).unwrap(),
    );
    let blank = pdftotext(&blank);
    let filled = pdftotext(&filled);
    for t in [&blank, &filled] {
        assert!(
            t.contains("居住证申领登记表") && t.contains("公民身份号码"),
            "{t}"
        );
    }
    assert!(
        !blank.contains(SAMPLE_NAME),
        "blank form has a name:\n{blank}"
    );
    assert!(filled.contains(SAMPLE_NAME) && filled.contains("11010119900307001X"));
    assert!(filled.contains("北京市东城区示范街道101号"));
}

#[test]
fn id_copy_has_both_sides_at_true_size_and_the_overlay() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "id.pdf",
        &render_sample(DocKind::IdCopy).unwrap(),
    );
    let text = pdftotext(&path);
    assert!(text.contains("仅供办理居住证使用，再复印无效"), "{text}");
    // `pdfimages -list`: page num type width height color comp bpc enc interp object ID x-ppi y-ppi ...
    let list = run(Command::new(tool("pdfimages")).arg("-list").arg(&path));
    let rows: Vec<Vec<&str>> = list
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "two card images:\n{list}");
    for r in rows {
        let (w, h): (f32, f32) = (r[3].parse().unwrap(), r[4].parse().unwrap());
        let (xppi, yppi): (f32, f32) = (r[12].parse().unwrap(), r[13].parse().unwrap());
        let (w_mm, h_mm) = (w / xppi * 25.4, h / yppi * 25.4);
        // pdfimages rounds ppi to whole numbers: allow 0.5 mm.
        assert!((w_mm - 85.6).abs() < 0.5, "width {w_mm} mm:\n{list}");
        assert!((h_mm - 54.0).abs() < 0.5, "height {h_mm} mm:\n{list}");
    }
    // The copy compresses the scans: under 1 MB for two synthetic sides.
    assert!(std::fs::metadata(&path).unwrap().len() < 1024 * 1024);
}

#[test]
fn card_images_come_in_as_png() {
    let img = samples::card_image(true);
    let rgba = printer::virtual_printer::RgbaImage::new(
        img.width,
        img.height,
        img.rgb
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
    )
    .unwrap();
    let png = printer::virtual_printer::encode_png(&rgba);
    let back = RgbImage::from_png(&png).unwrap();
    assert_eq!(back, img);
    assert!(RgbImage::from_png(b"not a png").is_err());
}
