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
//!   `sim/http.rs` (a small HTTP/1.1 server with prompt shutdown), `sim/routes/`
//!   (authentication and the dispatch table), `sim/store/` (database, migrations, the
//!   batch upload and its dispatch on `kind`), `sim/sms.rs` (the SMS gateway: records
//!   each message by number, read at `/control/sms`).
//! - [`codes`]: what a scanned code means.
//!
//! Each of `api/`, `client/`, `sim/routes/` and `sim/store/` has a `mod.rs` with what
//! every service shares (envelope, errors, signing and transport, authentication,
//! batch upload, heartbeat, nonces) and one file per citizen service: `catalog.rs`,
//! `queue_ticket.rs`, `case_progress.rs`, `appointment.rs`; `rating.rs` is the rating
//! kind shared by every service (好差评). The simulator's own `/control/*` calls are
//! apart from the product client, in `client/sim_control.rs`.
//!
//! # Adding a service
//!
//! A service `foo` is one file in each folder plus one line in each registry:
//!
//! 1. `api/foo.rs`: its requests, responses and transaction payloads (hand-written
//!    `Debug` for anything personal); `pub mod foo;` in `api/mod.rs`. It is reached as
//!    `api::foo::X`, so same-named types of two services do not clash.
//! 2. `client/foo.rs`: an `impl PlatformClient` block with its calls; `mod foo;` in
//!    `client/mod.rs`.
//! 3. `sim/routes/foo.rs`: `const ROUTES: &[Route]` and its handlers; `mod foo;` and
//!    `foo::ROUTES` in `TABLE` in `sim/routes/mod.rs` (a module left out of `TABLE`
//!    is dead code, which clippy refuses).
//! 4. `sim/store/foo.rs`: its queries, its tables as a `MIGRATION_N` appended to
//!    `MIGRATIONS`, and, if it uploads transactions, a `KIND_FOO` (in `api/foo.rs`) and a
//!    `store` function registered in `KINDS` in `sim/store/mod.rs`. The batch upload,
//!    idempotency and per-row refusals stay in `mod.rs`; an unregistered kind is refused
//!    per row.
//!
//! Then the service's section in `docs/platform-api.md`.
//! - `hostile` (feature `test-support`): a hostile platform on loopback for tests, between
//!   the kiosk and the simulator, answering every way a platform, a proxy or a captive
//!   portal can.
//! - `tls_test` (feature `test-support`): a real TLS server on loopback with checked-in
//!   test certificates, for the certificate checks of the client and the link check.

pub mod api;
pub mod client;
pub mod codes;
#[cfg(any(test, feature = "test-support"))]
pub mod hostile;
pub mod sign;
#[cfg(feature = "sim")]
pub mod sim;
#[cfg(any(test, feature = "test-support"))]
pub mod tls_test;

pub use client::{CatalogFetch, ClientError, PlatformClient};
