//! The application's thread: scans (the card's sides cropped as the copy does, material
//! pages in grey), PNG compression, the sealed application in the store before anything is
//! sent, the upload in parts the platform acknowledges, the acceptance receipt; and, from a
//! ticker and at start-up, the upload of whatever is still pending (a kiosk that was offline
//! or killed mid-upload). Every upload of one key asks for one case: the platform answers a
//! second submission with the first case.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kiosk_platform::api::apply::{Gazetteer, PartRef};
use kiosk_platform::client::GazetteerFetch;
use kiosk_platform::{ClientError, PlatformClient};
use scanner::sane::ScannedImage;

use super::{Event, Order, Receipt, Scan, Submission, SubmitProblem};
use crate::app::{EventSink, KioskEvent, Reply, RgbaImage, Session};
use crate::devices::doc_scanner::SharedDocScanner;
use crate::devices::printer_manager::PrinterHandle;
use crate::documents::apply_receipt::{self, AcceptanceReceipt};
use crate::services::ServiceEvent;
use crate::store::Store;
use crate::worker::{Spawned, Worker};

/// How often what is pending is tried again.
pub const RETRY_EVERY: Duration = Duration::from_secs(15);

/// What the thread needs.
pub struct ApplyWorkerDeps {
    /// The database file (its own connection).
    pub db_path: std::path::PathBuf,
    /// The shared document scanner.
    pub scanner: SharedDocScanner,
    /// The receipt printer.
    pub printer: PrinterHandle,
    /// The platform.
    pub client: PlatformClient,
    /// Where answers go.
    pub sink: Arc<dyn EventSink>,
    /// The receipt QR: the hall's verification page and key (`[codes]`); without them the
    /// QR is the bare case number, which the progress query reads as well.
    pub codes: Option<(String, Vec<u8>)>,
    /// How often pending applications are tried again.
    pub retry_every: Duration,
}

struct State {
    deps: ApplyWorkerDeps,
    store: Option<Store>,
    /// A `Resume` is queued: the ticker adds no second one.
    queued: Arc<AtomicBool>,
    /// The gazetteer last read, under its ETag (parsed once per version).
    gazetteer: Option<(Option<String>, Arc<Gazetteer>)>,
}

/// Starts the worker; its first order sends whatever a previous run left pending.
pub fn spawn(deps: ApplyWorkerDeps) -> std::io::Result<Spawned<Reply<Order>>> {
    let store = Store::open(&deps.db_path)
        .map_err(|e| tracing::error!(error = %e, "apply worker: no store"))
        .ok();
    let queued = Arc::new(AtomicBool::new(true));
    let every = deps.retry_every;
    let state = State {
        deps,
        store,
        queued: queued.clone(),
        gazetteer: None,
    };
    let (worker, orders) = Worker::spawn("apply", state, handle)?;
    let no_one = || Session::new(Duration::ZERO, Duration::ZERO).token();
    orders.send(Reply {
        token: no_one(),
        event: Order::Resume,
    });
    // Warms the gazetteer's cache while the platform is there (the answer goes to no one).
    orders.send(Reply {
        token: no_one(),
        event: Order::Gazetteer,
    });
    let life = worker.life();
    let ticker = orders.clone();
    std::thread::Builder::new()
        .name("apply-ticker".into())
        .spawn(move || loop {
            std::thread::sleep(every);
            if !life.is_alive() {
                break;
            }
            if !queued.swap(true, Ordering::SeqCst) {
                ticker.send(Reply {
                    token: no_one(),
                    event: Order::Resume,
                });
            }
        })?;
    Ok((worker, orders))
}

fn handle(s: &mut State, order: Reply<Order>) {
    let token = order.token;
    let event = match order.event {
        Order::Matters => {
            let matters = s
                .store
                .as_ref()
                .and_then(Store::catalog)
                .map(|c| c.apply_matters)
                .unwrap_or_default();
            Event::Matters(
                matters,
                kiosk_platform::api::hall_service_day(chrono::Utc::now()),
            )
        }
        Order::ScanCard(side) => Event::CardScanned(
            side,
            s.deps.scanner.scan_card().map(|card| card_scan(&card)),
        ),
        Order::ScanPage => Event::PageScanned(s.deps.scanner.scan().map(|img| page_scan(&img))),
        Order::Gazetteer => Event::Gazetteer(gazetteer(s)),
        Order::Submit(sub) => Event::Submitted(submit(s, *sub)),
        Order::Resume => {
            s.queued.store(false, Ordering::SeqCst);
            resume(s);
            return;
        }
    };
    s.deps.sink.send(KioskEvent::Service(Reply {
        token,
        event: ServiceEvent::Apply(event),
    }));
}

