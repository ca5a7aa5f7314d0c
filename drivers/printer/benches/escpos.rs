//! Receipt printer costs: building a ticket-sized ESC/POS job, parsing it back, rendering it
//! to PNG in the virtual printer, and the paper estimate. `cargo bench -p printer`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use printer::virtual_printer::{encode_png, parse_all, render, FontData};
use printer::{Align, EscPosBuilder};

fn job() -> Vec<u8> {
    EscPosBuilder::new()
        .init()
        .align(Align::Center)
        .bold(true)
        .line("示范市政务服务中心")
        .bold(false)
        .size(2, 2)
        .line("综合受理")
        .size(4, 4)
        .line("A012")
        .size(1, 1)
        .line("您前面还有 3 人 / 3 ahead")
        .align(Align::Left)
        .line("取号时间: 2026-11-24 09:31")
        .line("身份证号: 110101********0015")
        .align(Align::Center)
        .qr("https://zwfw.example.gov.cn/q/follow/7f3a9c", 6)
        .feed(3)
        .cut(true)
        .build()
}

fn escpos(c: &mut Criterion) {
    c.bench_function("escpos_build_ticket", |b| b.iter(job));
    let bytes = job();
    c.bench_function("escpos_parse_ticket", |b| {
        b.iter(|| parse_all(black_box(&bytes)))
    });
    c.bench_function("paper_length_ticket", |b| {
        b.iter(|| printer::paper::job_length_mm(black_box(&bytes)))
    });
    let font_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets/fonts/wqy-microhei.ttc");
    let font = FontData::from_bytes(std::fs::read(font_path).unwrap()).unwrap();
    let receipt = parse_all(&bytes).remove(0);
    let mut g = c.benchmark_group("virtual_printer");
    g.sample_size(20);
    g.bench_function("render_png_ticket", |b| {
        b.iter(|| encode_png(&render(black_box(&receipt), &font)))
    });
    g.finish();
}

criterion_group!(benches, escpos);
criterion_main!(benches);
