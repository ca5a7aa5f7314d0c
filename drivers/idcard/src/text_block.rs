//! The 256-byte text block of the card, and the text+photo payload that carries it.
//!
//! The block is UCS-2 little-endian with fixed-width fields padded with spaces. This module
//! only splits and joins the fields; checking what they mean is [`crate::IdCard::from_text`].

use std::fmt;

/// Size of the text block in bytes.
pub const TEXT_BLOCK_LEN: usize = 256;

/// Size of the WLT photo on a resident ID card.
pub const PHOTO_LEN: usize = 1024;

/// One fixed-width field: (name used in errors, byte offset, byte length).
type Field = (&'static str, usize, usize);

const NAME: Field = ("name", 0, 30);
const SEX: Field = ("sex", 30, 2);
const NATION: Field = ("nation", 32, 4);
const BIRTH: Field = ("birth", 36, 16);
const ADDRESS: Field = ("address", 52, 70);
const ID_NUMBER: Field = ("id number", 122, 36);
const AUTHORITY: Field = ("authority", 158, 30);
const VALID_FROM: Field = ("valid from", 188, 16);
const VALID_TO: Field = ("valid to", 204, 16);

/// The text fields of a card exactly as stored, trailing padding removed.
///
/// `Debug` is written by hand so that the personal fields never reach a log.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IdCardText {
    /// Name (up to 15 characters).
    pub name: String,
    /// Sex code: `"1"` male, `"2"` female.
    pub sex: String,
    /// Nation code, `"01"`..`"56"`, `"97"`, `"98"`.
    pub nation: String,
    /// Birth date, `YYYYMMDD`.
    pub birth: String,
    /// Address (up to 35 characters).
    pub address: String,
    /// The 18-character citizen ID number.
    pub id_number: String,
    /// Issuing authority (up to 15 characters).
    pub authority: String,
    /// Start of validity, `YYYYMMDD`.
    pub valid_from: String,
    /// End of validity, `YYYYMMDD` or `长期` (long-term).
    pub valid_to: String,
}

impl fmt::Debug for IdCardText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdCardText")
            .field("name", &crate::Redacted)
            .field("sex", &crate::Redacted)
            .field("nation", &crate::Redacted)
            .field("birth", &crate::Redacted)
            .field("address", &crate::Redacted)
            .field("id_number", &crate::id_number::mask(&self.id_number))
            .field("authority", &self.authority)
            .field("valid_from", &self.valid_from)
            .field("valid_to", &self.valid_to)
            .finish()
    }
}

/// Why card data could not be turned into card fields.
///
/// The messages name the field but never its content: the content is personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextBlockError {
    /// The text block does not have the fixed size of 256 bytes.
    #[error("text block is {actual} bytes long, expected 256")]
    Length {
        /// Bytes present.
        actual: usize,
    },
    /// The response holds fewer bytes than its length header announces.
    #[error("card data truncated: {declared} bytes announced, {actual} received")]
    Truncated {
        /// Bytes the header announces (headers included).
        declared: usize,
        /// Bytes present.
        actual: usize,
    },
    /// A field is not valid UCS-2 (an unpaired surrogate).
    #[error("the {field} field is not valid UCS-2 text")]
    Encoding {
        /// Which field.
        field: &'static str,
    },
    /// The sex code is neither `1` nor `2`.
    #[error("the sex field is not 1 (male) or 2 (female)")]
    Sex,
    /// The nation code is not in the GB 3304 table.
    #[error("the nation field is not a known nation code")]
    Nation,
    /// A date field is not a real `YYYYMMDD` calendar date.
    #[error("the {field} field is not a real date (YYYYMMDD)")]
    Date {
        /// Which field.
        field: &'static str,
    },
    /// The validity period ends before it starts.
    #[error("the card's validity period ends before it starts")]
    ValidityOrder,
    /// A field that must hold text (the name) is empty.
    #[error("the {field} field is empty")]
    Empty {
        /// Which field.
        field: &'static str,
    },
    /// A text field holds characters no real card has and that would act on the screen,
    /// the paper or the platform: control characters (escape sequences drive printers and
    /// terminals), invisible format characters (bidi overrides reorder what is shown), or
    /// markup (`<`, `>`, `&`).
    #[error("the {field} field holds control characters or markup")]
    Unsafe {
        /// Which field.
        field: &'static str,
    },
}

