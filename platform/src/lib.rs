//! Citizen Window's side of the central platform: the API contract, the kiosk's HTTP
//! client, and a platform simulator.
//!
//! Kiosks work offline first and sync to the platform over HTTPS; the contract they
//! follow is `docs/platform-api.md`, and this crate is its executable form. The
//! simulator is a real HTTP server (not a mock behind a trait), so the demo and the
//! tests exercise the same code paths, sockets and failure modes as production.
//!
//! # Layout
//!
//! - [`api`]: request and response types of every endpoint, shared by both sides so the
//!   JSON cannot drift; personal data is masked in their `Debug` output.
//! - [`sign`]: HMAC-SHA256 request signing and verification.
//! - [`client`]: [`client::PlatformClient`], the blocking client the kiosk uses (ureq),
//!   and [`client::ClientError`] with its retry classification.
//! - [`sim`]: the simulator — [`sim::serve`] / [`sim::SimServer`] on a caller-provided
//!   `TcpListener`, backed by SQLite (WAL, numbered migrations). Internally:
//!   `sim/http.rs` (a small HTTP/1.1 server with prompt shutdown), `sim/routes.rs`
//!   (authentication, endpoints, follow page), `sim/store.rs` (schema and queries).
//! - `hostile` (feature `test-support`): a hostile platform on loopback for tests, between
//!   the kiosk and the simulator, answering every way a platform, a proxy or a captive
//!   portal can.

pub mod api;
pub mod client;
pub mod codes;
#[cfg(any(test, feature = "test-support"))]
pub mod hostile;
pub mod sign;
pub mod sim;

pub use client::{CatalogFetch, ClientError, PlatformClient};
