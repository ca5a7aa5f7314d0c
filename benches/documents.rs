//! Layout costs: the queue ticket's ESC/POS bytes (target ≤ 1 ms) and the certificate PDF
//! (target ≤ 100 ms and ≤ 300 KB). `cargo bench --bench documents`; figures in
//! docs/benchmarks.md.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
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

criterion_group!(benches, documents);
criterion_main!(benches);