/// The postal gazetteer: the platform's when it answers (kept with its ETag), else the cached
/// one; `None` when neither is there.
fn gazetteer(s: &mut State) -> Option<Arc<Gazetteer>> {
    let cached = s
        .store
        .as_ref()
        .and_then(|st| st.cached_gazetteer().ok().flatten());
    let etag = cached.as_ref().and_then(|(_, e)| e.clone());
    match s.deps.client.gazetteer(etag.as_deref()) {
        Ok(GazetteerFetch::Modified {
            gazetteer,
            body,
            etag,
        }) => {
            if let Some(st) = &s.store {
                if let Err(e) = st.save_gazetteer(&body, etag.as_deref(), chrono::Utc::now()) {
                    tracing::warn!(error = %e, "gazetteer not cached");
                }
            }
            tracing::info!(districts = gazetteer.districts.len(), "gazetteer fetched");
            let g = Arc::new(gazetteer);
            s.gazetteer = Some((etag, g.clone()));
            Some(g)
        }
        Ok(GazetteerFetch::NotModified) => from_cache(s, cached),
        Err(e) => {
            tracing::info!(error = %e, "gazetteer: platform not reached, the cached one is used");
            from_cache(s, cached)
        }
    }
}

/// The cached gazetteer, parsed once per ETag; a cache that breaks the contract is not used.
fn from_cache(s: &mut State, cached: Option<(String, Option<String>)>) -> Option<Arc<Gazetteer>> {
    let (body, etag) = cached?;
    if let Some((e, g)) = &s.gazetteer {
        if e.is_some() && *e == etag {
            return Some(g.clone());
        }
    }
    let g = Arc::new(
        Gazetteer::parse(&body)
            .map_err(|e| tracing::error!(error = %e, "cached gazetteer unreadable"))
            .ok()?,
    );
    s.gazetteer = Some((etag, g.clone()));
    Some(g)
}

/// The longest side of a preview on screen.
const PREVIEW_PX: u32 = 480;

/// A card side: the cropped card in colour, PNG.
fn card_scan(card: &RgbaImage) -> Scan {
    let mut rgb = Vec::with_capacity(card.pixels.len() / 4 * 3);
    for px in card.pixels.chunks_exact(4) {
        rgb.extend_from_slice(&px[..3]);
    }
    Scan {
        preview: shrink(card, PREVIEW_PX),
        png: Arc::new(encode_png(
            card.width,
            card.height,
            png::ColorType::Rgb,
            &rgb,
        )),
    }
}

/// A material's page: 8-bit grey at half the scan's resolution (150 dpi from the usual 300,
/// enough to read a document), PNG.
pub fn page_scan(img: &ScannedImage) -> Scan {
    let (w, h) = ((img.width / 2).max(1), (img.height / 2).max(1));
    let mut grey = Vec::with_capacity((w * h) as usize);
    for y in 0..h {
        for x in 0..w {
            let mut sum = 0u32;
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let (sx, sy) = (
                    (2 * x + dx).min(img.width - 1),
                    (2 * y + dy).min(img.height - 1),
                );
                let i = ((sy * img.width + sx) * 3) as usize;
                let px = &img.rgb[i..i + 3];
                // Rec. 601 luma.
                sum += (299 * u32::from(px[0]) + 587 * u32::from(px[1]) + 114 * u32::from(px[2]))
                    / 1000;
            }
            grey.push((sum / 4) as u8);
        }
    }
    let mut rgba = Vec::with_capacity(grey.len() * 4);
    for g in &grey {
        rgba.extend_from_slice(&[*g, *g, *g, 255]);
    }
    let full = RgbaImage {
        width: w,
        height: h,
        pixels: rgba,
    };
    Scan {
        preview: shrink(&full, PREVIEW_PX),
        png: Arc::new(encode_png(w, h, png::ColorType::Grayscale, &grey)),
    }
}

fn encode_png(w: u32, h: u32, color: png::ColorType, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(color);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::High);
        // Sub/Paeth-style adaptive filtering compresses scanned paper best.
        enc.set_filter(png::Filter::Adaptive);
        let written = enc
            .write_header()
            .and_then(|mut wr| wr.write_image_data(data));
        if let Err(e) = written {
            tracing::error!(error = %e, "encoding a scan");
        }
    }
    out
}

