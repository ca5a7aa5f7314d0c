//! TLS to the platform: which certificate authorities the kiosk trusts, which keys it pins,
//! and the ureq connector that does the handshake with them.
//!
//! ureq 3's own `TlsConfig` takes root certificates but no verifier of one's own, so the
//! client builds its agent with a connector chain (`ureq::unversioned::transport`) whose TLS
//! step is [`PlatformTls`]: the same rustls, ring provider and web roots ureq uses, with a
//! verifier that checks the chain as usual and then the pins. The technicians' link check
//! (the kiosk's `diag::link`) takes its rustls configuration from [`Trust::rustls_config`]
//! too, so both refuse and accept the same servers.
//!
//! - Roots: the web's (Mozilla's, `webpki-roots`) by default. With a CA file, its
//!   authorities **replace** the web roots: a government platform served under the
//!   government's own CA then cannot be impersonated by a certificate any of the ~150 public
//!   authorities issues for its name.
//! - Pins (`sha256/<base64>` of a certificate's SubjectPublicKeyInfo, as HPKP wrote them):
//!   on top of the chain check, one of the certificates the server presents (its own or an
//!   intermediate it sends) must carry a pinned key. Pin the server's key and a backup key.

use std::fmt;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use sha2::{Digest, Sha256};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
    TransportAdapter,
};

/// The prefix of a pin in `[platform] pins`.
pub const PIN_PREFIX: &str = "sha256/";

/// The SHA-256 of a certificate's SubjectPublicKeyInfo: survives the certificate's renewal
/// as long as the key stays.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pin(pub [u8; 32]);

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PIN_PREFIX}{}", base64(&self.0))
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for Pin {
    type Err = String;

    /// `sha256/` and the standard base64 (with padding) of 32 bytes.
    fn from_str(s: &str) -> Result<Self, String> {
        let b64 = s.trim().strip_prefix(PIN_PREFIX).ok_or_else(|| {
            format!("{s:?} does not start with {PIN_PREFIX:?} (the form is sha256/<base64 of the SubjectPublicKeyInfo's SHA-256>)")
        })?;
        let bytes = unbase64(b64).ok_or_else(|| {
            format!("{s:?}: {b64:?} is not standard base64 (A-Z a-z 0-9 + /, = padding)")
        })?;
        let hash: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("{s:?} holds {} bytes, a SHA-256 has 32", b.len()))?;
        Ok(Pin(hash))
    }
}

/// The pin of a certificate's key; `None` when the certificate does not parse.
pub fn spki_pin(cert: &CertificateDer<'_>) -> Option<Pin> {
    let parsed = rustls::server::ParsedCertificate::try_from(cert).ok()?;
    let spki = parsed.subject_public_key_info();
    Some(Pin(Sha256::digest(spki.as_ref()).into()))
}

/// The certificates of a PEM file (a CA bundle): at least one, each a certificate rustls
/// can use as a trust anchor. The error says what is wrong with the file.
pub fn load_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{shown} is not a PEM certificate file: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "{shown} holds no certificate (expected -----BEGIN CERTIFICATE----- blocks)"
        ));
    }
    let mut store = RootCertStore::empty();
    for (i, cert) in certs.iter().enumerate() {
        store.add(cert.clone()).map_err(|e| {
            format!(
                "{shown}: certificate {} is not usable as an authority: {e}",
                i + 1
            )
        })?;
    }
    Ok(certs)
}

/// Why the kiosk's TLS settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TrustError(pub String);

/// Whom the kiosk trusts for the platform's certificate. Cheap to clone.
#[derive(Clone)]
pub struct Trust {
    /// The CA file's authorities (replacing the web roots), if one was given.
    ca: Option<Arc<Vec<CertificateDer<'static>>>>,
    pins: Vec<Pin>,
    config: Arc<ClientConfig>,
}

impl fmt::Debug for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trust")
            .field("ca_certs", &self.ca.as_ref().map(|c| c.len()))
            .field("pins", &self.pins)
            .finish()
    }
}

impl Trust {
    /// The web's roots, no pins: what a kiosk with neither `ca_file` nor `pins` uses.
    pub fn web() -> Result<Self, TrustError> {
        Self::new(None, &[])
    }

