//! Layout costs: the queue ticket's ESC/POS bytes (target ≤ 1 ms) and the certificate PDF
//! (target ≤ 100 ms and ≤ 300 KB). `cargo bench --bench documents`; figures in
//! docs/benchmarks.md.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use kiosk::assets::A4_FONT;
use kiosk::demo::RECEIPT_FONT;
use kiosk::documents::certificate::{self, CertificateKind};
use kiosk::documents::{form, id_copy, queue_ticket, samples};

fn documents(c: &mut Criterion) {
    let ticket = samples::ticket();
    c.bench_function("queue_ticket_build", |b| {
        b.iter(|| queue_ticket::render(black_box(&ticket)))
    });

    let cert = samples::certificate(CertificateKind::SocialInsuranceContribution);
    let size = certificate::render(&cert, RECEIPT_FONT).unwrap().len();
    println!(
        "certificate_pdf size: {size} bytes ({:.1} KB)",
        size as f64 / 1024.0
    );
    let mut g = c.benchmark_group("a4");
    g.sample_size(20);
    g.bench_function("certificate_pdf", |b| {
        b.iter(|| certificate::render(black_box(&cert), RECEIPT_FONT).unwrap())
    });
    let tpl = samples::form_template();
    let fill = samples::form_fill();
    g.bench_function("form_filled_pdf", |b| {
        b.iter(|| form::render(black_box(&tpl), &fill, RECEIPT_FONT).unwrap())
    });
    let copy = samples::id_copy();
    let size = id_copy::render(&copy, RECEIPT_FONT).unwrap().len();
    println!(
        "id_copy_pdf size: {size} bytes ({:.1} KB)",
        size as f64 / 1024.0
    );
    g.bench_function("id_copy_pdf", |b| {
        b.iter(|| id_copy::render(black_box(&copy), RECEIPT_FONT).unwrap())
    });
    g.finish();
}

/// Each kind of certificate the kiosk prints (issue 13: goal ≤ 30 ms and ≤ 60 KB), one with
/// the ten-year contribution table the platform sends, and the preview: the same PDF
/// rasterised by pdftoppm at the height the kiosk shows (on the worker thread).
/// `cargo bench --bench documents -- certificate`.
fn certificates(c: &mut Criterion) {
    let mut g = c.benchmark_group("certificate");
    g.sample_size(20);
    let mut ten_years = samples::certificate(CertificateKind::SocialInsuranceContribution);
    ten_years.table.truncate(1);
    for (i, year) in (2017..=2026).enumerate() {
        let base = 10_470 + 800 * i as u32;
        ten_years.table.push(vec![
            year.to_string(),
            "12".into(),
            base.to_string(),
            (base * 8 / 100 * 12).to_string(),
            (base * 16 / 100 * 12).to_string(),
        ]);
    }
    let cases = [
        (
            "social_insurance",
            samples::certificate(CertificateKind::SocialInsuranceContribution),
        ),
        ("social_insurance_10y", ten_years),
        (
            "no_housing",
            samples::certificate(CertificateKind::NoHousingProperty),
        ),
        (
            "household_register",
            samples::certificate(CertificateKind::HouseholdRegister),
        ),
    ];
    for (name, cert) in &cases {
        let size = certificate::render(cert, A4_FONT).unwrap().len();
        println!(
            "certificate/{name} size: {size} bytes ({:.1} KB)",
            size as f64 / 1024.0
        );
        g.bench_function(*name, |b| {
            b.iter(|| certificate::render(black_box(cert), A4_FONT).unwrap())
        });
    }
    let pdf = certificate::render(&cases[1].1, A4_FONT).unwrap();
    g.bench_function("preview_1100px", |b| {
        b.iter(|| {
            kiosk::documents::preview::rasterise(
                black_box(&pdf),
                kiosk::services::certificate::worker::PREVIEW_HEIGHT_PX,
            )
            .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, documents, certificates);
criterion_main!(benches);
