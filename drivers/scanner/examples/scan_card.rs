//! A technician's check of a document scanner: scans once, finds the card and writes both
//! images as PPM files.
//!
//! ```text
//! cargo run --release -p scanner --example scan_card -- DEVICE OUT_DIR [DPI] [LEFT TOP WIDTH HEIGHT]
//! cargo run --release -p scanner --example scan_card -- test:0 /tmp/scan 300 0 0 148 210
//! ```
//!
//! The files hold a copy of whatever card was on the glass: delete them when done.

use std::path::{Path, PathBuf};
use std::time::Duration;

use scanner::crop::{crop_card, CropOptions};
use scanner::sane::{DocScanner, DocScannerConfig, ScannedImage};

fn write_ppm(path: &Path, img: &ScannedImage) -> std::io::Result<()> {
    let mut data = format!("P6\n{} {}\n255\n", img.width, img.height).into_bytes();
    data.extend_from_slice(&img.rgb);
    std::fs::write(path, data)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(device), Some(out)) = (args.first(), args.get(1)) else {
        eprintln!(
            "usage: scan_card DEVICE OUT_DIR [DPI] [LEFT TOP WIDTH HEIGHT] (see scanimage -L)"
        );
        std::process::exit(2);
    };
    let mut config = DocScannerConfig::new(device.clone());
    config.timeout = Duration::from_secs(120);
    if let Some(dpi) = args.get(2) {
        config.resolution_dpi = dpi.parse().unwrap_or_else(|_| {
            eprintln!("DPI {dpi:?} is not a number");
            std::process::exit(2)
        });
    }
    let area: Vec<f64> = args[3.min(args.len())..]
        .iter()
        .filter_map(|a| a.parse().ok())
        .collect();
    if let [l, t, w, h] = area[..] {
        config.area_mm = Some((l, t, w, h));
    }
    let out = PathBuf::from(out);
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("cannot create {}: {e}", out.display());
        std::process::exit(1);
    }
    let scan = match DocScanner::new(config).scan() {
        Ok(img) => img,
        Err(e) => {
            eprintln!("scan failed: {e}");
            std::process::exit(1);
        }
    };
    let (wmm, hmm) = scan.size_mm();
    println!(
        "scanned {} × {} px at {} dpi ({wmm:.1} × {hmm:.1} mm)",
        scan.width, scan.height, scan.dpi
    );
    let scan_path = out.join("scan.ppm");
    if let Err(e) = write_ppm(&scan_path, &scan) {
        eprintln!("cannot write {}: {e}", scan_path.display());
        std::process::exit(1);
    }
    println!("wrote {}", scan_path.display());
    match crop_card(&scan, &CropOptions::default()) {
        Ok(card) => {
            let card_path = out.join("card.ppm");
            if let Err(e) = write_ppm(&card_path, &card.image) {
                eprintln!("cannot write {}: {e}", card_path.display());
                std::process::exit(1);
            }
            println!("card at {:?}; wrote {}", card.crop, card_path.display());
        }
        Err(e) => {
            println!("no card: {e}");
            std::process::exit(3);
        }
    }
}
