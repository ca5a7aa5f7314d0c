//! The card's photo: 1024 bytes of WLT, a proprietary compression only the reader vendors'
//! libraries decode.
//!
//! [`WltDecoder::load`] loads such a library at run time (`libloading`), so the kiosk builds
//! and runs without it: where none is installed the card is read without a decoded photo and
//! the UI shows a neutral silhouette. Nothing here ever fails a card read; callers decode
//! after the read and treat a [`PhotoError`] as "no photo".
//!
//! The library must export the function vendor libraries (`libwlt2bmp.so`, `libdewlt.so`)
//! ship under the name `unpack`:
//!
//! ```c
//! int unpack(char *wlt /* 1024 bytes */, char *bmp /* >= 38862 bytes */, int save);
//! ```
//!
//! returning 1 on success and writing a 24-bit 102×126 BMP (with its 54-byte header) into
//! `bmp`; `save` is passed as 602, which vendor samples use for "do not write a file".

use std::ffi::{c_char, c_int};
use std::path::{Path, PathBuf};

use crate::text_block::PHOTO_LEN;

/// Width of the decoded photo.
pub const PHOTO_WIDTH: u32 = 102;
/// Height of the decoded photo.
pub const PHOTO_HEIGHT: u32 = 126;
/// Size of the decoded BMP: 54-byte header + 126 rows of 102 × 3 bytes padded to 308.
pub const BMP_LEN: usize = 54 + 308 * 126;
/// The symbol looked up in the vendor library.
pub const UNPACK_SYMBOL: &str = "unpack";
/// The `save` argument vendor samples pass: decode into the buffer, write no file.
const NO_FILE: c_int = 602;
/// Room given to the vendor function beyond the BMP, against libraries that write more.
const SLACK: usize = 4096;

type UnpackFn = unsafe extern "C" fn(*mut c_char, *mut c_char, c_int) -> c_int;

/// Why a photo was not decoded. None of these fail a card read; the messages never contain
/// photo bytes.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The library could not be loaded (missing file, wrong architecture, missing deps).
    #[error("cannot load the WLT photo library {path}: {reason}")]
    Load {
        /// The configured path.
        path: PathBuf,
        /// What the loader said.
        reason: String,
    },
    /// The library has no `unpack` function.
    #[error("the WLT photo library {path} has no `unpack` function")]
    Symbol {
        /// The configured path.
        path: PathBuf,
    },
    /// The card's photo is not the 1024 bytes WLT needs.
    #[error("the card's photo is {len} bytes, WLT photos are 1024")]
    Size {
        /// Bytes present.
        len: usize,
    },
    /// The vendor function reported a failure.
    #[error("the WLT photo library could not decode the photo (it returned {code})")]
    Vendor {
        /// What `unpack` returned.
        code: i32,
    },
    /// The library returned success but the output is not a 102×126 24-bit BMP.
    #[error("the WLT photo library returned something that is not a 102x126 BMP")]
    NotBmp,
}

/// A loaded vendor WLT library.
pub struct WltDecoder {
    path: PathBuf,
    // Kept loaded for as long as `unpack` may be called.
    _library: libloading::Library,
    unpack: UnpackFn,
}

