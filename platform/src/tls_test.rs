//! A real TLS server on loopback for the tests of the client's and the link check's
//! certificate checks: rustls with the checked-in test certificates
//! (`tests/fixtures/tls/`, remade by its `make.sh`: a test CA valid for 100 years and a
//! server certificate it signs for 127.0.0.1). Each connection gets one fixed answer to
//! `GET /v1/health`, the unsigned call both the client and the link check make.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The test CA (PEM), standing in for the government's own authority.
pub const CA_PEM: &str = include_str!("../tests/fixtures/tls/ca.pem");
/// The server's certificate (PEM), for 127.0.0.1 and localhost, signed by [`CA_PEM`].
pub const SERVER_PEM: &str = include_str!("../tests/fixtures/tls/server.pem");
const SERVER_KEY: &str = include_str!("../tests/fixtures/tls/server.key");
/// The server certificate's pin, as openssl works it out (`make.sh`).
pub const SERVER_PIN: &str = include_str!("../tests/fixtures/tls/server.pin");
/// The CA's pin, as openssl works it out: a pin the server's chain does not present.
pub const CA_PIN: &str = include_str!("../tests/fixtures/tls/ca.pin");

/// The server; stops on drop.
pub struct TlsTestServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handshakes: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl TlsTestServer {
    /// Starts it on a free loopback port.
    pub fn start() -> Self {
        let certs =
            vec![CertificateDer::from_pem_slice(SERVER_PEM.as_bytes()).expect("server.pem")];
        let key = PrivateKeyDer::from_pem_slice(SERVER_KEY.as_bytes()).expect("server.key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server certificate");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let handshakes = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (stop, handshakes) = (stop.clone(), handshakes.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(conn) = conn else { continue };
                    if answer(conn, config.clone()) {
                        handshakes.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        };
        Self {
            addr,
            stop,
            handshakes,
            thread: Some(thread),
        }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// How many clients completed the handshake (a refused certificate completes none).
    pub fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
}

impl Drop for TlsTestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One connection: the handshake, the request head, the fixed answer. Whether the
/// handshake completed.
fn answer(mut tcp: TcpStream, config: Arc<rustls::ServerConfig>) -> bool {
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = tcp.set_write_timeout(Some(Duration::from_secs(30)));
    let Ok(mut conn) = rustls::ServerConnection::new(config) else {
        return false;
    };
    while conn.is_handshaking() {
        if conn.complete_io(&mut tcp).is_err() {
            // The client refused the certificate (it sends an alert and closes).
            return false;
        }
    }
    let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match tls.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let body = br#"{"status":"ok"}"#;
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = tls.write_all(reply.as_bytes());
    let _ = tls.write_all(body);
    let _ = tls.flush();
    conn.send_close_notify();
    let _ = conn.complete_io(&mut tcp);
    true
}