/// A smaller copy whose longest side is at most `max` (nearest pixel: a preview only).
fn shrink(img: &RgbaImage, max: u32) -> RgbaImage {
    let longest = img.width.max(img.height).max(1);
    if longest <= max {
        return img.clone();
    }
    let (w, h) = (
        (img.width * max / longest).max(1),
        (img.height * max / longest).max(1),
    );
    let mut pixels = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let (sx, sy) = (x * img.width / w, y * img.height / h);
            let i = ((sy * img.width + sx) * 4) as usize;
            pixels.extend_from_slice(&img.pixels[i..i + 4]);
        }
    }
    RgbaImage {
        width: w,
        height: h,
        pixels,
    }
}

/// Seals the application, tries to send it while the citizen waits, prints the receipt.
fn submit(s: &mut State, mut sub: Submission) -> Result<Receipt, SubmitProblem> {
    sub.application.parts = sub
        .parts
        .iter()
        .enumerate()
        .map(|(n, bytes)| PartRef {
            n: n as u32,
            sha256: kiosk_platform::api::apply::digest(bytes),
        })
        .collect();
    let parts: Vec<Vec<u8>> = sub.parts.iter().map(|p| p.as_ref().clone()).collect();
    let Some(store) = s.store.as_mut() else {
        return Err(SubmitProblem::NotSaved);
    };
    if let Err(e) = store.save_application(&sub.key, &sub.application, &parts, chrono::Utc::now()) {
        tracing::error!(error = %e, "the application could not be stored: nothing sent");
        return Err(SubmitProblem::NotSaved);
    }
    drop(parts);
    let case_number = match upload(s, &sub.key) {
        Uploaded::Case(n) => Some(n),
        Uploaded::Later => {
            // The receipt will say so; the platform sends the number when it has it.
            if let Some(store) = &s.store {
                if let Err(e) = store.application_notify_by_sms(&sub.key) {
                    tracing::error!(error = %e, "marking the application for an SMS");
                }
            }
            None
        }
        Uploaded::Refused(why) => return Err(SubmitProblem::Refused(why)),
    };
    let hall = s.store.as_ref().map(Store::hall).unwrap_or_default();
    let today = kiosk_platform::api::hall_service_day(chrono::Utc::now());
    let qr = case_number.as_ref().map(|n| match &s.deps.codes {
        Some((base, key)) => kiosk_platform::codes::verification_url(base, n, today, key),
        None => n.clone(),
    });
    let bytes = apply_receipt::render(&AcceptanceReceipt {
        hall_name: hall.name_zh,
        hall_name_en: hall.name_en,
        matter_zh: sub.matter_zh.clone(),
        matter_en: sub.matter_en.clone(),
        case_number: case_number.clone(),
        qr,
        submitted_on: today,
        masked_id: sub.application.masked_id.clone(),
        materials: sub.materials.clone(),
        delivery: sub.application.delivery,
        post_to: sub
            .application
            .post_address
            .as_deref()
            .map(crate::app::masking::address),
    });
    let printed = match s.deps.printer.print(bytes) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "acceptance receipt did not print");
            false
        }
    };
    Ok(Receipt {
        case_number,
        printed,
    })
}

/// What one upload of a key came to.
enum Uploaded {
    /// The platform opened (or had opened) this case; the scans are purged.
    Case(String),
    /// Not now (network, 5xx, a part the platform lost): kept for the next try.
    Later,
    /// Refused for good: kept for staff as failed, its scans purged.
    Refused(String),
}