impl std::fmt::Debug for WltDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WltDecoder")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl WltDecoder {
    /// Loads the vendor library at `path` and finds its `unpack` function.
    pub fn load(path: &Path) -> Result<WltDecoder, PhotoError> {
        // SAFETY: loading runs the library's initialisers. The path comes from the kiosk's
        // configuration, written by the operator who installed the vendor library; it is
        // trusted exactly as much as the kiosk binary itself.
        let library = unsafe { libloading::Library::new(path) }.map_err(|e| PhotoError::Load {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        // SAFETY: the signature is the one documented for vendor WLT libraries (module docs);
        // the pointer is only used while `library` is alive, as it is kept in `self`.
        let unpack: UnpackFn = unsafe {
            *library
                .get::<UnpackFn>(UNPACK_SYMBOL.as_bytes())
                .map_err(|_| PhotoError::Symbol {
                    path: path.to_owned(),
                })?
        };
        Ok(WltDecoder {
            path: path.to_owned(),
            _library: library,
            unpack,
        })
    }

    /// The library's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Decodes a 1024-byte WLT photo into a 102×126 24-bit BMP file image.
    pub fn decode(&self, wlt: &[u8]) -> Result<Vec<u8>, PhotoError> {
        if wlt.len() != PHOTO_LEN {
            return Err(PhotoError::Size { len: wlt.len() });
        }
        // Vendor functions take `char *` without const: give them copies.
        let mut input = wlt.to_vec();
        let mut output = vec![0u8; BMP_LEN + SLACK];
        // SAFETY: `input` holds the 1024 bytes the function reads and `output` more than the
        // 38862 bytes it writes; both outlive the call.
        let code = unsafe {
            (self.unpack)(
                input.as_mut_ptr().cast::<c_char>(),
                output.as_mut_ptr().cast::<c_char>(),
                NO_FILE,
            )
        };
        if code != 1 {
            return Err(PhotoError::Vendor { code });
        }
        output.truncate(BMP_LEN);
        check_bmp(&output)?;
        Ok(output)
    }
}

/// Checks that `bmp` is a 24-bit 102×126 BMP (rows bottom-up or top-down).
pub fn check_bmp(bmp: &[u8]) -> Result<(), PhotoError> {
    let u32_at = |i: usize| {
        bmp.get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let i32_at = |i: usize| u32_at(i).map(|v| v as i32);
    let bpp = bmp.get(28..30).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let ok = bmp.len() >= BMP_LEN
        && bmp.starts_with(b"BM")
        && i32_at(18) == Some(PHOTO_WIDTH as i32)
        && i32_at(22).map(i32::unsigned_abs) == Some(PHOTO_HEIGHT)
        && bpp == Some(24);
    if ok {
        Ok(())
    } else {
        Err(PhotoError::NotBmp)
    }
}

/// A decoded photo as 8-bit RGBA, rows top-down: what a screen can show.
#[derive(Clone, PartialEq, Eq)]
pub struct RgbaPhoto {
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
    /// `width * height * 4` bytes, R G B A.
    pub pixels: Vec<u8>,
}

// A card photo is personal data: a stray `{:?}` shows its size only.
impl std::fmt::Debug for RgbaPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RgbaPhoto({}x{})", self.width, self.height)
    }
}

