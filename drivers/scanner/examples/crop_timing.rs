//! Times the card finder on a synthetic 300 dpi A5 scan (a textured card on a white lid with
//! scanner noise). Run in release:
//!
//! ```text
//! cargo run --release -p scanner --example crop_timing
//! ```
//!
//! Prints the fastest and the median of 30 runs of `find_card` and of `crop_card`. Nothing is
//! asserted: this is for docs/devices/document-scanner.md.

use std::time::{Duration, Instant};

use scanner::crop::{crop_card, find_card, CropOptions};
use scanner::sane::ScannedImage;

fn synthetic_a5(dpi: u32) -> ScannedImage {
    let ppm = f64::from(dpi) / 25.4;
    let (w, h) = ((148.0 * ppm) as u32, (210.0 * ppm) as u32);
    let (sin, cos) = 2f64.to_radians().sin_cos();
    let (cx, cy) = (70.0, 120.0);
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    let mut seed: u32 = 0x1234_5678;
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (
                (f64::from(x) + 0.5) / ppm - cx,
                (f64::from(y) + 0.5) / ppm - cy,
            );
            let u = dx * cos + dy * sin + 42.8;
            let v = -dx * sin + dy * cos + 27.0;
            let base: [u8; 3] = if (0.0..85.6).contains(&u) && (0.0..54.0).contains(&v) {
                if v % 6.0 < 2.0 && u < 50.0 {
                    [50, 52, 70]
                } else {
                    [178, 202, 228]
                }
            } else {
                [246, 246, 244]
            };
            for c in base {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                rgb.push((i32::from(c) + (seed % 17) as i32 - 8).clamp(0, 255) as u8);
            }
        }
    }
    ScannedImage {
        width: w,
        height: h,
        rgb,
        dpi,
    }
}

fn stats(mut runs: Vec<Duration>) -> (Duration, Duration) {
    runs.sort();
    (runs[0], runs[runs.len() / 2])
}

fn main() {
    let img = synthetic_a5(300);
    let opts = CropOptions::default();
    println!(
        "synthetic A5 at 300 dpi: {} × {} px ({:.1} MB RGB)",
        img.width,
        img.height,
        img.rgb.len() as f64 / 1e6
    );
    let mut find = Vec::new();
    let mut crop = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let found = find_card(&img, &opts);
        find.push(t.elapsed());
        let t = Instant::now();
        let cropped = crop_card(&img, &opts);
        crop.push(t.elapsed());
        if let (Err(e), _) | (_, Err(e)) = (found.map(|_| ()), cropped.map(|_| ())) {
            eprintln!("no card found: {e}");
            std::process::exit(1);
        }
    }
    if let Ok(c) = find_card(&img, &opts) {
        println!("card at {c:?}");
    }
    let (fmin, fmed) = stats(find);
    let (cmin, cmed) = stats(crop);
    println!("find_card: fastest {fmin:.1?}, median {fmed:.1?}");
    println!("crop_card: fastest {cmin:.1?}, median {cmed:.1?}");
}