fn decode_field(block: &[u8], (name, offset, len): Field) -> Result<String, TextBlockError> {
    let units = block[offset..offset + len]
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]));
    let text: String = char::decode_utf16(units)
        .collect::<Result<_, _>>()
        .map_err(|_| TextBlockError::Encoding { field: name })?;
    Ok(text.trim_end_matches([' ', '\0']).to_owned())
}

/// Splits a 256-byte text block into its fields.
pub fn decode_text_block(block: &[u8]) -> Result<IdCardText, TextBlockError> {
    if block.len() != TEXT_BLOCK_LEN {
        return Err(TextBlockError::Length {
            actual: block.len(),
        });
    }
    Ok(IdCardText {
        name: decode_field(block, NAME)?,
        sex: decode_field(block, SEX)?,
        nation: decode_field(block, NATION)?,
        birth: decode_field(block, BIRTH)?,
        address: decode_field(block, ADDRESS)?,
        id_number: decode_field(block, ID_NUMBER)?,
        authority: decode_field(block, AUTHORITY)?,
        valid_from: decode_field(block, VALID_FROM)?,
        valid_to: decode_field(block, VALID_TO)?,
    })
}

fn encode_field(block: &mut [u8; TEXT_BLOCK_LEN], value: &str, (_, offset, len): Field) {
    let mut units: Vec<u16> = value.encode_utf16().take(len / 2).collect();
    // Cutting between the halves of a surrogate pair would leave invalid UCS-2 behind.
    if units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
        units.pop();
    }
    for (i, unit) in units.iter().enumerate() {
        let at = offset + 2 * i;
        block[at..at + 2].copy_from_slice(&unit.to_le_bytes());
    }
}

/// Builds a text block from fields (the simulator's side); too-long fields are cut to fit
/// and the padding and the reserved area are spaces, as on real cards.
pub fn encode_text_block(text: &IdCardText) -> [u8; TEXT_BLOCK_LEN] {
    let mut block = [0u8; TEXT_BLOCK_LEN];
    for pair in block.chunks_exact_mut(2) {
        pair.copy_from_slice(&[0x20, 0x00]);
    }
    encode_field(&mut block, &text.name, NAME);
    encode_field(&mut block, &text.sex, SEX);
    encode_field(&mut block, &text.nation, NATION);
    encode_field(&mut block, &text.birth, BIRTH);
    encode_field(&mut block, &text.address, ADDRESS);
    encode_field(&mut block, &text.id_number, ID_NUMBER);
    encode_field(&mut block, &text.authority, AUTHORITY);
    encode_field(&mut block, &text.valid_from, VALID_FROM);
    encode_field(&mut block, &text.valid_to, VALID_TO);
    block
}

/// Splits the data of a read-text+photo response (`text len u16 BE | photo len u16 BE |
/// text | photo`) into the text block and the photo.
///
/// Bytes after the announced photo are ignored: readers that also return fingerprint data
/// put it there.
pub fn split_text_photo(data: &[u8]) -> Result<(&[u8], &[u8]), TextBlockError> {
    let [t0, t1, p0, p1, rest @ ..] = data else {
        return Err(TextBlockError::Truncated {
            declared: 4,
            actual: data.len(),
        });
    };
    let text_len = usize::from(u16::from_be_bytes([*t0, *t1]));
    let photo_len = usize::from(u16::from_be_bytes([*p0, *p1]));
    if rest.len() < text_len + photo_len {
        return Err(TextBlockError::Truncated {
            declared: 4 + text_len + photo_len,
            actual: data.len(),
        });
    }
    let (text, rest) = rest.split_at(text_len);
    Ok((text, &rest[..photo_len]))
}

/// Joins a text block and a photo into read-text+photo response data (the simulator's side).
///
/// The photo is cut to 65535 bytes, the most its length header can announce.
pub fn encode_text_photo(text: &[u8; TEXT_BLOCK_LEN], photo: &[u8]) -> Vec<u8> {
    let photo = &photo[..photo.len().min(usize::from(u16::MAX))];
    let photo_len = u16::try_from(photo.len()).unwrap_or(u16::MAX);
    let mut data = Vec::with_capacity(4 + TEXT_BLOCK_LEN + photo.len());
    data.extend_from_slice(&(TEXT_BLOCK_LEN as u16).to_be_bytes());
    data.extend_from_slice(&photo_len.to_be_bytes());
    data.extend_from_slice(text);
    data.extend_from_slice(photo);
    data
}