/// A 24-bit uncompressed BMP (the vendor library's 102×126 output) as RGBA; `None` for
/// anything else (other depths, compressed, cut short), never a panic. Kept here, next to
/// the decoder that makes the BMP, rather than pulling in an image crate for one format.
pub fn bmp_to_rgba(bmp: &[u8]) -> Option<RgbaPhoto> {
    let u32_at = |i: usize| {
        bmp.get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let offset = u32_at(10)? as usize;
    let width = u32_at(18)? as i32;
    let height = u32_at(22)? as i32;
    let bpp = bmp.get(28..30).map(|b| u16::from_le_bytes([b[0], b[1]]))?;
    if bpp != 24 || width <= 0 || height == 0 || width > 4096 || height.abs() > 4096 {
        return None;
    }
    let (w, h) = (width as usize, height.unsigned_abs() as usize);
    let stride = (w * 3).div_ceil(4) * 4;
    let mut pixels = Vec::with_capacity(w * h * 4);
    for y in 0..h {
        // Positive height: rows are stored bottom-up.
        let row = if height > 0 { h - 1 - y } else { y };
        let start = offset + row * stride;
        let line = bmp.get(start..start + w * 3)?;
        for bgr in line.chunks_exact(3) {
            pixels.extend_from_slice(&[bgr[2], bgr[1], bgr[0], 255]);
        }
    }
    Some(RgbaPhoto {
        width: w as u32,
        height: h as u32,
        pixels,
    })
}

/// Decodes `wlt` with the library at `library`, if one is configured: `None` when there is no
/// library, no photo, or decoding failed (the reason is returned alongside for the log).
///
/// The convenience for callers that must never fail a read for the photo.
pub fn decode_optional(
    decoder: Option<&WltDecoder>,
    wlt: Option<&[u8]>,
) -> (Option<Vec<u8>>, Option<PhotoError>) {
    match (decoder, wlt) {
        (Some(decoder), Some(wlt)) => match decoder.decode(wlt) {
            Ok(bmp) => (Some(bmp), None),
            Err(e) => (None, Some(e)),
        },
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_is_a_load_error() {
        let err = WltDecoder::load(Path::new("/nonexistent/libwlt2bmp.so")).expect_err("absent");
        assert!(matches!(err, PhotoError::Load { .. }), "{err}");
        assert!(
            err.to_string().contains("/nonexistent/libwlt2bmp.so"),
            "{err}"
        );
    }

    #[test]
    fn bmp_check_wants_the_right_header() {
        assert!(matches!(check_bmp(&[0; 10]), Err(PhotoError::NotBmp)));
        let mut bmp = vec![0u8; BMP_LEN];
        bmp[..2].copy_from_slice(b"BM");
        bmp[18..22].copy_from_slice(&102i32.to_le_bytes());
        bmp[22..26].copy_from_slice(&(-126i32).to_le_bytes());
        bmp[28..30].copy_from_slice(&24u16.to_le_bytes());
        assert!(check_bmp(&bmp).is_ok());
        bmp[28] = 8;
        assert!(check_bmp(&bmp).is_err());
    }

    #[test]
    fn no_decoder_means_no_photo_and_no_error() {
        assert!(matches!(
            decode_optional(None, Some(&[0; 1024])),
            (None, None)
        ));
    }
    /// A 2×2 24-bit BMP, bottom-up, rows padded to 4 bytes.
    fn tiny_bmp() -> Vec<u8> {
        let mut b = vec![0u8; 54];
        b[0..2].copy_from_slice(b"BM");
        b[10..14].copy_from_slice(&54u32.to_le_bytes());
        b[14..18].copy_from_slice(&40u32.to_le_bytes());
        b[18..22].copy_from_slice(&2i32.to_le_bytes());
        b[22..26].copy_from_slice(&2i32.to_le_bytes());
        b[26..28].copy_from_slice(&1u16.to_le_bytes());
        b[28..30].copy_from_slice(&24u16.to_le_bytes());
        // Bottom row: blue, green (BGR); then 2 bytes padding.
        b.extend_from_slice(&[255, 0, 0, 0, 255, 0, 0, 0]);
        // Top row: red, white.
        b.extend_from_slice(&[0, 0, 255, 255, 255, 255, 0, 0]);
        b
    }

    #[test]
    fn a_bottom_up_bmp_becomes_top_down_rgba() {
        let img = bmp_to_rgba(&tiny_bmp()).expect("decodes");
        assert_eq!((img.width, img.height), (2, 2));
        assert_eq!(
            img.pixels,
            vec![255, 0, 0, 255, 255, 255, 255, 255, 0, 0, 255, 255, 0, 255, 0, 255]
        );
        assert_eq!(format!("{img:?}"), "RgbaPhoto(2x2)");
    }

    #[test]
    fn short_or_odd_bmps_are_refused_not_panicked_on() {
        let bmp = tiny_bmp();
        assert!(bmp_to_rgba(&bmp[..60]).is_none());
        assert!(bmp_to_rgba(&[]).is_none());
        let mut eight_bit = bmp.clone();
        eight_bit[28] = 8;
        assert!(bmp_to_rgba(&eight_bit).is_none());
    }
}
