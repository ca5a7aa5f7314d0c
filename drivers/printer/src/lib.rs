//! Driver for 80 mm ESC/POS thermal receipt printers (576 dots per line), and a virtual
//! printer that understands the same bytes and renders the paper to PNG.
//!
//! # Layout
//!
//! - [`escpos`]: [`EscPosBuilder`], the encoder that turns a receipt into ESC/POS bytes
//!   (GB18030 text in Chinese mode, sizes, alignment, QR via `GS ( k`, raster, cut).
//! - [`status`]: the real-time status protocol (`DLE EOT 1..=4`) and [`PrinterStatus`].
//! - `driver` (re-exported here): [`ReceiptPrinter`] over any `Read + Write` transport,
//!   status-checked [`ReceiptPrinter::print`], and [`open_serial`] / [`open_tcp`].
//! - `error` (re-exported here): [`PrinterError`].
//! - `device_file` (re-exported here): [`open_device_file`] for `/dev/usb/lp0` and the like.
//! - `usb` (feature `usb`, re-exported here): `open_usb` by VID:PID through libusb.
//! - [`ipp`]: A4 printing over IPP (the `ipp` crate's blocking client): `Print-Job`, then
//!   `Get-Job-Attributes` until the job is done or failed.
//! - [`paper`]: [`paper::PaperMeter`], paper used (mm) since the last restock, from the jobs.
//! - [`virtual_printer`]: [`virtual_printer::EscPosParser`] (streaming, never panics),
//!   [`virtual_printer::render`] / [`virtual_printer::encode_png`], and
//!   [`virtual_printer::SimPrinter`], a simulated printer on a pseudo-terminal or TCP socket
//!   used by the demo mode and the end-to-end tests.
//!
//! A typical job:
//!
//! ```no_run
//! use printer::{open_serial, Align, EscPosBuilder};
//! let job = EscPosBuilder::new()
//!     .init()
//!     .align(Align::Center)
//!     .size(2, 2)
//!     .line("市民服务中心")
//!     .size(1, 1)
//!     .qr("https://example.gov.cn/t/A012", 6)
//!     .feed(3)
//!     .cut(true)
//!     .build();
//! let mut printer = open_serial("/dev/ttyUSB0", 115_200)?;
//! printer.print(&job)?;
//! # Ok::<(), printer::PrinterError>(())
//! ```

mod device_file;
mod driver;
mod error;
pub mod escpos;
pub mod ipp;
pub mod paper;
pub mod status;
#[cfg(feature = "usb")]
mod usb;
pub mod virtual_printer;

pub use device_file::{open_device_file, DeviceFile};
#[cfg(unix)]
pub use driver::open_serial;
pub use driver::{open_tcp, ReceiptPrinter, DEFAULT_TCP_PORT, DEFAULT_TIMEOUT};
pub use error::PrinterError;
pub use escpos::{Align, EscPosBuilder};
pub use status::PrinterStatus;
#[cfg(feature = "usb")]
pub use usb::{open_usb, UsbTransport};