/// Sends every part the platform has not acknowledged, then the application.
fn upload(s: &mut State, key: &str) -> Uploaded {
    let Some(store) = s.store.as_mut() else {
        return Uploaded::Later;
    };
    let stored = match store.pending_application(key) {
        Ok(Some(a)) => a,
        Ok(None) => {
            return match store.application_case(key) {
                Ok(Some(n)) => Uploaded::Case(n),
                _ => Uploaded::Later,
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "reading a pending application");
            return Uploaded::Later;
        }
    };
    let client = &s.deps.client;
    let failed = |store: &Store, e: &ClientError| {
        let _ = store.application_attempt_failed(key, &e.to_string());
    };
    for (n, _, acked) in &stored.parts {
        if *acked {
            continue;
        }
        let bytes = match store.application_part(key, *n) {
            Ok(Some(b)) => b,
            _ => return Uploaded::Later,
        };
        match client.put_application_part(key, *n, bytes) {
            Ok(_) => {
                if let Err(e) = store.application_part_acked(key, *n) {
                    tracing::error!(error = %e, "recording an acknowledged part");
                }
            }
            Err(e) => {
                tracing::info!(part = n, error = %e, "application part not sent");
                failed(store, &e);
                return Uploaded::Later;
            }
        }
    }
    match client.submit_application(key, &stored.application) {
        Ok(done) => {
            if let Err(e) = store.application_submitted(key, &done.case_number, chrono::Utc::now())
            {
                tracing::error!(error = %e, "recording the case number");
            }
            tracing::info!(created = done.created, "application submitted");
            Uploaded::Case(done.case_number)
        }
        Err(ClientError::Http {
            status: 409, code, ..
        }) if code.as_deref() == Some(kiosk_platform::api::apply::ERROR_PART_MISSING) => {
            // The platform lost a part: send them all again next time.
            tracing::warn!("the platform asks for the parts again");
            if let Err(e) = store.application_parts_lost(key) {
                tracing::error!(error = %e, "marking the parts to send again");
            }
            Uploaded::Later
        }
        Err(e @ ClientError::Http { status, .. })
            if (400..500).contains(&status) && status != 429 =>
        {
            let why = match &e {
                ClientError::Http { code: Some(c), .. }
                    if c == kiosk_platform::api::apply::ERROR_NOT_ELIGIBLE =>
                {
                    "不符合申办条件".to_owned()
                }
                _ => "平台未受理此申请".to_owned(),
            };
            tracing::warn!(error = %e, "application refused");
            if let Err(err) = store.application_refused(key, &e.to_string()) {
                tracing::error!(error = %err, "recording the refusal");
            }
            Uploaded::Refused(why)
        }
        Err(e) => {
            tracing::info!(error = %e, "application not submitted yet");
            failed(store, &e);
            Uploaded::Later
        }
    }
}