/// The parts of a read-text+photo+fingerprint (`30 10`) answer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TextPhotoFingerprint<'a> {
    /// The 256-byte text block.
    pub text: &'a [u8],
    /// The WLT photo.
    pub photo: &'a [u8],
    /// Fingerprint templates (empty when the card holds none).
    pub fingerprint: &'a [u8],
}

// Every part is personal (biometric) data: only sizes go to a log.
impl fmt::Debug for TextPhotoFingerprint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextPhotoFingerprint")
            .field("text_len", &self.text.len())
            .field("photo_len", &self.photo.len())
            .field("fingerprint_len", &self.fingerprint.len())
            .finish()
    }
}

/// Splits the data of a `30 10` answer: `text len | photo len | fingerprint len` (u16 BE
/// each), then text, photo and fingerprint. The third length word is what shifts the text
/// two bytes further than in a `30 01` answer.
pub fn split_text_photo_fingerprint(
    data: &[u8],
) -> Result<TextPhotoFingerprint<'_>, TextBlockError> {
    let [t0, t1, p0, p1, f0, f1, rest @ ..] = data else {
        return Err(TextBlockError::Truncated {
            declared: 6,
            actual: data.len(),
        });
    };
    let text_len = usize::from(u16::from_be_bytes([*t0, *t1]));
    let photo_len = usize::from(u16::from_be_bytes([*p0, *p1]));
    let fp_len = usize::from(u16::from_be_bytes([*f0, *f1]));
    if rest.len() < text_len + photo_len + fp_len {
        return Err(TextBlockError::Truncated {
            declared: 6 + text_len + photo_len + fp_len,
            actual: data.len(),
        });
    }
    let (text, rest) = rest.split_at(text_len);
    let (photo, rest) = rest.split_at(photo_len);
    Ok(TextPhotoFingerprint {
        text,
        photo,
        fingerprint: &rest[..fp_len],
    })
}

