//! The SAM protocol over USB bulk endpoints.
//!
//! USB readers (VID:PID `0400:c35a` on many models) carry exactly the serial protocol's
//! frames on one bulk OUT and one bulk IN endpoint. [`UsbBulk`] turns any
//! [`BulkTransport`] into the `Read + Write` byte stream [`IdCardReader`] expects, so the
//! codec, the driver and every test of them are shared with the serial path.
//!
//! With the `usb` feature (on by default), [`RusbBulk`] is the real backend on `rusb` with
//! libusb built in (`vendored`), so no system library is needed.

use std::io::{self, Read, Write};
use std::time::Duration;

#[cfg(feature = "usb")]
use crate::reader::IdCardReader;

/// Vendor id of the common GA/T 467 USB readers.
pub const DEFAULT_VID: u16 = 0x0400;
/// Product id of the common GA/T 467 USB readers.
pub const DEFAULT_PID: u16 = 0xC35A;
/// Bulk OUT endpoint (host to reader).
pub const DEFAULT_OUT_ENDPOINT: u8 = 0x02;
/// Bulk IN endpoint (reader to host).
pub const DEFAULT_IN_ENDPOINT: u8 = 0x81;

/// Largest bulk read requested at once: the biggest answer fits, so a read normally gets a
/// whole frame in one transfer.
const READ_CHUNK: usize = 4096;

/// Bulk transfers on one OUT and one IN endpoint: what [`UsbBulk`] needs from a USB stack.
///
/// Errors follow `std::io`: a timeout is `TimedOut`, a device that went away is
/// `NotConnected`, so [`IdCardReader`](crate::IdCardReader) reports them like a serial port's.
pub trait BulkTransport {
    /// Writes one bulk OUT transfer; returns the bytes the device took.
    fn write_bulk(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize>;
    /// Reads one bulk IN transfer into `buf`; returns the bytes received.
    fn read_bulk(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize>;
}

/// A byte stream over a [`BulkTransport`]: reads hand out the bytes of the last transfer,
/// writes send whole frames.
pub struct UsbBulk<B: BulkTransport> {
    bulk: B,
    timeout: Duration,
    buf: Vec<u8>,
    pos: usize,
}

impl<B: BulkTransport> UsbBulk<B> {
    /// A stream over `bulk` whose reads give up after `timeout` (like a serial port's).
    pub fn new(bulk: B, timeout: Duration) -> Self {
        UsbBulk {
            bulk,
            timeout,
            buf: Vec::new(),
            pos: 0,
        }
    }

    /// The bulk transport.
    pub fn get_mut(&mut self) -> &mut B {
        &mut self.bulk
    }

    /// Gives the bulk transport back.
    pub fn into_inner(self) -> B {
        self.bulk
    }
}

impl<B: BulkTransport> Read for UsbBulk<B> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.buf.len() {
            self.buf.resize(READ_CHUNK, 0);
            // A zero-length packet ends a transfer without data; it is not end-of-stream,
            // which `Ok(0)` would mean to the driver. Ask once more, then call it silence.
            let mut n = 0;
            for _ in 0..2 {
                n = self.bulk.read_bulk(&mut self.buf, self.timeout)?;
                if n > 0 {
                    break;
                }
            }
            self.buf.truncate(n.min(READ_CHUNK));
            self.pos = 0;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "USB reader sent only empty packets",
                ));
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl<B: BulkTransport> Write for UsbBulk<B> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.bulk.write_bulk(data, self.timeout)?;
        if n == 0 && !data.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "USB reader took no bytes",
            ));
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<B: BulkTransport> std::fmt::Debug for UsbBulk<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsbBulk")
            .field("timeout", &self.timeout)
            .field("buffered", &(self.buf.len() - self.pos))
            .finish_non_exhaustive()
    }
}

/// Where a USB reader is: ids and endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsbConfig {
    /// Vendor id.
    pub vid: u16,
    /// Product id.
    pub pid: u16,
    /// Bulk OUT endpoint address.
    pub out_endpoint: u8,
    /// Bulk IN endpoint address (bit 7 set).
    pub in_endpoint: u8,
}

impl Default for UsbConfig {
    fn default() -> Self {
        UsbConfig {
            vid: DEFAULT_VID,
            pid: DEFAULT_PID,
            out_endpoint: DEFAULT_OUT_ENDPOINT,
            in_endpoint: DEFAULT_IN_ENDPOINT,
        }
    }
}

/// A USB device seen on the bus, for `diag idcard ports`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbDeviceInfo {
    /// Bus number.
    pub bus: u8,
    /// Address on the bus.
    pub address: u8,
    /// Vendor id.
    pub vid: u16,
    /// Product id.
    pub pid: u16,
}

#[cfg(feature = "usb")]
pub use self::rusb_backend::{list_usb_devices, open_usb, RusbBulk};

#[cfg(feature = "usb")]
mod rusb_backend {
    use super::*;
    use crate::Error;
    use rusb::UsbContext;

    /// The real USB backend: a claimed interface of a `rusb` device handle.
    pub struct RusbBulk {
        handle: rusb::DeviceHandle<rusb::Context>,
        out_endpoint: u8,
        in_endpoint: u8,
    }