    /// The authorities of `ca_file` (instead of the web roots) or the web roots, and `pins`
    /// (`sha256/…`, none for no pinning).
    pub fn from_settings(ca_file: Option<&Path>, pins: &[String]) -> Result<Self, TrustError> {
        let ca = ca_file.map(load_ca_file).transpose().map_err(TrustError)?;
        let pins = pins
            .iter()
            .map(|p| p.parse::<Pin>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(TrustError)?;
        Self::new(ca, &pins)
    }

    /// From certificates already read and pins already parsed.
    pub fn new(ca: Option<Vec<CertificateDer<'static>>>, pins: &[Pin]) -> Result<Self, TrustError> {
        let roots = match &ca {
            Some(certs) => {
                let mut store = RootCertStore::empty();
                for cert in certs {
                    store
                        .add(cert.clone())
                        .map_err(|e| TrustError(format!("a CA certificate is not usable: {e}")))?;
                }
                store
            }
            None => RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            },
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| TrustError(format!("cannot check certificates: {e}")))?;
        let verifier = PinningVerifier {
            inner,
            pins: pins.to_vec(),
        };
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TrustError(format!("no TLS version to offer: {e}")))?
            .dangerous()
            // Not dangerous: the web PKI's own checks run first (PinningVerifier::inner);
            // the pins only refuse more.
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok(Self {
            ca: ca.map(Arc::new),
            pins: pins.to_vec(),
            config: Arc::new(config),
        })
    }

    /// The rustls client configuration: the roots and the pins' verifier (shared by the
    /// platform client and the technicians' link check).
    pub fn rustls_config(&self) -> Arc<ClientConfig> {
        self.config.clone()
    }

    /// The pins, empty when none.
    pub fn pins(&self) -> &[Pin] {
        &self.pins
    }

    /// How many authorities the CA file gave (`None`: the web roots).
    pub fn ca_certs(&self) -> Option<usize> {
        self.ca.as_ref().map(|c| c.len())
    }

    /// `web roots` or `CA file (2 certificates)`, and the pins' count: for the link check.
    pub fn describe(&self) -> String {
        let roots = match self.ca_certs() {
            None => "web roots".to_owned(),
            Some(n) => format!("CA file ({n} certificate{})", if n == 1 { "" } else { "s" }),
        };
        match self.pins.len() {
            0 => roots,
            n => format!("{roots}, {n} pin{}", if n == 1 { "" } else { "s" }),
        }
    }
}

/// The pins matched none of the server's certificates.
#[derive(Debug)]
pub struct PinMismatch {
    /// The pins of the certificates the server presented, leaf first.
    pub presented: Vec<Pin>,
}

impl fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the platform's certificate is not the expected one: none of [platform] pins matches its keys ({})",
            self.presented
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

impl std::error::Error for PinMismatch {}

/// The web PKI's checks (chain to a trusted root, name, dates), then the pins.
#[derive(Debug)]
struct PinningVerifier {
    inner: Arc<WebPkiServerVerifier>,
    pins: Vec<Pin>,
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        if self.pins.is_empty() {
            return Ok(verified);
        }
        let presented: Vec<Pin> = std::iter::once(end_entity)
            .chain(intermediates)
            .filter_map(spki_pin)
            .collect();
        if presented.iter().any(|p| self.pins.contains(p)) {
            Ok(verified)
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                rustls::OtherError(Arc::new(PinMismatch { presented })),
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// In words, when a TLS failure is about the platform's certificate (not trusted, not the
/// pinned one, expired, for another name); `None` for other TLS failures.
pub fn certificate_problem(e: &rustls::Error) -> Option<String> {
    let rustls::Error::InvalidCertificate(ce) = e else {
        return None;
    };
    Some(match ce {
        CertificateError::Other(other) => match other.0.downcast_ref::<PinMismatch>() {
            Some(m) => m.to_string(),
            None => format!("the platform's certificate is refused: {other}"),
        },
        CertificateError::UnknownIssuer => "the platform's certificate is not the expected one: \
             its issuer is unknown (not a trusted authority; is [platform] ca_file the government CA?)"
            .to_owned(),
        other => format!("the platform's certificate is not the expected one: {other:?}"),
    })
}

/// The TLS step of the client's connector chain: [`Trust`]'s configuration instead of
/// ureq's own (see the module's text).
#[derive(Debug)]
pub(crate) struct PlatformTls {
    pub(crate) config: Arc<ClientConfig>,
}

impl<In: Transport> Connector<In> for PlatformTls {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details
            .uri
            .host()
            .ok_or(ureq::Error::Tls("the platform's URL has no host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host.to_owned())
            .map_err(|_| ureq::Error::Tls("the platform's host is not a TLS server name"))?;
        let mut conn = ClientConnection::new(self.config.clone(), name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        while conn.is_handshaking() {
            conn.complete_io(&mut sock).map_err(handshake_error)?;
        }
        Ok(Some(Either::B(TlsTransport {
            buffers: LazyBuffers::new(
                details.config.input_buffer_size(),
                details.config.output_buffer_size(),
            ),
            stream: StreamOwned::new(conn, sock),
        })))
    }
}

/// A refused certificate comes out of the handshake as an I/O error wrapping rustls's:
/// unwrapped, so the client can tell it from a network failure.
fn handshake_error(e: std::io::Error) -> ureq::Error {
    if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return ureq::Error::Rustls(tls.clone());
    }
    ureq::Error::from(e)
}

/// A TLS session over the chained transport (what ureq's own rustls transport does).
pub(crate) struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsTransport").finish_non_exhaustive()
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (a pin is 32 bytes; not worth a crate).
fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The inverse of [`base64`]; `None` unless `text` is canonical standard base64.
fn unbase64(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (q, quad) in bytes.chunks(4).enumerate() {
        let last = q == bytes.len() / 4 - 1;
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            let v = B64.iter().position(|&b| b == c)? as u32;
            n = n << 6 | v;
        }
        n <<= 6 * pad as u32;
        let got = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&got[..3 - pad]);
    }
    // Canonical: encoding it back gives the same text (no stray low bits before padding).
    (base64(&out) == text).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_refuses_what_is_not_canonical() {
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            let text = base64(&bytes);
            if n > 0 {
                assert_eq!(unbase64(&text).as_deref(), Some(&bytes[..]), "{text}");
            }
        }
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(unbase64("Zm9="), None, "low bits set before the padding");
        assert_eq!(unbase64("Zm8"), None);
        assert_eq!(unbase64("Zm-="), None);
        assert_eq!(unbase64("=m8="), None);
    }

