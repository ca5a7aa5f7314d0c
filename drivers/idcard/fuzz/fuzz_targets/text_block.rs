//! Any read answer data: splitting (30 01 and 30 10 layouts), decoding the text block and
//! checking the card must return, never panic.
#![no_main]

use idcard::text_block::{decode_text_block, split_text_photo, split_text_photo_fingerprint};
use idcard::IdCard;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((text, photo)) = split_text_photo(data) {
        if let Ok(fields) = decode_text_block(text) {
            let _ = IdCard::from_text(&fields, Some(photo.to_vec()));
        }
    }
    if let Ok(parts) = split_text_photo_fingerprint(data) {
        if let Ok(fields) = decode_text_block(parts.text) {
            let _ = IdCard::from_text(&fields, None);
        }
    }
    // The raw 256-byte block as the text decoder sees it.
    if data.len() >= 256 {
        if let Ok(fields) = decode_text_block(&data[..256]) {
            let _ = IdCard::from_text(&fields, None);
        }
    }
});
