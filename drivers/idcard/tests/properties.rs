//! Property tests: round trips, and no input ever panics the decoders.

use std::collections::VecDeque;
use std::io::{self, Read, Write};

use idcard::id_number::{check_digit, mask, validate};
use idcard::sam_frame::{
    decode_command, decode_response, encode_command, encode_command_with_data, encode_response,
    Command, FrameError, Status,
};
use idcard::text_block::{
    decode_text_block, encode_text_block, encode_text_photo_fingerprint, split_text_photo,
    split_text_photo_fingerprint, IdCardText,
};
use idcard::IdCardReader;
use proptest::prelude::*;

/// A field value that survives the fixed-width encoding: BMP only, no trailing padding.
fn field(max_chars: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        any::<char>().prop_filter("BMP", |c| (*c as u32) < 0x10000),
        0..=max_chars,
    )
    .prop_map(|chars| {
        chars
            .into_iter()
            .collect::<String>()
            .trim_end_matches([' ', '\0'])
            .to_owned()
    })
}

/// Reads hand out the scripted chunks, then time out.
struct Chunks(VecDeque<Vec<u8>>);

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(mut chunk) = self.0.pop_front() else {
            return Err(io::ErrorKind::TimedOut.into());
        };
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        if n < chunk.len() {
            self.0.push_front(chunk.split_off(n));
        }
        Ok(n)
    }
}

impl Write for Chunks {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

proptest! {
    #[test]
    fn responses_round_trip(status: u8, data in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let bytes = encode_response(status, &data);
        let (resp, used) = decode_response(&bytes).expect("decodes");
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(resp.status, Status::from_code(status));
        prop_assert_eq!(resp.data, data);
    }

    #[test]
    fn every_command_round_trips_with_any_data(
        index in 0..Command::ALL.len(),
        data in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let cmd = Command::ALL[index];
        let bytes = encode_command_with_data(cmd, &data);
        let (frame, used) = decode_command(&bytes).expect("decodes");
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(frame.command(), Some(cmd));
        prop_assert_eq!(&frame.data, &data);
        if data.is_empty() {
            prop_assert_eq!(bytes, encode_command(cmd));
        }
    }

    #[test]
    fn fingerprint_answers_round_trip(
        photo in proptest::collection::vec(any::<u8>(), 0..1100),
        fingerprint in proptest::collection::vec(any::<u8>(), 0..1100),
        name in field(15),
    ) {
        let text = IdCardText { name, ..IdCardText::default() };
        let block = encode_text_block(&text);
        let data = encode_text_photo_fingerprint(&block, &photo, &fingerprint);
        let (resp, _) = decode_response(&encode_response(0x90, &data)).expect("frame");
        let parts = split_text_photo_fingerprint(&resp.data).expect("splits");
        prop_assert_eq!(parts.text, &block[..]);
        prop_assert_eq!(parts.photo, &photo[..]);
        prop_assert_eq!(parts.fingerprint, &fingerprint[..]);
        prop_assert_eq!(decode_text_block(parts.text).expect("text"), text);
    }

    #[test]
    fn noise_before_a_response_is_skipped(
        noise in proptest::collection::vec(0u8..0xAA, 0..50),
        status: u8,
        data in proptest::collection::vec(any::<u8>(), 0..50),
    ) {
        let mut bytes = noise.clone();
        bytes.extend(encode_response(status, &data));
        let (resp, used) = decode_response(&bytes).expect("decodes");
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(resp.data, data);
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = decode_response(&bytes);
        let _ = decode_command(&bytes);
        let _ = decode_text_block(&bytes);
        let _ = split_text_photo(&bytes);
        let _ = split_text_photo_fingerprint(&bytes);
        // Behind a valid preamble the length and checksum paths get exercised too.
        let mut framed = vec![0xAA, 0xAA, 0xAA, 0x96, 0x69];
        framed.extend_from_slice(&bytes);
        match decode_response(&framed) {
            Ok((_, used)) => prop_assert!(used <= framed.len()),
            Err(FrameError::NoPreamble { garbage }) => prop_assert!(garbage <= framed.len()),
            Err(_) => {}
        }
        let _ = decode_command(&framed);
    }

    #[test]
    fn random_text_blocks_never_panic(block in proptest::collection::vec(any::<u8>(), 256)) {
        if let Ok(text) = decode_text_block(&block) {
            let _ = idcard::IdCard::from_text(&text, None);
        }
    }

    #[test]
    fn reader_survives_any_answer(answer in proptest::collection::vec(any::<u8>(), 0..1500)) {
        let mut reader = IdCardReader::new(Chunks(VecDeque::from([answer.clone()])));
        let _ = reader.read_card();
        let mut reader = IdCardReader::new(Chunks(VecDeque::from([answer.clone()])));
        let _ = reader.read_text_photo_fingerprint();
        let mut reader = IdCardReader::new(Chunks(VecDeque::from([answer])));
        let _ = reader.read_sam_id();
    }

    #[test]
    fn answers_split_anywhere_are_reassembled(
        data in proptest::collection::vec(any::<u8>(), 0..300),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let bytes = encode_response(0x9F, &data);
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len())).collect();
        points.extend([0, bytes.len()]);
        points.sort_unstable();
        // Empty reads mean end of stream, so duplicate cut points are dropped.
        points.dedup();
        let chunks = points.windows(2).map(|w| bytes[w[0]..w[1]].to_vec()).collect();
        let mut reader = IdCardReader::new(Chunks(chunks));
        prop_assert!(reader.find_card().expect("answer reassembled"));
    }

    #[test]
    fn text_blocks_round_trip(
        name in field(15), sex in field(1), nation in field(2), birth in field(8),
        address in field(35), id_number in field(18), authority in field(15),
        valid_from in field(8), valid_to in field(8),
    ) {
        let text = IdCardText {
            name, sex, nation, birth, address, id_number, authority, valid_from, valid_to,
        };
        prop_assert_eq!(decode_text_block(&encode_text_block(&text)).expect("decodes"), text);
    }

    #[test]
    fn computed_check_digits_validate(
        region in 110000u32..660000,
        date in (1900i32..2100, 1u32..=12, 1u32..=28),
        seq in 0u32..1000,
    ) {
        let first17 = format!("{region:06}{:04}{:02}{:02}{seq:03}", date.0, date.1, date.2);
        let id = format!("{first17}{}", check_digit(&first17));
        prop_assert_eq!(validate(&id), Ok(()));
        let masked = mask(&id);
        prop_assert_eq!(&masked[..6], &id[..6]);
        prop_assert_eq!(&masked[14..], &id[14..]);
        prop_assert_eq!(&masked[6..14], "********");
        // Any other check character is rejected.
        for other in "0123456789X".chars().filter(|c| !id.ends_with(*c)) {
            let wrong = format!("{first17}{other}");
            prop_assert!(validate(&wrong).is_err());
        }
    }

    #[test]
    fn id_functions_never_panic(s in ".{0,30}") {
        let _ = validate(&s);
        let _ = check_digit(&s);
        prop_assert_eq!(mask(&s).chars().count(), s.chars().count());
    }
}
