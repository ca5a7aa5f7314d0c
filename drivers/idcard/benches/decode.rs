//! Decoding speed: a whole read answer (frame + text block) as the reader sends it.
//!
//! `cargo bench -p idcard --bench decode`; the figure is in docs/benchmarks.md.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use idcard::sam_frame::{decode_response, encode_response};
use idcard::sim::sample_cards;
use idcard::text_block::{
    decode_text_block, encode_text_block, encode_text_photo, split_text_photo,
};

fn read_answer() -> Vec<u8> {
    let card = &sample_cards()[0];
    let block = encode_text_block(&card.to_text());
    let photo = card.photo.clone().unwrap_or_default();
    encode_response(0x90, &encode_text_photo(&block, &photo))
}

fn decode(c: &mut Criterion) {
    let answer = read_answer();
    let find = encode_response(0x9F, &[0; 4]);
    let mut group = c.benchmark_group("idcard");
    group.throughput(Throughput::Elements(1));
    group.bench_function("read answer: frame + text block (1295 B)", |b| {
        b.iter(|| {
            let (response, _) = decode_response(black_box(&answer)).expect("frame");
            let (text, _photo) = split_text_photo(&response.data).expect("split");
            decode_text_block(text).expect("text")
        })
    });
    group.bench_function("find-card answer: frame (15 B)", |b| {
        b.iter(|| decode_response(black_box(&find)).expect("frame"))
    });
    let block = encode_text_block(&sample_cards()[0].to_text());
    group.bench_function("text block alone (256 B)", |b| {
        b.iter(|| decode_text_block(black_box(&block)).expect("text"))
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
