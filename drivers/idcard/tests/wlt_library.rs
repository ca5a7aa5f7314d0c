//! WLT photo decoding through a library loaded at run time, against a fake vendor library
//! compiled here with rustc (the real ones are proprietary). The fake exports the vendor
//! signature `int unpack(char *wlt, char *bmp, int save)`.

use std::path::{Path, PathBuf};
use std::process::Command;

use idcard::photo::{decode_optional, PhotoError, WltDecoder, BMP_LEN};

const FAKE: &str = r#"
use std::os::raw::{c_char, c_int};

/// Writes a 102x126 24-bit BMP whose pixels repeat the WLT bytes; wlt[0] = 0xFF makes it
/// fail (returns 0), wlt[0] = 0xFE writes something that is not a BMP.
#[no_mangle]
pub unsafe extern "C" fn unpack(wlt: *mut c_char, bmp: *mut c_char, save: c_int) -> c_int {
    let wlt = std::slice::from_raw_parts(wlt as *const u8, 1024);
    let out = std::slice::from_raw_parts_mut(bmp as *mut u8, 38862);
    if save != 602 || wlt[0] == 0xFF {
        return 0;
    }
    if wlt[0] == 0xFE {
        out[..2].copy_from_slice(b"XX");
        return 1;
    }
    out.fill(0);
    out[..2].copy_from_slice(b"BM");
    out[2..6].copy_from_slice(&38862u32.to_le_bytes());
    out[10..14].copy_from_slice(&54u32.to_le_bytes());
    out[14..18].copy_from_slice(&40u32.to_le_bytes());
    out[18..22].copy_from_slice(&102i32.to_le_bytes());
    out[22..26].copy_from_slice(&126i32.to_le_bytes());
    out[26..28].copy_from_slice(&1u16.to_le_bytes());
    out[28..30].copy_from_slice(&24u16.to_le_bytes());
    for (i, b) in out[54..].iter_mut().enumerate() {
        *b = wlt[i % 1024];
    }
    1
}
"#;

/// Builds the fake library once per test process.
fn fake_library() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("idcard-fake-wlt-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let src = dir.join("fake_wlt.rs");
            std::fs::write(&src, FAKE).expect("source");
            let lib = dir.join("libfakewlt.so");
            let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
            let status = Command::new(rustc)
                .args(["--crate-type", "cdylib", "--edition", "2021", "-O", "-o"])
                .arg(&lib)
                .arg(&src)
                .status()
                .expect("rustc runs");
            assert!(status.success(), "fake library compiles");
            lib
        })
        .clone()
}

#[test]
fn decodes_through_the_vendor_function() {
    let decoder = WltDecoder::load(&fake_library()).expect("loads");
    let wlt: Vec<u8> = (0..1024u32).map(|i| (i % 200) as u8).collect();
    let bmp = decoder.decode(&wlt).expect("decodes");
    assert_eq!(bmp.len(), BMP_LEN);
    assert_eq!(&bmp[..2], b"BM");
    assert_eq!(bmp[54..60], wlt[..6]);
    let (photo, problem) = decode_optional(Some(&decoder), Some(&wlt));
    assert_eq!(photo, Some(bmp));
    assert!(problem.is_none());
}

#[test]
fn every_failure_is_a_photo_error_not_a_panic() {
    let decoder = WltDecoder::load(&fake_library()).expect("loads");
    let mut wlt = vec![0u8; 1024];
    wlt[0] = 0xFF;
    assert!(matches!(
        decoder.decode(&wlt),
        Err(PhotoError::Vendor { code: 0 })
    ));
    wlt[0] = 0xFE;
    assert!(matches!(decoder.decode(&wlt), Err(PhotoError::NotBmp)));
    assert!(matches!(
        decoder.decode(&[0; 1000]),
        Err(PhotoError::Size { len: 1000 })
    ));
    let (photo, problem) = decode_optional(Some(&decoder), Some(&wlt));
    assert!(photo.is_none());
    let problem = problem.expect("reason");
    // The message never carries photo bytes.
    assert!(!problem.to_string().contains("254"), "{problem}");
}

#[test]
fn a_library_without_unpack_is_refused_by_name() {
    // libc is on every Linux machine and has no `unpack`.
    let libc = [
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/lib64/libc.so.6",
    ]
    .into_iter()
    .map(Path::new)
    .find(|p| p.exists());
    let Some(libc) = libc else {
        // Not a glibc system: the missing-library path is covered by the unit tests.
        return;
    };
    let err = WltDecoder::load(libc).expect_err("no unpack");
    assert!(matches!(err, PhotoError::Symbol { .. }), "{err}");
    assert!(err.to_string().contains("no `unpack` function"), "{err}");
}
