//! `kiosk diag idcard ports|status|read|decode HEX`: the ID-card reader's checks for
//! technicians, the same exchanges the kiosk makes, with the raw frames shown.
//!
//! The ID number is masked unless `--full`; raw frames of card data are shown with their
//! payload zeroed (the driver's raw log never holds personal data).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use idcard::sam_frame::{decode_response, FrameError, Response, Status, PREAMBLE};
use idcard::text_block::{
    decode_text_block, split_text_photo, split_text_photo_fingerprint, IdCardText, TEXT_BLOCK_LEN,
};
use idcard::usb::UsbConfig;
use idcard::{Direction, IdCard, RawFrame};

use crate::devices::idcard_manager::{open_reader, AnyReader, ReaderPort};

/// The reader's checks.
#[derive(Debug, Subcommand)]
pub enum IdcardCommand {
    /// Lists serial ports and USB devices; marks those with the reader's VID:PID.
    Ports {
        /// VID:PID of USB readers, in hex.
        #[arg(long, default_value = "0400:c35a")]
        usb_id: String,
    },
    /// Asks the SAM module for its status (11 FF) and serial number (12 FF).
    Status(ReaderArgs),
    /// Reads a card (find, select, read) and prints its fields and the raw frames.
    Read(ReadArgs),
    /// Decodes a raw response frame given as hex and prints it as JSON.
    Decode {
        /// The frame, e.g. "AA AA AA 96 69 00 04 00 00 90 94" (spaces, colons optional).
        hex: String,
        /// Show the ID number in full.
        #[arg(long)]
        full: bool,
    },
}

/// Which reader to talk to.
#[derive(Debug, Clone, Args)]
pub struct ReaderArgs {
    /// Serial port of the reader, e.g. /dev/ttyUSB0.
    #[arg(long, conflicts_with_all = ["usb", "sim"])]
    pub port: Option<PathBuf>,
    /// Baud rate of the serial port.
    #[arg(long, default_value_t = 115_200)]
    pub baud: u32,
    /// A USB reader, VID:PID in hex (endpoints OUT 0x02, IN 0x81).
    #[arg(long, num_args = 0..=1, default_missing_value = "0400:c35a", conflicts_with = "sim")]
    pub usb: Option<String>,
    /// The built-in simulator holding sample card N (0–5), to try the tool without hardware.
    #[arg(long)]
    pub sim: Option<usize>,
}

/// `read`'s options.
#[derive(Debug, Clone, Args)]
pub struct ReadArgs {
    /// Which reader.
    #[command(flatten)]
    pub reader: ReaderArgs,
    /// Show the ID number in full.
    #[arg(long)]
    pub full: bool,
    /// Read with fingerprints (30 10) instead of text and photo (30 01).
    #[arg(long)]
    pub fingerprint: bool,
    /// The vendor's WLT photo library, to decode the photo.
    #[arg(long)]
    pub wlt_library: Option<PathBuf>,
    /// Write the decoded photo (BMP) here.
    #[arg(long, requires = "wlt_library")]
    pub photo_out: Option<PathBuf>,
}

/// Runs one check, printing to `out`. An error means the check failed (exit status 1).
pub fn run(command: IdcardCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match command {
        IdcardCommand::Ports { usb_id } => ports(&parse_usb_id(&usb_id)?, out),
        IdcardCommand::Status(args) => status(&args, out),
        IdcardCommand::Read(args) => read(&args, out),
        IdcardCommand::Decode { hex, full } => {
            let json = decode(&hex, full)?;
            writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
            Ok(())
        }
    }
}

/// `VID:PID` in hex.
fn parse_usb_id(text: &str) -> anyhow::Result<(u16, u16)> {
    let (vid, pid) = text
        .split_once(':')
        .with_context(|| format!("USB id {text:?} is not VID:PID (e.g. 0400:c35a)"))?;
    let hex = |s: &str| u16::from_str_radix(s.trim_start_matches("0x"), 16);
    Ok((
        hex(vid).with_context(|| format!("USB vendor id {vid:?} is not hex"))?,
        hex(pid).with_context(|| format!("USB product id {pid:?} is not hex"))?,
    ))
}

