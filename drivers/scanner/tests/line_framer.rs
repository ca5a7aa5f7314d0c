//! Properties of the line framer: how the bytes are split into reads never changes the
//! result, and any input is handled without panicking.

use proptest::prelude::*;
use scanner::line::{Encoding, LineConfig, LineError, LineFramer, Scan};

fn run(config: &LineConfig, chunks: &[&[u8]]) -> Vec<Result<Scan, LineError>> {
    let mut f = LineFramer::new(config.clone());
    chunks.iter().flat_map(|c| f.feed(c)).collect()
}

proptest! {
    /// Splitting the stream at any point gives the same scans and errors as one read.
    #[test]
    fn chunking_does_not_matter(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
        gbk in any::<bool>(),
    ) {
        let config = LineConfig {
            max_len: 40,
            encoding: if gbk { Encoding::Gbk } else { Encoding::Utf8 },
            ..LineConfig::default()
        };
        let whole = run(&config, &[&bytes]);
        let mut at: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        at.sort_unstable();
        let mut chunks = Vec::new();
        let mut prev = 0;
        for a in at {
            chunks.push(&bytes[prev..a]);
            prev = a;
        }
        chunks.push(&bytes[prev..]);
        prop_assert_eq!(run(&config, &chunks), whole);
    }

    /// Lines of printable text with any terminator come back as they were sent.
    #[test]
    fn printable_lines_round_trip(
        lines in proptest::collection::vec("[ -~]{1,60}", 1..10),
        term in prop::sample::select(vec!["\r", "\n", "\r\n", "\r\n\r\n"]),
    ) {
        let mut bytes = Vec::new();
        for l in &lines {
            bytes.extend_from_slice(l.as_bytes());
            bytes.extend_from_slice(term.as_bytes());
        }
        let got: Vec<String> = run(&LineConfig::default(), &[&bytes])
            .into_iter()
            .map(|r| r.map(|s| s.text))
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(got, lines);
    }

    /// Accepted scans are never empty, never over the limit, never contain a terminator.
    #[test]
    fn accepted_scans_are_bounded(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        for scan in run(&LineConfig { max_len: 64, ..LineConfig::default() }, &[&bytes])
            .into_iter()
            .flatten()
        {
            prop_assert!(!scan.text.is_empty());
            prop_assert!(scan.text.len() <= 64);
            prop_assert!(!scan.text.contains(['\r', '\n']));
        }
    }
}