/// Joins text block, photo and fingerprint into `30 10` answer data (the simulator's side).
///
/// Photo and fingerprint are each cut to 65535 bytes, the most a length word announces.
pub fn encode_text_photo_fingerprint(
    text: &[u8; TEXT_BLOCK_LEN],
    photo: &[u8],
    fingerprint: &[u8],
) -> Vec<u8> {
    let photo = &photo[..photo.len().min(usize::from(u16::MAX))];
    let fingerprint = &fingerprint[..fingerprint.len().min(usize::from(u16::MAX))];
    let word = |n: usize| u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes();
    let mut data = Vec::with_capacity(6 + TEXT_BLOCK_LEN + photo.len() + fingerprint.len());
    data.extend_from_slice(&word(TEXT_BLOCK_LEN));
    data.extend_from_slice(&word(photo.len()));
    data.extend_from_slice(&word(fingerprint.len()));
    data.extend_from_slice(text);
    data.extend_from_slice(photo);
    data.extend_from_slice(fingerprint);
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(block: &mut [u8], offset: usize, s: &str) {
        for (i, u) in s.encode_utf16().enumerate() {
            block[offset + 2 * i..offset + 2 * i + 2].copy_from_slice(&u.to_le_bytes());
        }
    }

    fn sample() -> IdCardText {
        IdCardText {
            name: "张伟".into(),
            sex: "1".into(),
            nation: "01".into(),
            birth: "19850312".into(),
            address: "北京市东城区景山前街4号".into(),
            id_number: "110101198503120017".into(),
            authority: "北京市公安局东城分局".into(),
            valid_from: "20150601".into(),
            valid_to: "20350601".into(),
        }
    }

    #[test]
    fn hand_built_block_decodes() {
        // Built byte by byte from the field table, independently of encode_text_block.
        let mut block = [0u8; 256];
        for pair in block.chunks_exact_mut(2) {
            pair.copy_from_slice(&[0x20, 0x00]);
        }
        put(&mut block, 0, "张伟");
        put(&mut block, 30, "1");
        put(&mut block, 32, "01");
        put(&mut block, 36, "19850312");
        put(&mut block, 52, "北京市东城区景山前街4号");
        put(&mut block, 122, "110101198503120017");
        put(&mut block, 158, "北京市公安局东城分局");
        put(&mut block, 188, "20150601");
        put(&mut block, 204, "长期");
        // 张 is U+5F20: little-endian on the card.
        assert_eq!(&block[..4], &[0x20, 0x5F, 0x1F, 0x4F]);
        let text = decode_text_block(&block).expect("decodes");
        assert_eq!(text.name, "张伟");
        assert_eq!(text.sex, "1");
        assert_eq!(text.nation, "01");
        assert_eq!(text.birth, "19850312");
        assert_eq!(text.address, "北京市东城区景山前街4号");
        assert_eq!(text.id_number, "110101198503120017");
        assert_eq!(text.authority, "北京市公安局东城分局");
        assert_eq!(text.valid_from, "20150601");
        assert_eq!(text.valid_to, "长期");
    }

    #[test]
    fn encode_then_decode_round_trips() {
        let text = sample();
        let block = encode_text_block(&text);
        assert_eq!(decode_text_block(&block).expect("decodes"), text);
        // Reserved area stays space-padded as on real cards.
        assert!(block[220..].chunks_exact(2).all(|p| p == [0x20, 0x00]));
    }

    #[test]
    fn nul_padding_is_trimmed_too() {
        let mut block = encode_text_block(&sample());
        block[4..30].fill(0);
        assert_eq!(decode_text_block(&block).expect("decodes").name, "张伟");
    }

    #[test]
    fn long_fields_are_cut_to_their_width() {
        let mut text = sample();
        text.name = "一二三四五六七八九十一二三四五六七".into();
        let decoded = decode_text_block(&encode_text_block(&text)).expect("decodes");
        assert_eq!(decoded.name.chars().count(), 15);
        assert_eq!(decoded.sex, "1");
    }

    #[test]
    fn wrong_length_and_bad_utf16_are_errors() {
        assert_eq!(
            decode_text_block(&[0x20; 255]),
            Err(TextBlockError::Length { actual: 255 })
        );
        let mut block = encode_text_block(&sample());
        block[52..54].copy_from_slice(&0xD800u16.to_le_bytes());
        assert_eq!(
            decode_text_block(&block),
            Err(TextBlockError::Encoding { field: "address" })
        );
    }

    #[test]
    fn text_photo_payload_splits() {
        let block = encode_text_block(&sample());
        let photo = [0x57u8; PHOTO_LEN];
        let data = encode_text_photo(&block, &photo);
        assert_eq!(&data[..4], &[0x01, 0x00, 0x04, 0x00]);
        let (text, pic) = split_text_photo(&data).expect("splits");
        assert_eq!(text, &block[..]);
        assert_eq!(pic, &photo[..]);
        assert_eq!(
            split_text_photo(&data[..1000]),
            Err(TextBlockError::Truncated {
                declared: 1284,
                actual: 1000
            })
        );
        assert!(split_text_photo(&[1, 0]).is_err());
    }

    #[test]
    fn fingerprint_payload_has_three_length_words() {
        let block = encode_text_block(&sample());
        let photo = [0x57u8; PHOTO_LEN];
        let fp = [0x46u8; 1024];
        let data = encode_text_photo_fingerprint(&block, &photo, &fp);
        // text 0x0100, photo 0x0400, fingerprint 0x0400: the text starts at byte 6, not 4.
        assert_eq!(&data[..6], &[0x01, 0x00, 0x04, 0x00, 0x04, 0x00]);
        assert_eq!(&data[6..262], &block[..]);
        let parts = split_text_photo_fingerprint(&data).expect("splits");
        assert_eq!(parts.text, &block[..]);
        assert_eq!(parts.photo, &photo[..]);
        assert_eq!(parts.fingerprint, &fp[..]);
        let none = encode_text_photo_fingerprint(&block, &photo, &[]);
        let parts = split_text_photo_fingerprint(&none).expect("splits");
        assert!(parts.fingerprint.is_empty());
        assert_eq!(
            split_text_photo_fingerprint(&data[..2000]),
            Err(TextBlockError::Truncated {
                declared: 2310,
                actual: 2000
            })
        );
        assert!(split_text_photo_fingerprint(&[1, 0, 4, 0]).is_err());
        let shown = format!("{parts:?}");
        assert!(shown.contains("fingerprint_len: 0"), "{shown}");
    }

    #[test]
    fn debug_hides_personal_fields() {
        let text = format!("{:?}", sample());
        assert!(!text.contains("张伟"), "{text}");
        assert!(!text.contains("景山"), "{text}");
        assert!(!text.contains("110101198503120017"), "{text}");
        assert!(text.contains("110101********0017"), "{text}");
    }
}