fn ports(usb_id: &(u16, u16), out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(out, "serial ports:")?;
    match serialport::available_ports() {
        Ok(ports) if ports.is_empty() => writeln!(out, "  (none)")?,
        Ok(ports) => {
            for port in ports {
                let kind = match port.port_type {
                    serialport::SerialPortType::UsbPort(usb) => {
                        format!("USB {:04x}:{:04x}", usb.vid, usb.pid)
                    }
                    serialport::SerialPortType::PciPort => "PCI".into(),
                    serialport::SerialPortType::BluetoothPort => "Bluetooth".into(),
                    serialport::SerialPortType::Unknown => "unknown".into(),
                };
                writeln!(out, "  {}  ({kind})", port.port_name)?;
            }
        }
        Err(e) => writeln!(out, "  cannot list serial ports: {e}")?,
    }
    writeln!(
        out,
        "USB devices (readers are {:04x}:{:04x}):",
        usb_id.0, usb_id.1
    )?;
    match idcard::usb::list_usb_devices(None) {
        Ok(devices) if devices.is_empty() => writeln!(out, "  (none)")?,
        Ok(devices) => {
            for d in devices {
                let mark = if (d.vid, d.pid) == *usb_id {
                    "  <- ID-card reader"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "  bus {:03} device {:03}: {:04x}:{:04x}{mark}",
                    d.bus, d.address, d.vid, d.pid
                )?;
            }
        }
        Err(e) => writeln!(out, "  cannot list USB devices: {e}")?,
    }
    Ok(())
}

/// What keeps the simulator running while the tool talks to it.
#[cfg(feature = "demo")]
type SimGuard = idcard::sim::SimReader;
/// A build without the demo has no simulator to keep.
#[cfg(not(feature = "demo"))]
type SimGuard = std::convert::Infallible;

/// The built-in simulator holding sample card `index`.
#[cfg(feature = "demo")]
fn simulated(index: usize, baud: u32) -> anyhow::Result<(ReaderPort, Option<SimGuard>)> {
    let card = idcard::sim::sample_cards()
        .into_iter()
        .nth(index)
        .with_context(|| format!("there is no sample card {index} (0–5)"))?;
    let sim = idcard::sim::SimReader::spawn().context("starting the simulator")?;
    sim.place_card(card);
    let port = ReaderPort::Serial {
        path: sim.port_path(),
        baud,
    };
    Ok((port, Some(sim)))
}

#[cfg(not(feature = "demo"))]
fn simulated(_: usize, _: u32) -> anyhow::Result<(ReaderPort, Option<SimGuard>)> {
    bail!("this kiosk is built without the demo's simulated reader: use --port or --usb")
}

/// The reader the arguments name; the simulator (if asked for) lives as long as the guard.
fn connect(args: &ReaderArgs) -> anyhow::Result<(AnyReader, ReaderPort, Option<SimGuard>)> {
    let (port, sim) = if let Some(index) = args.sim {
        simulated(index, args.baud)?
    } else if let Some(usb) = &args.usb {
        let (vid, pid) = parse_usb_id(usb)?;
        let port = ReaderPort::Usb(UsbConfig {
            vid,
            pid,
            ..UsbConfig::default()
        });
        (port, None)
    } else if let Some(path) = &args.port {
        let port = ReaderPort::Serial {
            path: path.clone(),
            baud: args.baud,
        };
        (port, None)
    } else {
        bail!("say which reader: --port /dev/ttyUSB0, --usb [VID:PID], or --sim N");
    };
    let reader = open_reader(&port).with_context(|| format!("opening the reader on {port}"))?;
    Ok((reader, port, sim))
}

fn status(args: &ReaderArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let (mut reader, port, _sim) = connect(args)?;
    writeln!(out, "reader: {port}")?;
    let sam = reader.sam_status();
    match &sam {
        Ok(()) => writeln!(out, "SAM status: {}", Status::Ok)?,
        Err(e) => writeln!(out, "SAM status: {e}")?,
    }
    match reader.read_sam_id() {
        Ok(id) => writeln!(out, "SAM id: {id}")?,
        Err(e) => writeln!(out, "SAM id: {e}")?,
    }
    print_frames(&reader.raw_frames(), out)?;
    sam.context("the SAM module is not healthy")
}

fn read(args: &ReadArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let (mut reader, port, _sim) = connect(&args.reader)?;
    writeln!(out, "reader: {port}")?;
    let result = read_once(&mut reader, args.fingerprint);
    match &result {
        Ok((card, fingerprint)) => {
            print_card(card, args.full, out)?;
            if args.fingerprint {
                let fp = fingerprint.map_or("none on the card".into(), |n| format!("{n} bytes"));
                writeln!(out, "  fingerprint: {fp}")?;
            }
            print_photo(card, args, out)?;
        }
        Err(e) => writeln!(out, "read failed: {e}")?,
    }
    print_frames(&reader.raw_frames(), out)?;
    result.map(drop)
}

