//! The platform link, checked step by step as a technician would: the name (DNS), the
//! connection (TCP), the encryption (TLS, with the certificate checked as the kiosk's client
//! checks it: the same rustls configuration, from `[platform] ca_file` and `pins`, see
//! `kiosk_platform::client::tls`) and the platform's own answer (`GET /v1/health`, which
//! is unsigned). Each step has its time; a step after a failed one is skipped with the
//! reason, so the first failure is the one to fix.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use kiosk_platform::client::tls::{self, Trust};

/// One step of the link check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStep {
    /// The host name resolved to addresses.
    Dns,
    /// A TCP connection to the first address.
    Tcp,
    /// The TLS handshake and the certificate.
    Tls,
    /// `GET /v1/health` answered 200.
    Http,
}

impl LinkStep {
    /// The step's short name.
    pub fn name(self) -> &'static str {
        match self {
            LinkStep::Dns => "DNS",
            LinkStep::Tcp => "TCP",
            LinkStep::Tls => "TLS",
            LinkStep::Http => "HTTP",
        }
    }
}

pub use super::Outcome;

/// One step's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepResult {
    /// Which step.
    pub step: LinkStep,
    /// How it went.
    pub outcome: Outcome,
    /// How long it took (zero when skipped).
    pub took: Duration,
}

impl StepResult {
    /// `DNS   ok    0.4 ms  127.0.0.1:8800`.
    pub fn line(&self) -> String {
        let (word, text) = self.outcome.parts();
        format!(
            "{:<5} {:<5} {:>8.1} ms  {text}",
            self.step.name(),
            word,
            self.took.as_secs_f64() * 1000.0
        )
    }
}

/// The base URL taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    tls: bool,
    host: String,
    port: u16,
    path: String,
}

fn parse(base_url: &str) -> Result<Target, String> {
    let (tls, rest) = if let Some(r) = base_url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = base_url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(format!(
            "platform.base_url {base_url:?} is not an http:// or https:// URL"
        ));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || p.parse::<u16>().is_ok() => (
            h,
            p.parse::<u16>()
                .map_err(|_| format!("port {p:?} in platform.base_url is not a number"))?,
        ),
        _ => (authority, if tls { 443 } else { 80 }),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("platform.base_url {base_url:?} has no host"));
    }
    Ok(Target {
        tls,
        host: host.to_owned(),
        port,
        path: path.to_owned(),
    })
}

/// Runs the four steps against the configured platform, trusting what the client trusts
/// (`[platform] ca_file` and `pins`), each bounded by `timeout`.
pub fn check_config(
    platform: &crate::config::PlatformConfig,
    timeout: Duration,
) -> Vec<StepResult> {
    run(
        &platform.base_url,
        platform.trust().map_err(|e| e.to_string()),
        timeout,
    )
}

/// Runs the four steps against `base_url` trusting `trust`, each bounded by `timeout`.
pub fn check(base_url: &str, trust: &Trust, timeout: Duration) -> Vec<StepResult> {
    run(base_url, Ok(trust.clone()), timeout)
}

