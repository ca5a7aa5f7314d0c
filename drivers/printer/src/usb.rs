//! USB receipt printers through libusb (rusb, compiled in): find the device by VID:PID, claim
//! the printer-class interface (class 7), write jobs to its bulk OUT endpoint and read the
//! `DLE EOT` replies from its bulk IN endpoint. Behind the `usb` feature.
//!
//! Not covered by an automatic test: it needs a real printer (no USB gadget on CI). The
//! driver above it is the same [`crate::ReceiptPrinter`] the serial and TCP tests run.

use std::io::{self, Read, Write};
use std::time::Duration;

use rusb::{Direction, GlobalContext, TransferType};

use crate::{PrinterError, ReceiptPrinter, DEFAULT_TIMEOUT};

/// USB interface class of printers.
const CLASS_PRINTER: u8 = 7;

/// A claimed printer interface with its two bulk endpoints.
pub struct UsbTransport {
    handle: rusb::DeviceHandle<GlobalContext>,
    iface: u8,
    ep_out: u8,
    ep_in: Option<u8>,
    timeout: Duration,
}

impl std::fmt::Debug for UsbTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsbTransport")
            .field("iface", &self.iface)
            .field("ep_out", &self.ep_out)
            .field("ep_in", &self.ep_in)
            .finish()
    }
}

fn usb_err(e: rusb::Error) -> io::Error {
    let kind = match e {
        rusb::Error::Timeout => io::ErrorKind::TimedOut,
        rusb::Error::NoDevice | rusb::Error::NotFound => io::ErrorKind::NotFound,
        rusb::Error::Access => io::ErrorKind::PermissionDenied,
        rusb::Error::Busy => io::ErrorKind::ResourceBusy,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, e)
}

impl UsbTransport {
    /// Opens the first device with `vid:pid`, detaches the kernel's `usblp` driver if bound,
    /// and claims its printer interface.
    pub fn open(vid: u16, pid: u16) -> Result<Self, PrinterError> {
        let handle = rusb::open_device_with_vid_pid(vid, pid).ok_or_else(|| {
            PrinterError::Io(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no USB device {vid:04x}:{pid:04x}"),
            ))
        })?;
        let config = handle
            .device()
            .active_config_descriptor()
            .map_err(usb_err)?;
        let mut found = None;
        for iface in config.interfaces() {
            for desc in iface.descriptors() {
                if desc.class_code() != CLASS_PRINTER && found.is_some() {
                    continue;
                }
                let mut out = None;
                let mut inp = None;
                for ep in desc.endpoint_descriptors() {
                    if ep.transfer_type() == TransferType::Bulk {
                        match ep.direction() {
                            Direction::Out => out = out.or(Some(ep.address())),
                            Direction::In => inp = inp.or(Some(ep.address())),
                        }
                    }
                }
                if let Some(out) = out {
                    found = Some((desc.interface_number(), out, inp));
                    if desc.class_code() == CLASS_PRINTER {
                        break;
                    }
                }
            }
        }
        let (iface, ep_out, ep_in) = found.ok_or_else(|| {
            PrinterError::Io(io::Error::new(
                io::ErrorKind::NotFound,
                "USB device has no bulk OUT endpoint",
            ))
        })?;
        // Not supported on every platform; where it is not, claiming tells us if usblp holds it.
        let _ = handle.set_auto_detach_kernel_driver(true);
        handle.claim_interface(iface).map_err(usb_err)?;
        Ok(UsbTransport {
            handle,
            iface,
            ep_out,
            ep_in,
            timeout: DEFAULT_TIMEOUT,
        })
    }
}

impl Drop for UsbTransport {
    fn drop(&mut self) {
        let _ = self.handle.release_interface(self.iface);
    }
}

impl Write for UsbTransport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.handle
            .write_bulk(self.ep_out, buf, self.timeout)
            .map_err(usb_err)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for UsbTransport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let ep = self.ep_in.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::Unsupported,
                "printer has no bulk IN endpoint",
            )
        })?;
        // A bulk IN transfer must take a whole packet; read into a packet-sized buffer and
        // hand back what fits (status replies are one byte each).
        let mut packet = [0u8; 512];
        let n = self
            .handle
            .read_bulk(ep, &mut packet, self.timeout)
            .map_err(usb_err)?;
        let n = n.min(buf.len());
        buf[..n].copy_from_slice(&packet[..n]);
        Ok(n)
    }
}

/// Opens a USB receipt printer by vendor and product id.
pub fn open_usb(vid: u16, pid: u16) -> Result<ReceiptPrinter<UsbTransport>, PrinterError> {
    Ok(ReceiptPrinter::new(UsbTransport::open(vid, pid)?))
}