/// Find, select, read; the fingerprint's size when `30 10` was used.
fn read_once(reader: &mut AnyReader, fingerprint: bool) -> anyhow::Result<(IdCard, Option<usize>)> {
    if !reader.find_card()? {
        bail!("no card on the reader");
    }
    reader.select_card()?;
    if fingerprint {
        let (card, fp) = reader.read_text_photo_fingerprint()?;
        Ok((card, fp.map(|f| f.0.len())))
    } else {
        Ok((reader.read_text_photo()?, None))
    }
}

fn id_shown(id: &str, full: bool) -> String {
    if full {
        id.to_owned()
    } else {
        idcard::id_number::mask(id)
    }
}

fn print_card(card: &IdCard, full: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let today = crate::clock::service_day();
    writeln!(out, "card:")?;
    writeln!(out, "  name: {}", card.name)?;
    writeln!(out, "  sex: {}", card.sex)?;
    writeln!(out, "  nation: {} ({})", card.nation, card.nation_code)?;
    writeln!(out, "  birth: {}", card.birth)?;
    writeln!(out, "  address: {}", card.address)?;
    writeln!(out, "  id number: {}", id_shown(&card.id_number, full))?;
    writeln!(out, "  authority: {}", card.authority)?;
    writeln!(out, "  valid: {} to {}", card.valid_from, card.valid_to)?;
    let expired = if card.is_expired(today) {
        "EXPIRED (the citizen is told; staff are not called)"
    } else {
        "no"
    };
    writeln!(out, "  expired on {today}: {expired}")?;
    Ok(())
}

fn print_photo(card: &IdCard, args: &ReadArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let Some(wlt) = card.photo.as_deref() else {
        writeln!(out, "  photo: none sent by the reader")?;
        return Ok(());
    };
    let Some(library) = &args.wlt_library else {
        writeln!(
            out,
            "  photo: {} bytes WLT, not decoded (no --wlt-library; the kiosk shows a silhouette)",
            wlt.len()
        )?;
        return Ok(());
    };
    // A photo that cannot be decoded never fails the read.
    match idcard::photo::WltDecoder::load(library).and_then(|d| d.decode(wlt)) {
        Ok(bmp) => {
            write!(
                out,
                "  photo: decoded to a {}x{} BMP ({} bytes)",
                idcard::photo::PHOTO_WIDTH,
                idcard::photo::PHOTO_HEIGHT,
                bmp.len()
            )?;
            if let Some(path) = &args.photo_out {
                std::fs::write(path, &bmp)
                    .with_context(|| format!("writing {}", path.display()))?;
                write!(out, ", written to {}", path.display())?;
            }
            writeln!(out)?;
        }
        Err(e) => writeln!(out, "  photo: not decoded: {e}")?,
    }
    Ok(())
}

/// Frames longer than this are shown cut, with their length.
const SHOW_BYTES: usize = 32;

fn print_frames(frames: &[RawFrame], out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "raw frames (time since the port was opened; card data zeroed):"
    )?;
    for frame in frames {
        let arrow = match frame.direction {
            Direction::Sent => "->",
            Direction::Received => "<-",
        };
        let shown: Vec<String> = frame
            .bytes
            .iter()
            .take(SHOW_BYTES)
            .map(|b| format!("{b:02X}"))
            .collect();
        let more = if frame.bytes.len() > SHOW_BYTES {
            format!(" … ({} bytes)", frame.bytes.len())
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {:>10.3} ms {arrow} {}{more}",
            frame.at.as_secs_f64() * 1000.0,
            shown.join(" ")
        )?;
    }
    Ok(())
}

/// Parses hex with optional spaces, colons, dashes, commas and `0x` prefixes.
pub fn parse_hex(text: &str) -> anyhow::Result<Vec<u8>> {
    let cleaned = text.replace("0x", "").replace("0X", "");
    let mut digits = Vec::new();
    for (i, c) in cleaned.chars().enumerate() {
        if c.is_whitespace() || matches!(c, ':' | '-' | ',') {
            continue;
        }
        let Some(d) = c.to_digit(16) else {
            bail!("character {c:?} at position {} is not a hex digit", i + 1);
        };
        digits.push(d as u8);
    }
    if digits.len() % 2 != 0 {
        bail!(
            "odd number of hex digits ({}): a byte is missing a digit",
            digits.len()
        );
    }
    Ok(digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect())
}