    #[test]
    fn pins_parse_and_say_what_is_wrong() {
        let pin: Pin = "sha256/m6AWzDC6VhFrpl7sNQetSArL6rEuJLzNLxb1Hd+9w24="
            .parse()
            .unwrap();
        assert_eq!(
            pin.to_string(),
            "sha256/m6AWzDC6VhFrpl7sNQetSArL6rEuJLzNLxb1Hd+9w24="
        );
        let e = "m6AWzDC6VhFrpl7sNQetSArL6rEuJLzNLxb1Hd+9w24="
            .parse::<Pin>()
            .unwrap_err();
        assert!(e.contains("sha256/"), "{e}");
        let e = "sha256/Zm9vYmFy".parse::<Pin>().unwrap_err();
        assert!(e.contains("6 bytes"), "{e}");
        let e = "sha256/not base64!".parse::<Pin>().unwrap_err();
        assert!(e.contains("base64"), "{e}");
    }

    #[test]
    fn a_ca_file_that_is_not_pem_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "nothing here\n").unwrap();
        let e = load_ca_file(&empty).unwrap_err();
        assert!(
            e.contains("empty.pem") && e.contains("no certificate"),
            "{e}"
        );
        let e = load_ca_file(&dir.path().join("missing.pem")).unwrap_err();
        assert!(e.contains("cannot read"), "{e}");
        let e = Trust::from_settings(None, &["sha256/x".into()]).unwrap_err();
        assert!(e.0.contains("base64"), "{e}");
        assert_eq!(Trust::web().unwrap().describe(), "web roots");
    }

    /// The client against a real TLS server: the CA file makes the difference between
    /// "unknown issuer" and a connection; a pin of the server's key lets it through, a pin
    /// of a key the server does not present refuses it, with words the screens show.
    #[test]
    fn the_client_trusts_the_ca_file_and_holds_to_the_pins() {
        use crate::client::{ClientError, PlatformClient};
        use crate::tls_test::{TlsTestServer, CA_PEM, CA_PIN, SERVER_PEM, SERVER_PIN};
        use std::time::Duration;

        let server = TlsTestServer::start();
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("gov-ca.pem");
        std::fs::write(&ca_file, CA_PEM).unwrap();
        let client = |trust: &Trust| {
            PlatformClient::with_trust(
                &server.base_url(),
                "k",
                b"key",
                Duration::from_secs(30),
                trust,
            )
        };

        // The web roots do not know the government's CA.
        let e = client(&Trust::web().unwrap()).health().unwrap_err();
        assert!(
            matches!(&e, ClientError::Certificate(why) if why.contains("issuer is unknown")),
            "{e:?}"
        );
        assert!(!e.is_retryable());
        // So does PlatformClient::new.
        let e = PlatformClient::new(&server.base_url(), "k", b"key", Duration::from_secs(30))
            .health()
            .unwrap_err();
        assert!(matches!(e, ClientError::Certificate(_)), "{e:?}");
        assert_eq!(server.handshakes(), 0);

        let with_ca = Trust::from_settings(Some(&ca_file), &[]).unwrap();
        assert_eq!(with_ca.describe(), "CA file (1 certificate)");
        assert_eq!(client(&with_ca).health().unwrap().status, "ok");
        assert_eq!(server.handshakes(), 1);

        // Our SPKI hash is openssl's.
        let leaf = CertificateDer::from_pem_slice(SERVER_PEM.as_bytes()).unwrap();
        assert_eq!(spki_pin(&leaf).unwrap().to_string(), SERVER_PIN.trim());

        let pinned = Trust::from_settings(
            Some(&ca_file),
            &[CA_PIN.trim().into(), SERVER_PIN.trim().into()],
        )
        .unwrap();
        assert_eq!(client(&pinned).health().unwrap().status, "ok");
        assert_eq!(server.handshakes(), 2);

        // The CA's key is not among what the server presents (its certificate only).
        let wrong = Trust::from_settings(Some(&ca_file), &[CA_PIN.trim().into()]).unwrap();
        let e = client(&wrong).health().unwrap_err();
        match &e {
            ClientError::Certificate(why) => {
                assert!(why.contains("not the expected one"), "{why}");
                assert!(
                    why.contains(SERVER_PIN.trim()),
                    "names the key it saw: {why}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(server.handshakes(), 2);
    }
}