/// Sends every pending application, oldest first. No citizen is waiting: the platform is
/// asked to send the case number by SMS (the receipt, if any, said it would).
fn resume(s: &mut State) {
    let keys = match s.store.as_ref().map(Store::pending_applications) {
        Some(Ok(keys)) => keys,
        _ => return,
    };
    for key in keys {
        if let Some(store) = &s.store {
            let _ = store.application_notify_by_sms(&key);
        }
        if let Uploaded::Later = upload(s, &key) {
            // The platform is not there: the next round tries again, in order.
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn place_json(name: &str, pinyin: &[String]) -> serde_json::Value {
        serde_json::json!({ "name_zh": name, "pinyin": pinyin })
    }

    proptest! {
        /// Whatever the platform or a damaged cache holds, reading it never panics, and what
        /// is taken keeps the contract (a syllable per character, six-digit codes).
        #[test]
        fn any_gazetteer_body_is_taken_whole_or_refused(body in ".{0,400}") {
            if let Ok(g) = Gazetteer::parse(&body) {
                prop_assert!(g.check().is_ok());
            }
        }

        /// Gazetteers of any shape near the contract: taken exactly when every place has one
        /// lowercase syllable per character.
        #[test]
        fn a_place_is_taken_only_with_a_syllable_per_character(
            names in proptest::collection::vec("[\\u{4e00}-\\u{4e20}]{1,6}", 1..20),
            syllables in proptest::collection::vec(proptest::collection::vec("[a-z]{1,6}", 1..7), 1..20),
            code in "[0-9]{5,7}",
        ) {
            let places: Vec<_> = names.iter().zip(&syllables).map(|(n, p)| place_json(n, p)).collect();
            let body = serde_json::json!({
                "city_zh": "北京市", "city_en": "Beijing",
                "districts": [{ "code": code, "name_zh": "朝阳区", "name_en": "Chaoyang",
                                "postcode": "100020", "places": places }],
            }).to_string();
            let fits = code.len() == 6
                && names.iter().zip(&syllables).all(|(n, p)| n.chars().count() == p.len());
            prop_assert_eq!(Gazetteer::parse(&body).is_ok(), fits);
        }
    }

    #[test]
    fn a_page_is_halved_to_grey_and_compressed() {
        // A white page with a few dark lines of "text".
        let (w, h) = (600u32, 400u32);
        let mut rgb = vec![245u8; (w * h * 3) as usize];
        for y in (40..360).step_by(24) {
            for x in 40..560 {
                for dy in 0..6 {
                    let i = (((y + dy) * w + x) * 3) as usize;
                    rgb[i..i + 3].copy_from_slice(&[30, 30, 30]);
                }
            }
        }
        let scan = page_scan(&ScannedImage {
            width: w,
            height: h,
            rgb,
            dpi: 300,
        });
        let decoder = png::Decoder::new(std::io::Cursor::new(scan.png.as_slice()));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (300, 200));
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        assert!(scan.png.len() < 300 * 200 / 10, "{} bytes", scan.png.len());
        assert!(scan.preview.width <= PREVIEW_PX);
    }

    /// The figures in docs/benchmarks.md ("Applications: upload size and time"): the demo
    /// glass's card sides and a page through the real crop and compression, then
    /// applications of those parts uploaded to the simulator on loopback.
    #[test]
    #[cfg(feature = "demo")]
    #[ignore = "figures: cargo test --lib -p citizen-window apply_upload_figures -- --ignored --nocapture"]
    fn apply_upload_figures() {
        use crate::devices::doc_scanner::{DocumentSource, SharedDocScanner};
        let mut glass = crate::demo::glass::SimGlass::new(crate::assets::RECEIPT_FONT);
        let raw = glass.scan().unwrap();
        println!(
            "raw scan {}x{} RGB: {} bytes",
            raw.width,
            raw.height,
            raw.rgb.len()
        );
        let board = crate::devices::health::HealthBoard::new();
        let g2 = crate::demo::glass::SimGlass::new(crate::assets::RECEIPT_FONT);
        let handle = g2.glass.clone();
        let scanner = SharedDocScanner::new(Some(Box::new(g2)), &board, None);
        let front = card_scan(&scanner.scan_card().unwrap());
        let back = card_scan(&scanner.scan_card().unwrap());
        *handle.lock().unwrap() = crate::demo::glass::Glass::Page;
        let t = std::time::Instant::now();
        let page = page_scan(&scanner.scan().unwrap());
        println!(
            "page grey+PNG (incl. 600 ms simulated scan): {:?}",
            t.elapsed()
        );
        for (what, s) in [
            ("card front", &front),
            ("card back", &back),
            ("page", &page),
        ] {
            println!("{what}: PNG {} bytes", s.png.len());
        }
        let parts = [
            front.png.clone(),
            back.png.clone(),
            page.png.clone(),
            page.png.clone(),
        ];
        let total: usize = parts.iter().map(|p| p.len()).sum();
        println!("application (2 sides + 2 pages): {total} bytes");

        let dir = tempfile::tempdir().unwrap();
        let sim = kiosk_platform::sim::SimServer::start(
            std::net::TcpListener::bind("127.0.0.1:0").unwrap(),
            kiosk_platform::sim::SimConfig::demo(dir.path().join("p.sqlite")),
        )
        .unwrap();
        let client = PlatformClient::new(
            &sim.base_url(),
            kiosk_platform::sim::DEMO_KIOSK_ID,
            kiosk_platform::sim::DEMO_KIOSK_KEY.as_bytes(),
            Duration::from_secs(30),
        );
        let mut times = Vec::new();
        for i in 0..10 {
            let key = format!("bench-application-{i:03}");
            let t = std::time::Instant::now();
            for (n, p) in parts.iter().enumerate() {
                client
                    .put_application_part(&key, n as u32, p.as_ref().clone())
                    .unwrap();
            }
            let app = kiosk_platform::api::apply::Application {
                matter: "JZ01".into(),
                holder: kiosk_platform::api::holder_hash("110101198503120017"),
                masked_id: "110101********0017".into(),
                name: "张伟".into(),
                sex: "男".into(),
                nation: "汉".into(),
                birth: chrono::NaiveDate::from_ymd_opt(1985, 3, 12).unwrap(),
                address: "北京市东城区景山前街4号".into(),
                fields: vec![],
                mobile: "13800138000".into(),
                delivery: kiosk_platform::api::apply::Delivery::Window,
                post_address: None,
                card_parts: [0, 1],
                materials: vec![kiosk_platform::api::apply::MaterialHandedIn {
                    code: "permit".into(),
                    pages: vec![2, 3],
                    at_window: false,
                }],
                parts: parts
                    .iter()
                    .enumerate()
                    .map(|(n, p)| PartRef {
                        n: n as u32,
                        sha256: kiosk_platform::api::apply::digest(p),
                    })
                    .collect(),
                notify_sms: false,
            };
            client.submit_application(&key, &app).unwrap();
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "upload (4 parts + submit, loopback, debug build): median {:?}, max {:?}",
            times[times.len() / 2],
            times[times.len() - 1]
        );
        sim.stop();
    }
}
