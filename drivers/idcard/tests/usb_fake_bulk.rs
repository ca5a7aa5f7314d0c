//! The USB path: the same codec and driver over a fake bulk transport that behaves like a
//! USB reader (64-byte packets, zero-length packets, timeouts, a device that goes away).
//! No real USB device is involved.

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use idcard::sam_frame::{decode_command, encode_command, encode_response};
use idcard::sim::sample_cards;
use idcard::text_block::{encode_text_block, encode_text_photo};
use idcard::usb::{BulkTransport, UsbBulk};
use idcard::{CardPoller, Command, Error, IdCardReader};

const MAX_PACKET: usize = 64;

/// A fake USB reader: decodes each OUT transfer as a command and queues the answer as
/// 64-byte IN packets, with a zero-length packet when the answer fills its last packet.
#[derive(Default)]
struct FakeBulk {
    card_present: bool,
    out: Vec<Vec<u8>>,
    packets: VecDeque<Vec<u8>>,
    unplugged: bool,
    silent: bool,
}

impl FakeBulk {
    fn answer(&self, cmd: Option<Command>) -> Vec<u8> {
        let card = &sample_cards()[1];
        match (cmd, self.card_present) {
            (Some(Command::FindCard), true) => encode_response(0x9F, &[0; 4]),
            (Some(Command::FindCard), false) => encode_response(0x80, &[]),
            (Some(Command::SelectCard), true) => encode_response(0x90, &[0; 8]),
            (Some(Command::ReadTextPhoto), true) => {
                let block = encode_text_block(&card.to_text());
                let photo = card.photo.clone().unwrap_or_default();
                encode_response(0x90, &encode_text_photo(&block, &photo))
            }
            (Some(Command::ReadSamId), _) => encode_response(0x90, &[0; 16]),
            _ => encode_response(0x41, &[]),
        }
    }
}

impl BulkTransport for FakeBulk {
    fn write_bulk(&mut self, data: &[u8], _: Duration) -> io::Result<usize> {
        if self.unplugged {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "USB: no device",
            ));
        }
        self.out.push(data.to_vec());
        let (frame, used) = decode_command(data).expect("the driver sends whole frames");
        assert_eq!(used, data.len(), "one frame per OUT transfer");
        if self.silent {
            return Ok(data.len());
        }
        let answer = self.answer(frame.command());
        for packet in answer.chunks(MAX_PACKET) {
            self.packets.push_back(packet.to_vec());
        }
        if answer.len().is_multiple_of(MAX_PACKET) {
            self.packets.push_back(Vec::new());
        }
        Ok(data.len())
    }

    fn read_bulk(&mut self, buf: &mut [u8], _: Duration) -> io::Result<usize> {
        if self.unplugged {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "USB: no device",
            ));
        }
        let packet = self
            .packets
            .pop_front()
            .ok_or(io::Error::new(io::ErrorKind::TimedOut, "USB: timeout"))?;
        buf[..packet.len()].copy_from_slice(&packet);
        Ok(packet.len())
    }
}

fn reader(fake: FakeBulk) -> IdCardReader<UsbBulk<FakeBulk>> {
    IdCardReader::new(UsbBulk::new(fake, Duration::from_millis(100)))
}

#[test]
fn reads_a_card_over_bulk_packets_with_the_same_bytes_as_serial() {
    let mut reader = reader(FakeBulk {
        card_present: true,
        ..FakeBulk::default()
    });
    assert_eq!(
        reader.read_card().expect("reads"),
        Some(sample_cards()[1].clone())
    );
    let fake = reader.release().into_inner();
    assert_eq!(
        fake.out,
        [
            encode_command(Command::FindCard),
            encode_command(Command::SelectCard),
            encode_command(Command::ReadTextPhoto),
        ]
    );
    assert!(fake.packets.is_empty(), "every packet consumed");
}

#[test]
fn a_frame_ending_on_a_packet_boundary_is_followed_by_a_zero_length_packet() {
    // 11 + 53 = 64 bytes: a full last packet, then a ZLP the driver must not take for EOF.
    let answer = encode_response(0x90, &[0; 53]);
    assert_eq!(answer.len(), 64);
    let mut fake = FakeBulk::default();
    fake.packets.push_back(answer);
    fake.packets.push_back(Vec::new());
    fake.packets.push_back(encode_response(0x80, &[]));
    let mut usb = UsbBulk::new(fake, Duration::from_millis(100));
    let mut reader = IdCardReader::new(&mut usb);
    let first = reader.transact(Command::ReadSamId).expect("answers");
    assert_eq!(first.data.len(), 53);
    assert!(!reader.find_card().expect("answers after the ZLP"));
}

#[test]
fn silence_is_a_timeout_and_a_vanished_device_is_an_io_fault() {
    let mut reader = reader(FakeBulk {
        silent: true,
        ..FakeBulk::default()
    });
    let err = reader.find_card().expect_err("silent");
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(err.is_device_fault());
    reader.transport_mut().get_mut().unplugged = true;
    let err = reader.find_card().expect_err("gone");
    assert!(
        matches!(&err, Error::Io(e) if e.kind() == io::ErrorKind::NotConnected),
        "{err:?}"
    );
    assert!(err.is_device_fault());
}

#[test]
fn the_poller_works_over_usb_too() {
    let mut poller = CardPoller::new(reader(FakeBulk {
        card_present: true,
        ..FakeBulk::default()
    }));
    assert!(poller.poll().expect("polls").is_some());
    assert!(poller.poll().expect("polls").is_none(), "not read twice");
    poller.reader_mut().transport_mut().get_mut().card_present = false;
    assert!(poller.poll().expect("polls").is_none());
    poller.reader_mut().transport_mut().get_mut().card_present = true;
    assert!(poller.poll().expect("polls").is_some());
}