    impl std::fmt::Debug for RusbBulk {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("RusbBulk")
                .field("out_endpoint", &self.out_endpoint)
                .field("in_endpoint", &self.in_endpoint)
                .finish_non_exhaustive()
        }
    }

    fn to_io(e: rusb::Error) -> io::Error {
        let kind = match e {
            rusb::Error::Timeout => io::ErrorKind::TimedOut,
            rusb::Error::NoDevice | rusb::Error::NotFound => io::ErrorKind::NotConnected,
            rusb::Error::Access => io::ErrorKind::PermissionDenied,
            rusb::Error::Busy => io::ErrorKind::ResourceBusy,
            rusb::Error::Interrupted => io::ErrorKind::Interrupted,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, format!("USB: {e}"))
    }

    /// A libusb context; failing here usually means no USB bus is visible (a container
    /// without `/dev/bus/usb`), which is worth saying in so many words.
    fn new_context() -> io::Result<rusb::Context> {
        rusb::Context::new().map_err(|e| {
            io::Error::new(
                to_io(e).kind(),
                format!("USB: cannot start libusb ({e}); is /dev/bus/usb present?"),
            )
        })
    }

    impl BulkTransport for RusbBulk {
        fn write_bulk(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize> {
            self.handle
                .write_bulk(self.out_endpoint, data, timeout)
                .map_err(to_io)
        }

        fn read_bulk(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
            self.handle
                .read_bulk(self.in_endpoint, buf, timeout)
                .map_err(to_io)
        }
    }

    /// Every USB device on the bus; with `filter`, only those with that VID:PID.
    pub fn list_usb_devices(filter: Option<(u16, u16)>) -> io::Result<Vec<UsbDeviceInfo>> {
        let context = new_context()?;
        let mut found = Vec::new();
        for device in context.devices().map_err(to_io)?.iter() {
            let Ok(desc) = device.device_descriptor() else {
                continue;
            };
            let info = UsbDeviceInfo {
                bus: device.bus_number(),
                address: device.address(),
                vid: desc.vendor_id(),
                pid: desc.product_id(),
            };
            if filter.is_none_or(|(v, p)| (v, p) == (info.vid, info.pid)) {
                found.push(info);
            }
        }
        Ok(found)
    }

    /// Opens the first reader with the configured VID:PID, claims the interface that holds
    /// its bulk endpoints (detaching a kernel driver if one took it) and wraps it in a driver.
    pub fn open_usb(
        config: &UsbConfig,
        timeout: Duration,
    ) -> Result<IdCardReader<UsbBulk<RusbBulk>>, Error> {
        let context = new_context()?;
        let device = context
            .devices()
            .map_err(to_io)?
            .iter()
            .find(|d| {
                d.device_descriptor().is_ok_and(|desc| {
                    (desc.vendor_id(), desc.product_id()) == (config.vid, config.pid)
                })
            })
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!(
                        "no USB device {:04x}:{:04x} (is the reader plugged in?)",
                        config.vid, config.pid
                    ),
                )
            })?;
        let interface = interface_of(&device, config.in_endpoint).unwrap_or(0);
        let handle = device.open().map_err(to_io)?;
        // Not supported on every platform; where it is not, claiming may still work.
        let _ = handle.set_auto_detach_kernel_driver(true);
        handle.claim_interface(interface).map_err(to_io)?;
        let bulk = RusbBulk {
            handle,
            out_endpoint: config.out_endpoint,
            in_endpoint: config.in_endpoint,
        };
        Ok(IdCardReader::new(UsbBulk::new(bulk, timeout)))
    }

    /// The interface number that owns `endpoint` in the active configuration.
    fn interface_of(device: &rusb::Device<rusb::Context>, endpoint: u8) -> Option<u8> {
        let config = device.active_config_descriptor().ok()?;
        config.interfaces().find_map(|interface| {
            interface.descriptors().find_map(|desc| {
                desc.endpoint_descriptors()
                    .any(|ep| ep.address() == endpoint)
                    .then(|| desc.interface_number())
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Packets handed out one per bulk read, then timeouts.
    struct Packets(VecDeque<Vec<u8>>, Vec<Vec<u8>>);

    impl BulkTransport for Packets {
        fn write_bulk(&mut self, data: &[u8], _: Duration) -> io::Result<usize> {
            self.1.push(data.to_vec());
            Ok(data.len())
        }
        fn read_bulk(&mut self, buf: &mut [u8], _: Duration) -> io::Result<usize> {
            let p = self.0.pop_front().ok_or(io::ErrorKind::TimedOut)?;
            buf[..p.len()].copy_from_slice(&p);
            Ok(p.len())
        }
    }

    #[test]
    fn reads_hand_out_a_transfer_in_pieces() {
        let mut usb = UsbBulk::new(
            Packets(vec![vec![1, 2, 3, 4, 5]].into(), Vec::new()),
            Duration::from_millis(10),
        );
        let mut two = [0u8; 2];
        assert_eq!(usb.read(&mut two).expect("reads"), 2);
        assert_eq!(two, [1, 2]);
        let mut rest = [0u8; 8];
        assert_eq!(usb.read(&mut rest).expect("reads"), 3);
        assert_eq!(&rest[..3], &[3, 4, 5]);
        let err = usb.read(&mut rest).expect_err("silence");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }

    #[test]
    fn zero_length_packets_are_silence_not_eof() {
        let mut usb = UsbBulk::new(
            Packets(vec![vec![], vec![], vec![9]].into(), Vec::new()),
            Duration::from_millis(10),
        );
        let mut buf = [0u8; 4];
        let err = usb.read(&mut buf).expect_err("two empty packets");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(usb.read(&mut buf).expect("then data"), 1);
    }

    #[test]
    fn defaults_are_the_common_reader() {
        let c = UsbConfig::default();
        assert_eq!((c.vid, c.pid), (0x0400, 0xC35A));
        assert_eq!((c.out_endpoint, c.in_endpoint), (0x02, 0x81));
    }
}
