//! The driver proper: status-checked printing over any byte transport.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use crate::status::{PrinterStatus, STATUS_REQUESTS};
use crate::PrinterError;

/// Read/write timeout set by [`open_serial`] and [`open_tcp`]. A printer answers `DLE EOT`
/// in milliseconds, even while printing; seconds leave room for a busy USB-serial adapter
/// without making an unplugged printer hang the kiosk.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// TCP port of the raw ("JetDirect") printing service of network receipt printers.
pub const DEFAULT_TCP_PORT: u16 = 9100;

/// A receipt printer on a byte transport (serial port, TCP socket, or anything `Read + Write`
/// whose reads time out).
#[derive(Debug)]
pub struct ReceiptPrinter<T: Read + Write> {
    port: T,
}

impl<T: Read + Write> ReceiptPrinter<T> {
    /// Wraps a transport. Its read timeout is the status timeout: a transport that blocks
    /// forever makes [`ReceiptPrinter::status`] block forever.
    pub fn new(port: T) -> Self {
        ReceiptPrinter { port }
    }

    /// Gives the transport back.
    pub fn release(self) -> T {
        self.port
    }

    /// The transport, e.g. to change its timeout.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.port
    }

    /// Queries the four real-time statuses (`DLE EOT 1..=4`) and parses the replies.
    ///
    /// The four requests go out in one write and the four one-byte replies are read back in
    /// order; this is safe even mid-job because printers answer `DLE EOT` as soon as it
    /// arrives, ahead of buffered print data.
    pub fn status(&mut self) -> Result<PrinterStatus, PrinterError> {
        let request: Vec<u8> = STATUS_REQUESTS.concat();
        self.port
            .write_all(&request)
            .map_err(PrinterError::from_io)?;
        self.port.flush().map_err(PrinterError::from_io)?;
        let mut reply = [0u8; 4];
        let mut got = 0;
        while got < reply.len() {
            match self.port.read(&mut reply[got..]) {
                Ok(0) => {
                    return Err(PrinterError::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "printer closed the connection",
                    )))
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(PrinterError::from_io(e)),
            }
        }
        PrinterStatus::from_bytes(reply)
    }

    /// Prints one job (bytes from [`crate::EscPosBuilder`]).
    ///
    /// 1. Reads the status; cover open, paper out, cutter error or offline returns the
    ///    matching error and sends nothing, so the caller can tell the citizen right away.
    /// 2. Writes the job and flushes it.
    /// 3. Reads the status again: paper out now is [`PrinterError::PaperOutDuringJob`] (the
    ///    receipt is probably cut short: keep it and reprint); another stopping condition is
    ///    reported with its own error. A printer answers this second query in real time, so
    ///    it catches a roll that ran out while the data was being received, not one that
    ///    runs out while the printer is still printing from its buffer.
    pub fn print(&mut self, job: &[u8]) -> Result<(), PrinterError> {
        if let Some(e) = self.status()?.blocking_error() {
            return Err(e);
        }
        self.port.write_all(job).map_err(PrinterError::from_io)?;
        self.port.flush().map_err(PrinterError::from_io)?;
        let after = self.status()?;
        if after.paper_out {
            return Err(PrinterError::PaperOutDuringJob);
        }
        match after.blocking_error() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Opens a serial receipt printer (8N1, no flow control) with [`DEFAULT_TIMEOUT`].
///
/// The port is opened in exclusive mode (serialport's default) so that a second kiosk process
/// cannot interleave jobs, and stale input is discarded so that an old reply cannot be taken
/// for the answer to the first status query.
#[cfg(unix)]
pub fn open_serial(
    path: impl AsRef<Path>,
    baud: u32,
) -> Result<ReceiptPrinter<serialport::TTYPort>, PrinterError> {
    use serialport::SerialPort;
    let path = path.as_ref().to_string_lossy().into_owned();
    let port = serialport::new(path, baud)
        .timeout(DEFAULT_TIMEOUT)
        .open_native()
        .map_err(|e| PrinterError::Io(e.into()))?;
    // Best effort: a pty or some USB adapters reject the flush, which is harmless.
    let _ = port.clear(serialport::ClearBuffer::Input);
    Ok(ReceiptPrinter::new(port))
}

/// Connects to a network receipt printer. `addr` is `host:port`, or a bare host name or IP
/// address, which gets [`DEFAULT_TCP_PORT`] (9100). Connect, read and write use
/// [`DEFAULT_TIMEOUT`].
pub fn open_tcp(addr: &str) -> Result<ReceiptPrinter<TcpStream>, PrinterError> {
    let addrs: Vec<SocketAddr> = if let Ok(ip) = addr.parse::<IpAddr>() {
        vec![SocketAddr::new(ip, DEFAULT_TCP_PORT)]
    } else if addr.contains(':') {
        addr.to_socket_addrs()?.collect()
    } else {
        (addr, DEFAULT_TCP_PORT).to_socket_addrs()?.collect()
    };
    let mut last = io::Error::new(io::ErrorKind::NotFound, "address resolved to nothing");
    for a in addrs {
        match TcpStream::connect_timeout(&a, DEFAULT_TIMEOUT) {
            Ok(s) => {
                s.set_read_timeout(Some(DEFAULT_TIMEOUT))?;
                s.set_write_timeout(Some(DEFAULT_TIMEOUT))?;
                // Status queries are tiny; without this, Nagle holds them back behind an ACK.
                s.set_nodelay(true)?;
                return Ok(ReceiptPrinter::new(s));
            }
            Err(e) => last = e,
        }
    }
    Err(PrinterError::from_io(last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A transport that answers each `DLE EOT` burst with the next scripted reply.
    struct Mock {
        replies: VecDeque<Vec<u8>>,
        pending: VecDeque<u8>,
        written: Vec<u8>,
    }

    impl Mock {
        fn new(replies: Vec<[u8; 4]>) -> Self {
            Mock {
                replies: replies.into_iter().map(|r| r.to_vec()).collect(),
                pending: VecDeque::new(),
                written: Vec::new(),
            }
        }
    }

    impl Write for Mock {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.written.extend_from_slice(buf);
            if buf == STATUS_REQUESTS.concat() {
                if let Some(r) = self.replies.pop_front() {
                    self.pending.extend(r);
                }
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Read for Mock {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.pending.is_empty() {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "mock timeout"));
            }
            let n = buf.len().min(self.pending.len());
            for b in buf.iter_mut().take(n) {
                *b = self.pending.pop_front().unwrap_or(0);
            }
            Ok(n)
        }
    }

    const READY: [u8; 4] = [0x12; 4];

    #[test]
    fn status_sends_four_requests() {
        let mut p = ReceiptPrinter::new(Mock::new(vec![READY]));
        assert_eq!(p.status().unwrap(), PrinterStatus::ready());
        assert_eq!(
            p.release().written,
            vec![0x10, 4, 1, 0x10, 4, 2, 0x10, 4, 3, 0x10, 4, 4]
        );
    }

    #[test]
    fn status_timeout() {
        let mut p = ReceiptPrinter::new(Mock::new(vec![]));
        assert!(matches!(p.status(), Err(PrinterError::Timeout)));
    }

    #[test]
    fn status_bad_byte() {
        let mut p = ReceiptPrinter::new(Mock::new(vec![[0x12, 0xFF, 0x12, 0x12]]));
        assert!(matches!(p.status(), Err(PrinterError::BadStatusByte(0xFF))));
    }

    #[test]
    fn print_sends_job_between_status_checks() {
        let mut p = ReceiptPrinter::new(Mock::new(vec![READY, READY]));
        p.print(b"JOB").unwrap();
        let req = STATUS_REQUESTS.concat();
        let mut want = req.clone();
        want.extend_from_slice(b"JOB");
        want.extend_from_slice(&req);
        assert_eq!(p.release().written, want);
    }

    #[test]
    fn print_refuses_when_not_ready_and_sends_nothing() {
        let cases = [
            (
                PrinterStatus {
                    paper_out: true,
                    online: false,
                    ..PrinterStatus::ready()
                },
                PrinterError::PaperOut,
            ),
            (
                PrinterStatus {
                    cover_open: true,
                    online: false,
                    ..PrinterStatus::ready()
                },
                PrinterError::CoverOpen,
            ),
            (
                PrinterStatus {
                    online: false,
                    ..PrinterStatus::ready()
                },
                PrinterError::Offline,
            ),
            (
                PrinterStatus {
                    cutter_error: true,
                    ..PrinterStatus::ready()
                },
                PrinterError::CutterError,
            ),
        ];
        for (status, expected) in cases {
            let mut p = ReceiptPrinter::new(Mock::new(vec![status.to_bytes()]));
            let err = p.print(b"JOB").unwrap_err();
            assert_eq!(
                std::mem::discriminant(&err),
                std::mem::discriminant(&expected),
                "{status:?} gave {err:?}"
            );
            assert_eq!(p.release().written, STATUS_REQUESTS.concat());
        }
    }

    #[test]
    fn paper_out_after_job() {
        let out = PrinterStatus {
            paper_out: true,
            ..PrinterStatus::ready()
        };
        let mut p = ReceiptPrinter::new(Mock::new(vec![READY, out.to_bytes()]));
        assert!(matches!(
            p.print(b"JOB"),
            Err(PrinterError::PaperOutDuringJob)
        ));
    }

    #[test]
    fn near_end_still_prints() {
        let near = PrinterStatus {
            paper_near_end: true,
            ..PrinterStatus::ready()
        };
        let mut p = ReceiptPrinter::new(Mock::new(vec![near.to_bytes(), near.to_bytes()]));
        p.print(b"JOB").unwrap();
    }

    #[test]
    fn open_tcp_to_closed_port_fails() {
        // Bind then drop to get a port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        assert!(open_tcp(&format!("127.0.0.1:{port}")).is_err());
    }
}
