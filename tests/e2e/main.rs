//! The end-to-end tests, in one binary: each test file used to be its own binary linking the
//! whole app (Slint included), and building them took most of a fresh `scripts/test`. A
//! module per service or area; the kiosk rig in [`rig`] runs on the demo's simulators
//! (`kiosk::demo::SimRig`), the real IPP printer in [`ipp`].
//!
//! # Global state, and which tests take turns
//!
//! - Slint's testing backend (`i-slint-backend-testing` 1.18.1) can be installed once per
//!   process, and then belongs to the thread that installed it: the Slint context, its
//!   timers and the mock clock (`mock_elapsed_time`, read by the kiosk's session clock) are
//!   thread-locals, while the event-loop proxy that the kiosk's threads post to
//!   (`invoke_from_event_loop`) is process-wide and wakes that one thread. A second test
//!   thread can neither install it again ("platform already initialized") nor pump the first
//!   one's events, and two kiosks on one clock would fire each other's timers. So every UI
//!   test runs its body on the one Slint thread, in turn ([`rig::on_ui_thread`], a
//!   poison-tolerant process-wide lock and a channel to that thread); the UI event handler
//!   thread-locals of `src/ui/` then always belong to the kiosk of the running test.
//! - The device-health board is a value each kiosk makes and hands to its threads
//!   (`kiosk::devices::health::HealthBoard`), so tests share nothing through it.
//! - `ippeveprinter` needs its own avahi-daemon, and only one runs per machine: an
//!   [`ipp::IppRig`] holds a process-wide lock while it lives.
//!
//! Everything else (drivers, printing, documents, store, sync, the soak and `kiosk diag`
//! through the binary) has no shared state and runs in parallel, as libtest does.

mod ipp;
mod rig;
mod sample_sessions;

mod apply;
mod appointment;
mod bundle_pii;
mod case_progress;
mod certificate;
mod data_pii;
mod deployment;
mod documents;
mod elderly;
mod errors;
mod id_copy;
mod idcard;
mod identify;
mod keys;
mod layout;
mod link_security;
mod medical_insurance;
mod menu;
mod personal_documents;
mod printing;
mod queue_ticket;
mod rating;
mod sample_forms;
mod session;
mod silent_calling;
mod soak;
mod soak_sessions;
mod staff;
mod store;
mod sync;
mod take_card;
mod technician;
mod technician_audit;
mod touch;
mod traffic_fine;
mod translations;
