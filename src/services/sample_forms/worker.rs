//! The sample-forms worker: the library (the platform's when its ETag changed, else the
//! store's), page images (the store's cache, else the platform, then kept under
//! [`PAGE_CACHE_BYTES`]) decoded to RGBA for the screen, and print jobs on the kiosk's A4
//! printer. All of it off the UI thread.

use std::path::PathBuf;
use std::sync::Arc;

use kiosk_platform::api::sample_forms::{FormLibrary, PageKind, SampleForm};
use kiosk_platform::client::{ClientError, LibraryFetch, PlatformClient};

use super::flow::field_key;
use super::{Event, Library, Order, PageImage, PageProblem, PrintProblem, PrintState, PrintWhat};
use crate::app::{EventSink, KioskEvent, Reply};
use crate::devices::a4_printer::A4Printer;
use crate::documents::form::{self as form_doc, FormField, FormTemplate};
use crate::documents::pdf::RgbImage;
use crate::documents::sample_form;
use crate::services::ServiceEvent;
use crate::store::{PageKey, Store};
use crate::worker::{Spawned, Worker};

/// How much of the store the page images may take: 64 MiB, about 400 pages (a page is
/// 100–180 KB), which holds every page a day's citizens look at; the least recently shown
/// go first beyond it.
pub const PAGE_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// The job name at the printer (no personal data: printers log job names).
pub const JOB_NAME: &str = "sample-form";

/// What the thread needs.
pub struct SampleFormsWorkerDeps {
    /// The platform.
    pub client: PlatformClient,
    /// The kiosk's A4 printer.
    pub a4: A4Printer,
    /// Font for the PDF.
    pub font: &'static [u8],
    /// Database file (the library and page cache).
    pub db_path: PathBuf,
    /// The page cache's cap in bytes ([`PAGE_CACHE_BYTES`] in the kiosk).
    pub cache_bytes: u64,
    /// Where answers go.
    pub sink: Arc<dyn EventSink>,
}

/// What the thread keeps between orders: nothing of a citizen, only the library.
struct State {
    deps: SampleFormsWorkerDeps,
    store: Option<Store>,
    /// The library indexed, with the ETag it came with (indexed once per version).
    current: Option<(Option<String>, Arc<Library>)>,
}

/// Starts the worker; its first order fetches the library, so the kiosk has it for offline
/// browsing before any citizen asks (the answer, for no session, is dropped).
pub fn spawn(deps: SampleFormsWorkerDeps) -> std::io::Result<Spawned<Reply<Order>>> {
    let store = Store::open(&deps.db_path)
        .map_err(|e| tracing::error!(error = %e, "sample-forms worker: no store"))
        .ok();
    let state = State {
        deps,
        store,
        current: None,
    };
    let (worker, orders) = Worker::spawn("sample-forms", state, |state, order: Reply<Order>| {
        let sink = state.deps.sink.clone();
        let send = |event| {
            sink.send(KioskEvent::Service(Reply {
                token: order.token,
                event: ServiceEvent::SampleForms(event),
            }))
        };
        match order.event {
            Order::Library => send(Event::Library(library(state))),
            Order::Page {
                form_id,
                kind,
                page,
            } => {
                let image = page_png(state, &form_id, kind, page)
                    .and_then(|png| decode(&png).ok_or(PageProblem::Broken));
                send(Event::Page {
                    form_id,
                    kind,
                    page,
                    image,
                })
            }
            Order::CheckPrinter => send(Event::Printer(match state.deps.a4.check() {
                Ok(()) => PrintState::Ready,
                Err(p) => PrintState::Unavailable(p),
            })),
            Order::Print {
                form,
                department,
                what,
            } => send(Event::Printed(print(state, &form, &department, &what))),
        }
    })?;
    orders.send(Reply {
        token: crate::app::Session::new(std::time::Duration::ZERO, std::time::Duration::ZERO)
            .token(),
        event: Order::Library,
    });
    Ok((worker, orders))
}

/// The library: asked of the platform with the cached ETag; the cached one when it has
/// not changed or the platform cannot be reached; `None` when there is none at all.
fn library(state: &mut State) -> Option<Arc<Library>> {
    let cached = state
        .store
        .as_ref()
        .and_then(|s| s.cached_form_library().ok().flatten());
    let etag = cached.as_ref().and_then(|(_, e)| e.clone());
    match state.deps.client.form_library(etag.as_deref()) {
        Ok(LibraryFetch::Modified {
            library,
            body,
            etag,
        }) => {
            if let Some(s) = &state.store {
                if let Err(e) = s.save_form_library(&body, etag.as_deref(), chrono::Utc::now()) {
                    tracing::warn!(error = %e, "form library not cached");
                }
            }
            tracing::info!(forms = library.forms.len(), "form library fetched");
            Some(indexed(state, etag, library))
        }
        Ok(LibraryFetch::NotModified) => from_cache(state, cached),
        Err(e) => {
            tracing::warn!(error = %e, "form library: platform not reached, the cached one is used");
            from_cache(state, cached)
        }
    }
}

fn from_cache(state: &mut State, cached: Option<(String, Option<String>)>) -> Option<Arc<Library>> {
    let (body, etag) = cached?;
    if let Some((e, lib)) = &state.current {
        if *e == etag {
            return Some(lib.clone());
        }
    }
    let library: FormLibrary = serde_json::from_str(&body)
        .map_err(|e| tracing::error!(error = %e, "cached form library unreadable"))
        .ok()
        .filter(FormLibrary::is_consistent)?;
    Some(indexed(state, etag, library))
}