/// Decodes a raw response frame into JSON, or says exactly what is wrong with it.
pub fn decode(hex: &str, full: bool) -> anyhow::Result<serde_json::Value> {
    let bytes = parse_hex(hex)?;
    if bytes.is_empty() {
        bail!("no bytes given");
    }
    let (response, used) = decode_response(&bytes).map_err(|e| explain(&bytes, e))?;
    let start = bytes
        .windows(PREAMBLE.len())
        .position(|w| w == PREAMBLE)
        .unwrap_or(0);
    let mut json = serde_json::json!({
        "status": {
            "code": format!("0x{:02X}", response.status.code()),
            "name": format!("{:?}", response.status),
            "message": response.status.message(),
        },
        "frame_bytes": used - start,
        "skipped_before_preamble": start,
        "trailing_bytes": bytes.len() - used,
        "data_len": response.data.len(),
    });
    json["payload"] = payload(&response, full);
    Ok(json)
}

/// A read answer's fields, or the short data in hex.
fn payload(response: &Response, full: bool) -> serde_json::Value {
    let data = &response.data;
    let exact = |t: usize, p: usize, f: usize, head: usize| data.len() == head + t + p + f;
    let word = |i: usize| {
        data.get(i..i + 2)
            .map(|w| usize::from(u16::from_be_bytes([w[0], w[1]])))
    };
    let (layout, text, photo_len, fp_len) = match (word(0), word(2), word(4)) {
        (Some(t), Some(p), _) if t == TEXT_BLOCK_LEN && exact(t, p, 0, 4) => {
            match split_text_photo(data) {
                Ok((text, photo)) => ("30 01 (text + photo)", text, photo.len(), None),
                Err(_) => return short_data(data),
            }
        }
        (Some(t), Some(p), Some(f)) if t == TEXT_BLOCK_LEN && exact(t, p, f, 6) => {
            match split_text_photo_fingerprint(data) {
                Ok(parts) => (
                    "30 10 (text + photo + fingerprint)",
                    parts.text,
                    parts.photo.len(),
                    Some(parts.fingerprint.len()),
                ),
                Err(_) => return short_data(data),
            }
        }
        _ => return short_data(data),
    };
    let mut json = serde_json::json!({
        "layout": layout,
        "photo_bytes": photo_len,
    });
    if let Some(f) = fp_len {
        json["fingerprint_bytes"] = f.into();
    }
    match decode_text_block(text) {
        Ok(fields) => {
            json["text"] = text_json(&fields, full);
            json["card_check"] = match IdCard::from_text(&fields, None) {
                Ok(card) => {
                    let today = crate::clock::service_day();
                    serde_json::json!({
                        "valid": true,
                        "expired": card.is_expired(today),
                        "checked_on": today.to_string(),
                    })
                }
                Err(e) => serde_json::json!({ "valid": false, "problem": e.to_string() }),
            };
        }
        Err(e) => json["text_error"] = e.to_string().into(),
    }
    json
}

fn short_data(data: &[u8]) -> serde_json::Value {
    let hex: Vec<String> = data.iter().map(|b| format!("{b:02X}")).collect();
    serde_json::json!({ "data_hex": hex.join(" ") })
}

fn text_json(t: &IdCardText, full: bool) -> serde_json::Value {
    serde_json::json!({
        "name": t.name,
        "sex": t.sex,
        "nation": t.nation,
        "birth": t.birth,
        "address": t.address,
        "id_number": id_shown(&t.id_number, full),
        "authority": t.authority,
        "valid_from": t.valid_from,
        "valid_to": t.valid_to,
    })
}

/// What is wrong with bytes that are not a response frame, in a technician's words.
fn explain(bytes: &[u8], e: FrameError) -> anyhow::Error {
    let start = bytes.windows(PREAMBLE.len()).position(|w| w == PREAMBLE);
    match (e, start) {
        (FrameError::Incomplete | FrameError::NoPreamble { .. }, None) => anyhow::anyhow!(
            "no frame: the {} bytes do not contain the preamble AA AA AA 96 69",
            bytes.len()
        ),
        (FrameError::Incomplete, Some(s)) => {
            let frame = &bytes[s..];
            match frame.get(5..7) {
                None => anyhow::anyhow!(
                    "incomplete frame: it ends after the preamble, before the length field"
                ),
                Some(len) => {
                    let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                    anyhow::anyhow!(
                        "incomplete frame: the length field announces {len} bytes after it, \
                         only {} are there",
                        frame.len() - 7
                    )
                }
            }
        }
        (e, _) => anyhow::anyhow!("not a valid response frame: {e}"),
    }
}
