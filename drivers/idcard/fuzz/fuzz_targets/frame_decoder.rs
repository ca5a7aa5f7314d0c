//! Any bytes from the wire: the response and command decoders must return, never panic, and
//! a decoded frame must re-encode to the bytes it was decoded from.
#![no_main]

use idcard::sam_frame::{decode_command, decode_response, encode_raw_command, encode_response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((response, used)) = decode_response(data) {
        assert!(used <= data.len());
        let again = encode_response(response.status.code(), &response.data);
        assert!(data[..used].ends_with(&again));
    }
    if let Ok((frame, used)) = decode_command(data) {
        assert!(used <= data.len());
        let again = encode_raw_command(frame.cmd, frame.para, &frame.data);
        assert!(data[..used].ends_with(&again));
    }
});
