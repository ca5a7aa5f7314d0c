//! The UI thread's work per touch (issue 11): from invoking a touch target's accessible
//! default action to its return, which runs the Slint callback, the session controller and
//! the re-render into Slint's globals synchronously. Goal: ≤ 2 ms at p99, not growing with the
//! number of registered services.
//!
//! `SLINT_EMIT_DEBUG_INFO=1 cargo bench --bench ui_touch` prints criterion's mean per touch, then its own table of
//! raw samples (mean, median, p99, max over `UI_TOUCH_SAMPLES` touches each, 2,000 by
//! default). Figures in docs/benchmarks.md, "UI work per touch".
//!
//! The kiosk is the real one: the demo's simulators (ID-card reader and printer on
//! pseudo-terminals, the platform simulator over HTTP on loopback) and Slint's testing backend
//! with mock time. Only the UI's public surface is used — accessible labels, the window and
//! its `AppAdapter` global — never the session controller, so the same bench runs unchanged
//! after the shell is refactored.
//!
//! `UI_TOUCH_ONLY=phone_digit` (a name from the table) measures that touch alone; the
//! pages before it are still walked through.
//!
//! `UI_TOUCH_SERVICES=N` adds N dummy tiles to the menu beside the registered services
//! (`Services::set_bench_tiles`), to show the work per touch does not grow with them.

use std::time::{Duration, Instant};

use criterion::Criterion;
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use kiosk::config::Config;
use kiosk::demo::SimRig;
use kiosk::kiosk::Kiosk;
use slint::ComponentHandle;

/// Fail-safe for waits on the kiosk's background threads: generous, never a performance limit.
const PATIENCE: Duration = Duration::from_secs(120);

/// The kiosk under test with its simulators; kept together so they stop together.
struct Bench {
    // Dropped last: the data folder outlives the kiosk's threads that write into it.
    _dir: tempfile::TempDir,
    rig: SimRig,
    kiosk: Kiosk,
}

impl Bench {
    fn start() -> Bench {
        i_slint_backend_testing::init_integration_test_with_mock_time();
        let dir = tempfile::tempdir().expect("temporary data folder");
        let mut config = Config::demo(dir.path().join("data"));
        // The hall's kiosk, not the demo: no operator panel button on the window.
        // The built-in platform is the demo's; then the kiosk as deployed, no demo panel.
        config.demo = true;
        std::fs::create_dir_all(&config.data_dir).expect("data folder");
        let rig = SimRig::start(&mut config).expect("simulators");
        config.demo = false;
        let clock: kiosk::ui::SessionClock =
            std::rc::Rc::new(|| Duration::from_millis(i_slint_backend_testing::get_mocked_time()));
        let kiosk =
            Kiosk::start_with(&config, clock, rig.take_extras(&config)).expect("kiosk starts");
        kiosk.window().show().expect("window shows");
        Bench {
            _dir: dir,
            rig,
            kiosk,
        }
    }

    /// Runs the events background threads have posted so far, and lets Slint instantiate the
    /// page the new state shows (as the end-to-end tests do). Never timed.
    fn pump(&self) {
        slint::invoke_from_event_loop(|| {
            let _ = slint::quit_event_loop();
        })
        .expect("event loop");
        slint::run_event_loop().expect("event loop");
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(1));
    }

    /// Elements labelled `label` on screen; where a button and its own text share the label,
    /// the button.
    fn all(&self, label: &str) -> Vec<ElementHandle> {
        let mut found: Vec<_> =
            ElementHandle::find_by_accessible_label(self.kiosk.window(), label).collect();
        let button = |e: &ElementHandle| e.accessible_role() == Some(AccessibleRole::Button);
        if found.iter().any(button) {
            found.retain(button);
        }
        found
    }

    /// The one touch target labelled `label`; waits (pumping events) until it is on screen.
    fn find(&self, label: &str) -> ElementHandle {
        let start = Instant::now();
        loop {
            let mut found = self.all(label);
            if !found.is_empty() {
                assert!(
                    found.len() == 1,
                    "{} elements labelled {label:?}",
                    found.len()
                );
                return found.remove(0);
            }
            assert!(
                start.elapsed() < PATIENCE,
                "timed out waiting for {label:?} on screen"
            );
            self.pump();
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// One measured touch: finding the target is not timed, the default action is.
    fn touch(&self, label: &str) -> Duration {
        let target = self.find(label);
        let start = Instant::now();
        target.invoke_accessible_default_action();
        let took = start.elapsed();
        self.pump();
        took
    }

    /// A touch that sets up the next measurement (not timed).
    fn tap(&self, label: &str) {
        self.find(label).invoke_accessible_default_action();
        self.pump();
    }

    /// A plain touch anywhere, the callback every page's background calls: measured.
    fn touched(&self) -> Duration {
        let app = self.kiosk.window().global::<kiosk::ui::AppAdapter>();
        let start = Instant::now();
        app.invoke_touched();
        let took = start.elapsed();
        self.pump();
        took
    }

    /// Places the first sample card on the simulated reader and waits for the menu.
    fn swipe_card(&self) {
        let reader = self.rig.reader.as_ref().expect("simulated reader");
        reader.place_card(idcard::sim::sample_cards().into_iter().next().unwrap());
        self.find("取号");
    }

    /// True while the window shows English.
    fn english(&self) -> bool {
        self.kiosk
            .window()
            .global::<kiosk::ui::AppAdapter>()
            .get_english()
    }
}

/// One kind of touch, measured over and over from the same state.
struct Scenario {
    name: &'static str,
    what: &'static str,
    /// Brings the window to the page this touch is made on.
    setup: fn(&Bench),
    /// One measured touch (and, untimed, whatever returns the state to where it was).
    touch: fn(&Bench) -> Duration,
}

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "touched",
            what: "plain AppAdapter.touched (menu page)",
            setup: |_| {},
            touch: |b| b.touched(),
        },
        Scenario {
            name: "navigation",
            what: "取号 (menu -> area) and 返回 (area -> menu), alternately",
            setup: |_| {},
            touch: |b| {
                // One sample per touch, whichever way it goes; the new page's label is
                // awaited untimed.
                if b.all("A  综合受理").is_empty() {
                    let took = b.touch("取号");
                    b.find("A  综合受理");
                    took
                } else {
                    let took = b.touch("返回");
                    b.find("取号");
                    took
                }
            },
        },
        Scenario {
            name: "language",
            what: "中文 / English toggle (menu page)",
            setup: |_| {},
            touch: |b| b.touch("中文 / English"),
        },
        Scenario {
            name: "phone_digit",
            what: "digit 5 on the phone keypad (ticket flow), then 删除 untimed",
            setup: |b| {
                // The navigation before may have left the area page on screen.
                if b.all("A  综合受理").is_empty() {
                    b.tap("取号");
                }
                b.tap("A  综合受理");
                b.find("删除");
            },
            touch: |b| {
                let took = b.touch("5");
                b.tap("删除");
                took
            },
        },
        Scenario {
            name: "case_digit",
            what: "digit 7 on the case-number keypad (progress flow), then 删除 untimed",
            setup: |b| {
                b.tap("返回");
                b.tap("返回");
                b.tap("办件进度查询");
                b.tap("输入办件编号");
                b.tap("JZ");
                b.find("删除");
            },
            touch: |b| {
                let took = b.touch("7");
                b.tap("删除");
                took
            },
        },
    ]
}