/// Indexes a library version (or gives the index already built for it).
fn indexed(state: &mut State, etag: Option<String>, library: FormLibrary) -> Arc<Library> {
    if let Some((e, lib)) = &state.current {
        if e.is_some() && *e == etag {
            return lib.clone();
        }
    }
    let lib = Arc::new(Library::new(library));
    state.current = Some((etag, lib.clone()));
    lib
}

/// A page's PNG: the cache's, else the platform's (then cached).
fn page_png(
    state: &mut State,
    form_id: &str,
    kind: PageKind,
    page: u8,
) -> Result<Vec<u8>, PageProblem> {
    let key = PageKey {
        form_id: form_id.to_owned(),
        kind: kind.as_str(),
        page,
    };
    if let Some(png) = state
        .store
        .as_ref()
        .and_then(|s| s.cached_form_page(&key).ok().flatten())
    {
        return Ok(png);
    }
    match state.deps.client.form_page(form_id, kind, page) {
        Ok(png) => {
            if let Some(s) = &mut state.store {
                match s.save_form_page(&key, &png, state.deps.cache_bytes) {
                    Ok(dropped) if dropped > 0 => {
                        tracing::info!(dropped, "form page cache: least recently shown dropped")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "form page not cached"),
                }
            }
            Ok(png)
        }
        Err(ClientError::Network(e)) => {
            tracing::warn!(error = %e, form = form_id, "form page not cached and platform not reached");
            Err(PageProblem::NotCached)
        }
        Err(ClientError::Http { status, .. }) if status >= 500 || status == 429 => {
            Err(PageProblem::NotCached)
        }
        Err(e) => {
            tracing::warn!(error = %e, form = form_id, "form page refused");
            Err(PageProblem::Broken)
        }
    }
}

/// A PNG decoded to RGBA for the screen (on this thread: a page is 1240×1754).
pub fn decode(png_bytes: &[u8]) -> Option<PageImage> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buf).ok()?;
    let (w, h) = (info.width, info.height);
    let px = (w as usize) * (h as usize);
    let mut out = slint::SharedPixelBuffer::<slint::Rgba8Pixel>::new(w, h);
    let dst = out.make_mut_bytes();
    match info.color_type {
        png::ColorType::Rgba => dst.copy_from_slice(&buf[..px * 4]),
        png::ColorType::Rgb => {
            for (d, s) in dst.chunks_exact_mut(4).zip(buf[..px * 3].chunks_exact(3)) {
                d[..3].copy_from_slice(s);
                d[3] = 255;
            }
        }
        png::ColorType::Grayscale => {
            for (d, g) in dst.chunks_exact_mut(4).zip(&buf[..px]) {
                d.copy_from_slice(&[*g, *g, *g, 255]);
            }
        }
        png::ColorType::GrayscaleAlpha => {
            for (d, s) in dst.chunks_exact_mut(4).zip(buf[..px * 2].chunks_exact(2)) {
                d.copy_from_slice(&[s[0], s[0], s[0], s[1]]);
            }
        }
        _ => return None,
    }
    Some(PageImage(out))
}

/// The pre-filled form's layout from the library's fields.
pub fn template(form: &SampleForm, department: &str) -> FormTemplate {
    FormTemplate {
        title: form.name_zh.clone(),
        department: department.to_owned(),
        fields: form
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| FormField {
                label: f.label_zh.clone(),
                key: f
                    .card
                    .map(|c| field_key(c).to_owned())
                    .unwrap_or_else(|| format!("own_{i}")),
                lines: f.lines,
            })
            .collect(),
        notes: vec![
            "本表由自助机按居民身份证信息预填，请核对无误后在下方签字；其余各栏请用黑色签字笔填写。"
                .to_owned(),
        ],
    }
}

fn print(
    state: &mut State,
    form: &SampleForm,
    department: &str,
    what: &PrintWhat,
) -> Result<(), PrintProblem> {
    // Nothing is laid out for a printer that cannot print it.
    state.deps.a4.check().map_err(PrintProblem::Printer)?;
    let started = std::time::Instant::now();
    let pdf = match what {
        PrintWhat::Prefilled(fill) => {
            form_doc::render(&template(form, department), fill, state.deps.font)
        }
        PrintWhat::Blank | PrintWhat::Sample => {
            let kind = if *what == PrintWhat::Blank {
                PageKind::Blank
            } else {
                PageKind::Sample
            };
            let mut pages = Vec::new();
            for page in 1..=form.pages {
                let png = page_png(state, &form.id, kind, page)
                    .map_err(|_| PrintProblem::PagesMissing)?;
                pages.push(RgbImage::from_png(&png).map_err(|_| PrintProblem::PagesMissing)?);
            }
            sample_form::render(&form.name_zh, &pages, state.deps.font)
        }
    }
    .map_err(|e| {
        tracing::error!(error = %e, "sample form layout failed");
        PrintProblem::Layout
    })?;
    tracing::info!(
        bytes = pdf.len(),
        ms = started.elapsed().as_millis() as u64,
        pages = form.pages,
        "sample form laid out"
    );
    state
        .deps
        .a4
        .print(&pdf, JOB_NAME)
        .map_err(PrintProblem::Printer)
}