fn run(base_url: &str, trust: Result<Trust, String>, timeout: Duration) -> Vec<StepResult> {
    let mut results = Vec::new();
    let skip_rest = |results: &mut Vec<StepResult>, from: &[LinkStep], why: &str| {
        for step in from {
            results.push(StepResult {
                step: *step,
                outcome: Outcome::Skipped(why.to_owned()),
                took: Duration::ZERO,
            });
        }
    };
    use LinkStep::*;
    let target = match parse(base_url) {
        Ok(t) => t,
        Err(e) => {
            results.push(StepResult {
                step: Dns,
                outcome: Outcome::Fail(e),
                took: Duration::ZERO,
            });
            skip_rest(&mut results, &[Tcp, Tls, Http], "no address to try");
            return results;
        }
    };
    // DNS.
    let t = Instant::now();
    let addrs: Result<Vec<SocketAddr>, _> = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .map(|a| a.collect());
    let took = t.elapsed();
    let addr = match addrs {
        Ok(addrs) if !addrs.is_empty() => {
            let shown: Vec<String> = addrs.iter().take(3).map(|a| a.to_string()).collect();
            results.push(StepResult {
                step: Dns,
                outcome: Outcome::Pass(format!("{} → {}", target.host, shown.join(", "))),
                took,
            });
            addrs[0]
        }
        Ok(_) => {
            results.push(StepResult {
                step: Dns,
                outcome: Outcome::Fail(format!("{} has no address", target.host)),
                took,
            });
            skip_rest(&mut results, &[Tcp, Tls, Http], "the name did not resolve");
            return results;
        }
        Err(e) => {
            results.push(StepResult {
                step: Dns,
                outcome: Outcome::Fail(format!("{}: {e}", target.host)),
                took,
            });
            skip_rest(&mut results, &[Tcp, Tls, Http], "the name did not resolve");
            return results;
        }
    };
    // TCP.
    let t = Instant::now();
    let stream = TcpStream::connect_timeout(&addr, timeout);
    let took = t.elapsed();
    let stream = match stream {
        Ok(s) => {
            results.push(StepResult {
                step: Tcp,
                outcome: Outcome::Pass(format!("connected to {addr}")),
                took,
            });
            s
        }
        Err(e) => {
            results.push(StepResult {
                step: Tcp,
                outcome: Outcome::Fail(format!("{addr}: {e}")),
                took,
            });
            skip_rest(&mut results, &[Tls, Http], "no connection");
            return results;
        }
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    // TLS, then HTTP over it.
    let path = format!("{}/v1/health", target.path);
    if target.tls {
        let t = Instant::now();
        let trust = match trust {
            Ok(trust) => trust,
            Err(why) => {
                results.push(StepResult {
                    step: Tls,
                    outcome: Outcome::Fail(why),
                    took: Duration::ZERO,
                });
                skip_rest(&mut results, &[Http], "no TLS session");
                return results;
            }
        };
        match tls_handshake(&target.host, stream, &trust) {
            Ok(mut tls) => {
                results.push(StepResult {
                    step: Tls,
                    outcome: Outcome::Pass(format!(
                        "{}, certificate valid for {} ({})",
                        tls.conn
                            .protocol_version()
                            .map_or("TLS".to_owned(), |v| format!("{v:?}")),
                        target.host,
                        trust.describe()
                    )),
                    took: t.elapsed(),
                });
                results.push(http_get(&mut tls, &target.host, &path));
            }
            Err(e) => {
                results.push(StepResult {
                    step: Tls,
                    outcome: Outcome::Fail(e),
                    took: t.elapsed(),
                });
                skip_rest(&mut results, &[Http], "no TLS session");
            }
        }
    } else {
        results.push(StepResult {
            step: Tls,
            outcome: Outcome::Skipped(
                "plain http (the demo's or a test's loopback platform): no TLS on this link".into(),
            ),
            took: Duration::ZERO,
        });
        let mut stream = stream;
        results.push(http_get(&mut stream, &target.host, &path));
    }
    results
}

fn tls_handshake(
    host: &str,
    mut tcp: TcpStream,
    trust: &Trust,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, String> {
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| format!("{host:?} is not a server name: {e}"))?;
    let mut conn = rustls::ClientConnection::new(trust.rustls_config(), name)
        .map_err(|e| format!("cannot start TLS: {e}"))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).map_err(|e| {
            // A refused certificate in the words the staff and technician screens use.
            let refused = e
                .get_ref()
                .and_then(|i| i.downcast_ref::<rustls::Error>())
                .and_then(tls::certificate_problem);
            match refused {
                Some(why) => why,
                None => format!("handshake with {host}: {e}"),
            }
        })?;
    }
    Ok(rustls::StreamOwned::new(conn, tcp))
}