/// Mean, median, p99 and max of raw samples.
struct Summary {
    n: usize,
    mean: Duration,
    median: Duration,
    p99: Duration,
    max: Duration,
}

fn summarize(mut samples: Vec<Duration>) -> Summary {
    samples.sort_unstable();
    let n = samples.len();
    // Nearest-rank percentile: the smallest sample with at least p of them at or below it.
    let rank = |p: f64| samples[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
    Summary {
        n,
        mean: samples.iter().sum::<Duration>() / n as u32,
        median: rank(0.50),
        p99: rank(0.99),
        max: samples[n - 1],
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn env_number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?}: expected a whole number")),
        Err(_) => default,
    }
}

fn main() {
    let services = env_number("UI_TOUCH_SERVICES", 0);
    let samples = env_number("UI_TOUCH_SAMPLES", 2000).max(1);
    // One touch alone (by its name in the table), e.g. for callgrind's instruction counts.
    let only = std::env::var("UI_TOUCH_ONLY").ok();
    println!(
        "ui_touch: UI_TOUCH_SERVICES={services} (dummy menu tiles), UI_TOUCH_SAMPLES={samples}"
    );

    // Release builds leave out the element debug info that finding by label needs (build.rs).
    assert!(
        cfg!(debug_assertions) || option_env!("SLINT_EMIT_DEBUG_INFO") == Some("1"),
        "build and run with SLINT_EMIT_DEBUG_INFO=1: `SLINT_EMIT_DEBUG_INFO=1 cargo bench \
         --bench ui_touch` (without it the release UI has no accessible labels to touch)"
    );
    let bench = Bench::start();
    bench
        .kiosk
        .ui()
        .update(|r, _| r.registry_mut().set_bench_tiles(services));
    bench.swipe_card();

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .configure_from_args();
    let mut table = Vec::new();
    for s in scenarios() {
        (s.setup)(&bench);
        if only.as_deref().is_some_and(|o| o != s.name) {
            // Its page is still walked through: the next touch's setup starts from there.
            continue;
        }
        let mut group = criterion.benchmark_group("ui_touch");
        group.bench_function(s.name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| (s.touch)(&bench)).sum())
        });
        group.finish();
        let raw: Vec<Duration> = (0..samples).map(|_| (s.touch)(&bench)).collect();
        let summary = summarize(raw);
        println!(
            "ui_touch/{}: p99 {} (mean {}, median {}, max {}, n = {})",
            s.name,
            ms(summary.p99),
            ms(summary.mean),
            ms(summary.median),
            ms(summary.max),
            summary.n
        );
        table.push((s, summary));
        // The next citizen's pages are in Chinese: leave the window as found.
        if bench.english() {
            bench.tap("中文 / English");
        }
    }
    criterion.final_summary();

    println!();
    println!("UI work per touch, raw samples (UI_TOUCH_SERVICES={services}):");
    println!("| touch | mean | median | p99 | max | n |");
    println!("|---|---|---|---|---|---|");
    for (s, m) in &table {
        println!(
            "| {} ({}) | {} | {} | {} | {} | {} |",
            s.name,
            s.what,
            ms(m.mean),
            ms(m.median),
            ms(m.p99),
            ms(m.max),
            m.n
        );
    }
}
