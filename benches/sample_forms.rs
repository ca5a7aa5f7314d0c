//! Sample forms (issue 14 §1): the search per keystroke over the platform's whole library,
//! a page image's decode on the worker thread, and the viewer's frame at each zoom on
//! Slint's software renderer at 1920×1080.
//!
//! Run: `cargo bench --bench sample_forms` (release; the figures in docs/benchmarks.md,
//! "Sample forms", were taken with `cargo bench --profile dev --bench sample_forms`, an
//! unoptimised build, so they are upper bounds).
//!
//! Everything is the real thing: the library and a page come from the platform simulator
//! over signed HTTP on loopback; the index is the service's; the page is decoded by the
//! worker's own function; the frame is the kiosk's own window (`AppWindow`, the viewer page
//! on screen) drawn by `SoftwareRenderer` into a 1920×1080 buffer, the whole screen each
//! frame (a zoom step repaints the whole page area anyway).

use std::net::TcpListener;
use std::rc::Rc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use kiosk::services::sample_forms::search::{Filter, FormIndex, Key};
use kiosk_platform::api::sample_forms::PageKind;
use kiosk_platform::client::{LibraryFetch, PlatformClient};
use kiosk_platform::sim::{SimConfig, SimServer, DEMO_KIOSK_ID, DEMO_KIOSK_KEY};
use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, WindowAdapter};
use slint::ComponentHandle;

struct BenchPlatform {
    window: Rc<MinimalSoftwareWindow>,
    start: std::time::Instant,
}

impl Platform for BenchPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }
    fn duration_since_start(&self) -> Duration {
        self.start.elapsed()
    }
}

/// Typing 居住证变更 as pinyin initials, one keystroke at a time: each prefix is one search
/// and one candidate row, what the flow does per key.
const TYPED: &[u8] = b"jzzbg";

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let sim = SimServer::start(
        TcpListener::bind("127.0.0.1:0").expect("loopback"),
        SimConfig::demo(dir.path().join("platform.db")),
    )
    .expect("simulator");
    let client = PlatformClient::new(
        &sim.base_url(),
        DEMO_KIOSK_ID,
        DEMO_KIOSK_KEY.as_bytes(),
        Duration::from_secs(30),
    );
    let LibraryFetch::Modified { library, .. } = client.form_library(None).expect("library") else {
        panic!("the first fetch carries the library")
    };

    let mut g = c.benchmark_group("form_search");
    g.bench_function("index_build_234_forms", |b| {
        b.iter(|| FormIndex::new(&library))
    });
    let index = FormIndex::new(&library);
    for n in 1..=TYPED.len() {
        let keys: Vec<Key> = TYPED[..n].iter().copied().map(Key::Letter).collect();
        g.bench_with_input(BenchmarkId::new("keystroke", n), &keys, |b, keys| {
            b.iter(|| {
                let found = index.search(Filter::default(), keys);
                let row = index.candidates(Filter::default(), keys);
                (found.len(), row.len())
            })
        });
    }
    g.finish();

    let form = library
        .forms
        .iter()
        .find(|f| f.pages > 1)
        .expect("a form of pages");
    let png = client
        .form_page(&form.id, PageKind::Sample, 1)
        .expect("a page image");
    let mut g = c.benchmark_group("form_page");
    g.sample_size(20);
    g.bench_function("decode_1240x1754_png_to_rgba", |b| {
        b.iter(|| kiosk::services::sample_forms::worker::decode(&png).expect("decodes"))
    });
    g.finish();

    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    slint::platform::set_platform(Box::new(BenchPlatform {
        window: window.clone(),
        start: std::time::Instant::now(),
    }))
    .expect("the bench's platform");
    window.set_size(slint::PhysicalSize::new(1920, 1080));
    let ui = kiosk::ui::AppWindow::new().expect("window");
    ui.show().expect("shown");
    let app = ui.global::<kiosk::ui::AppAdapter>();
    app.set_screen(kiosk::ui::Screen::Service);
    app.set_service(kiosk::ui::ServiceId::SampleForms);
    let a = ui.global::<kiosk::ui::SampleFormsAdapter>();
    let image = kiosk::services::sample_forms::worker::decode(&png).expect("decodes");
    a.set_page_image(slint::Image::from_rgba8(image.0.clone()));
    a.set_page_state(kiosk::ui::FormsPageState::Shown);
    a.set_step(kiosk::ui::FormsStep::Viewing);
    let mut buffer = vec![slint::Rgb8Pixel::default(); 1920 * 1080];
    let mut frame = |zoom: f32| {
        a.set_zoom(zoom);
        slint::platform::update_timers_and_animations();
        window.request_redraw();
        window.draw_if_needed(|r| {
            r.render(&mut buffer, 1920);
        });
    };
    frame(1.0);
    let mut g = c.benchmark_group("form_zoom_frame_1920x1080");
    g.sample_size(20);
    for zoom in [1.0f32, 1.5, 2.0, 3.0, 4.0] {
        g.bench_with_input(BenchmarkId::from_parameter(zoom), &zoom, |b, z| {
            // Alternating with the next step, so every frame is a real change of zoom.
            let mut flip = false;
            b.iter(|| {
                flip = !flip;
                frame(if flip { *z } else { *z + 0.05 });
            })
        });
    }
    g.finish();
    drop(ui);
    sim.stop();
}

criterion_group!(benches, bench);
criterion_main!(benches);