/// `GET path` with `Connection: close`; passes on 200.
fn http_get(stream: &mut (impl Read + Write), host: &str, path: &str) -> StepResult {
    let t = Instant::now();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: citizen-window-diag\r\nConnection: close\r\n\r\n"
    );
    let outcome = match stream.write_all(request.as_bytes()).and_then(|()| {
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        // The status line is all the check needs; a platform that never ends its answer
        // is cut by the read timeout.
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        Ok(head)
    }) {
        Ok(head) => {
            let text = String::from_utf8_lossy(&head);
            let status = text.lines().next().unwrap_or("").trim().to_owned();
            if status.split_whitespace().nth(1) == Some("200") {
                Outcome::Pass(format!("GET {path}: {status}"))
            } else if status.is_empty() {
                Outcome::Fail(format!("GET {path}: the connection closed with no answer"))
            } else {
                Outcome::Fail(format!("GET {path}: {status}"))
            }
        }
        Err(e) => Outcome::Fail(format!("GET {path}: {e}")),
    };
    StepResult {
        step: LinkStep::Http,
        outcome,
        took: t.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_come_apart() {
        assert_eq!(
            parse("https://platform.example.gov.cn").unwrap(),
            Target {
                tls: true,
                host: "platform.example.gov.cn".into(),
                port: 443,
                path: String::new()
            }
        );
        let t = parse("http://127.0.0.1:8800/zw/").unwrap();
        assert_eq!((t.tls, t.port, t.path.as_str()), (false, 8800, "/zw"));
        assert!(parse("ftp://x").is_err());
        assert!(parse("http://:80").is_err());
    }

    #[test]
    fn https_to_a_server_that_speaks_no_tls_fails_at_the_tls_step() {
        // What a captive portal or a plain-http proxy on port 443 does.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 512];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        });
        let results = check(
            &format!("https://{addr}"),
            &Trust::web().unwrap(),
            Duration::from_secs(10),
        );
        server.join().unwrap();
        assert!(
            matches!(results[1].outcome, Outcome::Pass(_)),
            "{results:?}"
        );
        assert!(
            matches!(&results[2].outcome, Outcome::Fail(why) if why.contains("handshake")),
            "{results:?}"
        );
        assert_eq!(
            results[3].outcome,
            Outcome::Skipped("no TLS session".into())
        );
    }

    #[test]
    fn the_simulator_passes_with_tls_skipped_and_a_closed_port_fails_at_tcp() {
        let dir = tempfile::tempdir().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sim = {
            let stop = stop.clone();
            let config = kiosk_platform::sim::SimConfig::demo(dir.path().join("sim.sqlite"));
            std::thread::spawn(move || kiosk_platform::sim::serve(listener, config, stop))
        };
        let web = Trust::web().unwrap();
        let results = check(&format!("http://{addr}"), &web, Duration::from_secs(10));
        let steps: Vec<LinkStep> = results.iter().map(|r| r.step).collect();
        assert_eq!(
            steps,
            [LinkStep::Dns, LinkStep::Tcp, LinkStep::Tls, LinkStep::Http]
        );
        assert!(matches!(results[2].outcome, Outcome::Skipped(_)));
        assert!(
            matches!(&results[3].outcome, Outcome::Pass(s) if s.contains("200")),
            "{results:?}"
        );
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        sim.join().unwrap().unwrap();

        // Nobody listens there any more.
        let results = check(&format!("http://{addr}"), &web, Duration::from_secs(10));
        assert!(results[1].outcome.failed(), "{results:?}");
        assert!(matches!(results[3].outcome, Outcome::Skipped(_)));
    }

    /// The link check trusts what the client trusts: against a real TLS server signed by a
    /// test CA, the web roots fail at TLS ("unknown issuer"), the CA file passes, a wrong
    /// pin fails in the screens' words.
    #[test]
    fn the_tls_step_uses_the_ca_file_and_the_pins_of_the_config() {
        use kiosk_platform::tls_test::{TlsTestServer, CA_PEM, CA_PIN, SERVER_PIN};
        let server = TlsTestServer::start();
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("gov-ca.pem");
        std::fs::write(&ca, CA_PEM).unwrap();
        let mut platform = crate::config::Config::demo(dir.path().into()).platform;
        platform.base_url = server.base_url();
        let timeout = Duration::from_secs(30);

        let results = check_config(&platform, timeout);
        assert!(
            matches!(&results[2].outcome, Outcome::Fail(why) if why.contains("issuer is unknown")),
            "{results:?}"
        );
        assert!(matches!(results[3].outcome, Outcome::Skipped(_)));

        platform.ca_file = Some(ca.clone());
        let results = check_config(&platform, timeout);
        assert!(
            matches!(&results[2].outcome, Outcome::Pass(s) if s.contains("CA file (1 certificate)")),
            "{results:?}"
        );
        assert!(
            matches!(&results[3].outcome, Outcome::Pass(s) if s.contains("200")),
            "{results:?}"
        );

        platform.pins = vec![SERVER_PIN.trim().into()];
        let results = check_config(&platform, timeout);
        assert!(
            matches!(results[3].outcome, Outcome::Pass(_)),
            "{results:?}"
        );
        platform.pins = vec![CA_PIN.trim().into()];
        let results = check_config(&platform, timeout);
        assert!(
            matches!(&results[2].outcome, Outcome::Fail(why) if why.contains("not the expected one")),
            "{results:?}"
        );

        // A CA file that is not there fails the TLS step with its name.
        platform.ca_file = Some(dir.path().join("missing.pem"));
        let results = check_config(&platform, timeout);
        assert!(
            matches!(&results[2].outcome, Outcome::Fail(why) if why.contains("missing.pem")),
            "{results:?}"
        );
    }
}
