//! Document scanners through SANE, by running `scanimage` as a child process.
//!
//! Running the SANE command-line frontend rather than linking libsane keeps the kiosk free of
//! C bindings and of the backends' crashes: a backend that hangs or dies takes only the child
//! process with it, and a hung scan is ended by killing the child after
//! [`DocScannerConfig::timeout`].
//!
//! [`DocScanner::scan`] blocks for the whole scan (seconds at 300 dpi): call it from a worker
//! thread, never from the UI thread. The image is read from `scanimage --format=pnm` and handed
//! back as RGB8 ([`ScannedImage`]); failures come back as [`ScanError`], whose messages are
//! written for staff. Image data is never logged.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Colour mode of a scan, passed to the backend as `--mode Color` or `--mode Gray` (the SANE
/// standard names; a backend with other names can be given `--mode …` in
/// [`DocScannerConfig::extra_args`], which come last and so win).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorMode {
    /// 24-bit colour (`--mode Color`).
    Color,
    /// 8-bit gray (`--mode Gray`); the image is still handed back as RGB8.
    Gray,
}

impl ColorMode {
    fn sane_name(self) -> &'static str {
        match self {
            ColorMode::Color => "Color",
            ColorMode::Gray => "Gray",
        }
    }
}

/// How to reach and drive one document scanner. The app maps its TOML configuration to this.
#[derive(Debug, Clone, PartialEq)]
pub struct DocScannerConfig {
    /// SANE device name as `scanimage -L` prints it, e.g. `genesys:libusb:001:004` or
    /// `test:0` (see [`list_devices`]).
    pub device: String,
    /// Colour or gray.
    pub mode: ColorMode,
    /// Resolution in dots per inch; 300 is right for ID-card copies.
    pub resolution_dpi: u32,
    /// Scan area in millimetres from the glass's top-left corner: `(left, top, width,
    /// height)`. `None` scans the backend's default area (often the whole glass).
    pub area_mm: Option<(f64, f64, f64, f64)>,
    /// The longest a scan (or a device listing) may take; the child is killed after it.
    pub timeout: Duration,
    /// The `scanimage` program: a bare name is looked up on `PATH`.
    pub scanimage: PathBuf,
    /// More arguments for `scanimage`, after the ones built from the fields above (so they
    /// override them), e.g. `["--source", "Flatbed"]` or backend-specific options.
    pub extra_args: Vec<String>,
    /// Environment variables for the child, e.g. `SANE_CONFIG_DIR` to limit the backends that
    /// are loaded (which makes `scanimage -L` fast). `LC_ALL=C` is always set so that the error
    /// messages can be recognised.
    pub env: Vec<(String, String)>,
}

impl DocScannerConfig {
    /// A configuration for `device` with the defaults: colour, 300 dpi, the backend's default
    /// area, a 60 s timeout, `scanimage` from `PATH`, no extra arguments or environment.
    pub fn new(device: impl Into<String>) -> Self {
        DocScannerConfig {
            device: device.into(),
            mode: ColorMode::Color,
            resolution_dpi: 300,
            area_mm: None,
            timeout: Duration::from_secs(60),
            scanimage: PathBuf::from("scanimage"),
            extra_args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// The `scanimage` arguments for one scan (without the program name).
    pub fn scan_args(&self) -> Result<Vec<String>, ScanError> {
        if self.device.trim().is_empty() {
            return Err(ScanError::BadSetting(
                "no scanner device is configured (see `scanimage -L`)".into(),
            ));
        }
        if self.resolution_dpi == 0 {
            return Err(ScanError::BadSetting(
                "the resolution must be above 0 dpi".into(),
            ));
        }
        let mut args = vec![
            "-d".to_string(),
            self.device.clone(),
            "--format=pnm".to_string(),
            "--mode".to_string(),
            self.mode.sane_name().to_string(),
            "--resolution".to_string(),
            self.resolution_dpi.to_string(),
        ];
        if let Some((l, t, w, h)) = self.area_mm {
            let ok = |v: f64| v.is_finite() && v >= 0.0;
            if !(ok(l) && ok(t) && ok(w) && ok(h) && w > 0.0 && h > 0.0) {
                return Err(ScanError::BadSetting(format!(
                    "the scan area {l} {t} {w} {h} mm is not valid (left, top, width, height; \
                     width and height above 0)"
                )));
            }
            for (flag, v) in [("-l", l), ("-t", t), ("-x", w), ("-y", h)] {
                args.push(flag.to_string());
                args.push(format!("{v}"));
            }
        }
        args.extend(self.extra_args.iter().cloned());
        Ok(args)
    }
}

/// A scanned image, always RGB8 (a gray scan is expanded).
#[derive(Clone, PartialEq, Eq)]
pub struct ScannedImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes, row by row, R G B.
    pub rgb: Vec<u8>,
    /// Resolution the image was scanned at, in dots per inch (the backend's rounded value when
    /// it could not do the one asked for).
    pub dpi: u32,
}

impl ScannedImage {
    /// The image's size in millimetres at its resolution.
    pub fn size_mm(&self) -> (f64, f64) {
        let mm = |px: u32| f64::from(px) * 25.4 / f64::from(self.dpi.max(1));
        (mm(self.width), mm(self.height))
    }
}

/// Shows the size only: the pixels (an ID card's copy) never go to a log.
impl std::fmt::Debug for ScannedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScannedImage")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("dpi", &self.dpi)
            .field("rgb", &format_args!("<{} bytes>", self.rgb.len()))
            .finish()
    }
}

/// Why a scan failed. The messages are written for staff; the UI chooses what the citizen is
/// told (for most of these: "the scanner is not available, please ask staff").
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ScanError {
    /// The feeder is empty (SANE_STATUS_NO_DOCS).
    #[error("no document in the scanner: place the document and try again")]
    NoDocument,
    /// The lid or a door is open (SANE_STATUS_COVER_OPEN).
    #[error("the scanner cover is open: close it and try again")]
    CoverOpen,
    /// Paper jam (SANE_STATUS_JAMMED).
    #[error("the scanner is jammed: staff need to clear the paper path")]
    Jammed,
    /// The device is in use by another program or scan (SANE_STATUS_DEVICE_BUSY).
    #[error("the scanner is busy: try again in a moment")]
    Busy,
    /// The lamp is warming up (SANE_STATUS_WARMING_UP).
    #[error("the scanner is warming up: try again in a moment")]
    WarmingUp,
    /// The transport lock is engaged (SANE_STATUS_HW_LOCKED).
    #[error("the scanner's transport lock is engaged: staff need to unlock it")]
    Locked,
    /// The configured device could not be opened: wrong name, unplugged, or its backend is
    /// not enabled in `dll.conf`.
    #[error("scanner {device:?} not found: check it is plugged in and switched on, and the device name (scanimage -L)")]
    NotFound {
        /// The configured device name.
        device: String,
    },
    /// The device stopped answering (SANE_STATUS_IO_ERROR): unplugged or switched off during
    /// the scan, or a faulty cable.
    #[error("the scanner stopped answering (I/O error): check its cable and power")]
    DeviceGone,
    /// The kiosk's user may not open the device (SANE_STATUS_ACCESS_DENIED): usually the
    /// user is not in the `scanner` group, or a udev rule is missing.
    #[error("access to the scanner was denied: the kiosk user needs permission on the device (scanner group / udev rule)")]
    AccessDenied,
    /// The scan took longer than the configured timeout; `scanimage` was killed.
    #[error("the scanner did not finish within {0:?}: it was stopped")]
    Timeout(Duration),
    /// The `scanimage` program is not installed (or not executable) at the configured path.
    #[error("scanimage not found at {path:?}: install the Debian package sane-utils")]
    ScannimageMissing {
        /// The configured program.
        path: PathBuf,
    },
    /// The backend refused a setting (mode, resolution, area, an extra argument).
    #[error("the scanner refused a setting: {0}")]
    BadSetting(String),
    /// The kiosk could not run or talk to `scanimage`.
    #[error("could not run scanimage: {0}")]
    Io(String),
    /// `scanimage` handed back something that is not a whole image.
    #[error("the scanner sent a broken image: {0}")]
    BadImage(String),
    /// The image is in a format the kiosk does not read (1-bit line art, 16-bit samples).
    #[error(
        "the scanner sent an image format the kiosk does not read: {0} (use 8-bit Color or Gray)"
    )]
    Unsupported(String),
    /// Any other failure, with the end of `scanimage`'s error output.
    #[error("scan failed: {0}")]
    Other(String),
}

/// A device `scanimage -L` listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaneDevice {
    /// The name to put in [`DocScannerConfig::device`], e.g. `test:0`.
    pub name: String,
    /// Vendor, model and type as the backend describes them, e.g.
    /// `Noname frontend-tester virtual device`.
    pub description: String,
}

/// A document scanner reached through `scanimage`.
#[derive(Debug, Clone)]
pub struct DocScanner {
    config: DocScannerConfig,
}

impl DocScanner {
    /// A scanner with this configuration (nothing is opened until [`DocScanner::scan`]).
    pub fn new(config: DocScannerConfig) -> Self {
        DocScanner { config }
    }

    /// The configuration.
    pub fn config(&self) -> &DocScannerConfig {
        &self.config
    }

    /// Scans once and returns the image as RGB8. Blocks up to the configured timeout: call it
    /// from a worker thread.
    pub fn scan(&self) -> Result<ScannedImage, ScanError> {
        let args = self.config.scan_args()?;
        let started = Instant::now();
        let out = run(
            &self.config.scanimage,
            &args,
            &self.config.env,
            self.config.timeout,
        )?;
        if !out.status.success() || has_failure_line(&out.stderr) {
            let err = classify_failure(&out.stderr, out.status.code(), &self.config.device);
            tracing::warn!(device = %self.config.device, code = ?out.status.code(), error = %err, "scan failed");
            return Err(err);
        }
        let dpi = rounded_resolution(&out.stderr).unwrap_or(self.config.resolution_dpi);
        let image = parse_pnm(&out.stdout, dpi)?;
        tracing::info!(
            device = %self.config.device,
            width = image.width,
            height = image.height,
            dpi = image.dpi,
            ms = started.elapsed().as_millis() as u64,
            "scanned"
        );
        Ok(image)
    }

    /// Finds the scanner again after it was unplugged and plugged back, or switched off and
    /// on: SANE names a USB scanner by its bus address (`genesys:libusb:001:004`), which
    /// changes when it comes back (`…:001:007`). Lists the devices ([`DocScanner::list_devices`])
    /// and keeps the configured name when it is listed, or moves to the one device of the
    /// same backend that is ([`pick_after_replug`]). `Ok(None)`: there under its name;
    /// `Ok(Some(name))`: there under a new name, used from now on.
    pub fn refind(&mut self) -> Result<Option<String>, ScanError> {
        let listed = self.list_devices()?;
        let found = pick_after_replug(&self.config.device, &listed)?;
        if let Some(name) = &found {
            tracing::info!(was = %self.config.device, now = %name, "scanner found under a new name");
            self.config.device = name.clone();
        }
        Ok(found)
    }

    /// The devices SANE can see, through `scanimage -L` with this configuration's program,
    /// environment and timeout. This probes every enabled backend (network ones too), which
    /// can take seconds.
    pub fn list_devices(&self) -> Result<Vec<SaneDevice>, ScanError> {
        list_devices_with(
            &self.config.scanimage,
            &self.config.env,
            self.config.timeout,
        )
    }
}

/// The devices SANE can see, through `scanimage -L` (`scanimage` may be a bare name on `PATH`).
/// Blocks up to `timeout`.
pub fn list_devices(scanimage: &Path, timeout: Duration) -> Result<Vec<SaneDevice>, ScanError> {
    list_devices_with(scanimage, &[], timeout)
}

fn list_devices_with(
    scanimage: &Path,
    env: &[(String, String)],
    timeout: Duration,
) -> Result<Vec<SaneDevice>, ScanError> {
    let out = run(scanimage, &["-L".to_string()], env, timeout)?;
    if !out.status.success() {
        return Err(classify_failure(&out.stderr, out.status.code(), ""));
    }
    Ok(parse_device_list(&String::from_utf8_lossy(&out.stdout)))
}

/// Which listed device is the configured one after a replug: `Ok(None)` when `configured`
/// is listed as it is; `Ok(Some(name))` when it is not but exactly one device of its backend
/// (the name's part before the first `:`) on the same kind of link (`libusb`) is; otherwise
/// [`ScanError::NotFound`] (none, or two scanners of one backend: which one is ours cannot be
/// told, a technician must say).
pub fn pick_after_replug(
    configured: &str,
    listed: &[SaneDevice],
) -> Result<Option<String>, ScanError> {
    if listed.iter().any(|d| d.name == configured) {
        return Ok(None);
    }
    let family = |name: &str| {
        let mut parts = name.splitn(3, ':');
        (
            parts.next().unwrap_or("").to_owned(),
            parts.next().unwrap_or("").to_owned(),
        )
    };
    let (backend, link) = family(configured);
    let same: Vec<&SaneDevice> = listed
        .iter()
        .filter(|d| link == "libusb" && family(&d.name) == (backend.clone(), link.clone()))
        .collect();
    match same.as_slice() {
        [one] => Ok(Some(one.name.clone())),
        _ => Err(ScanError::NotFound {
            device: configured.to_owned(),
        }),
    }
}

/// Parses `scanimage -L` output: lines ``device `NAME' is a DESCRIPTION``; other lines (the
/// "No scanners were identified" text) are skipped.
pub fn parse_device_list(text: &str) -> Vec<SaneDevice> {
    text.lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("device `")?;
            let end = rest.find("' is a ")?;
            let name = &rest[..end];
            let description = rest[end + "' is a ".len()..].trim();
            (!name.is_empty()).then(|| SaneDevice {
                name: name.to_string(),
                description: description.to_string(),
            })
        })
        .collect()
}

struct RunOutput {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
}

/// The most image data read from `scanimage` (an A4 colour scan at 1200 dpi is 400 MiB): more
/// ends the scan with [`ScanError::BadImage`] instead of exhausting memory.
const MAX_IMAGE_BYTES: u64 = 512 << 20;
/// `scanimage`'s error output kept (the end of it).
const STDERR_KEEP: usize = 8 * 1024;

fn run(
    program: &Path,
    args: &[String],
    env: &[(String, String)],
    timeout: Duration,
) -> Result<RunOutput, ScanError> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("LC_ALL", "C")
        .env("LANGUAGE", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
            ScanError::ScannimageMissing {
                path: program.to_path_buf(),
            }
        }
        _ => ScanError::Io(format!("starting {}: {e}", program.display())),
    })?;
    let deadline = Instant::now() + timeout;

    let (out_tx, out_rx) = mpsc::channel();
    let (err_tx, err_rx) = mpsc::channel();
    let spawned = match (child.stdout.take(), child.stderr.take()) {
        (Some(mut stdout), Some(mut stderr)) => {
            let a = thread::Builder::new()
                .name("scanimage-out".into())
                .spawn(move || {
                    let mut buf = Vec::new();
                    let r = (&mut stdout)
                        .take(MAX_IMAGE_BYTES + 1)
                        .read_to_end(&mut buf)
                        .map(|_| buf);
                    let _ = out_tx.send(r);
                });
            let b = thread::Builder::new()
                .name("scanimage-err".into())
                .spawn(move || {
                    let _ = err_tx.send(read_tail(&mut stderr, STDERR_KEEP));
                });
            a.and(b)
                .map_err(|e| format!("starting a reader thread: {e}"))
        }
        _ => Err("the child's pipes are missing".to_string()),
    };
    if let Err(e) = spawned {
        kill(&mut child);
        return Err(ScanError::Io(e));
    }

    let stdout = match out_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(Ok(v)) if v.len() as u64 > MAX_IMAGE_BYTES => {
            kill(&mut child);
            return Err(ScanError::BadImage(format!(
                "more than {} MiB of image data (resolution or area too large?)",
                MAX_IMAGE_BYTES >> 20
            )));
        }
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            kill(&mut child);
            return Err(ScanError::Io(format!("reading the image: {e}")));
        }
        Err(_) => return Err(timed_out(&mut child, timeout)),
    };
    let stderr = match err_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            kill(&mut child);
            return Err(ScanError::Io(format!("reading scanimage's messages: {e}")));
        }
        Err(_) => return Err(timed_out(&mut child, timeout)),
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => return Err(timed_out(&mut child, timeout)),
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                kill(&mut child);
                return Err(ScanError::Io(format!("waiting for scanimage: {e}")));
            }
        }
    };
    let stderr = tail(&String::from_utf8_lossy(&stderr), STDERR_KEEP).to_string();
    Ok(RunOutput {
        status,
        stdout,
        stderr,
    })
}

/// Reads to the end, keeping only about the last `keep` bytes (a backend's debug output,
/// `SANE_DEBUG_*`, can run to megabytes).
fn read_tail(r: &mut impl Read, keep: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match r.read(&mut chunk) {
            Ok(0) => return Ok(buf),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > 2 * keep {
                    buf.drain(..buf.len() - keep);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn timed_out(child: &mut Child, timeout: Duration) -> ScanError {
    tracing::warn!(
        pid = child.id(),
        ?timeout,
        "scanimage timed out; killing it"
    );
    kill(child);
    ScanError::Timeout(timeout)
}

/// Kills the child (SIGKILL) and reaps it, so no zombie is left. The reader threads are not
/// waited for: they end when the pipes close, which is at once unless a grandchild (a wrapper
/// script's) still holds them; nothing is blocked meanwhile.
fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn tail(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// `scanimage` reports some failures (a `sane_read` error after the header was written) and
/// still exits 0 in rare cases; such a line means failure whatever the exit code.
fn has_failure_line(stderr: &str) -> bool {
    stderr.lines().any(|l| {
        let l = l.trim_start_matches("scanimage: ");
        (l.starts_with("sane_read:") || l.starts_with("sane_start:"))
            && !l.contains("End of file reached")
    })
}

/// Lines of scanimage's stderr that are information, not the failure.
fn is_noise(line: &str) -> bool {
    let l = line.trim_start_matches("scanimage: ");
    l.is_empty()
        || l.starts_with("rounded value of")
        || l.starts_with("received signal")
        || l.starts_with("trying to stop scanner")
}

/// The resolution the backend actually used, when `scanimage` says it rounded the one asked
/// for (`scanimage: rounded value of resolution from 5000 to 1200`).
fn rounded_resolution(stderr: &str) -> Option<u32> {
    stderr.lines().find_map(|l| {
        let rest = l.split("rounded value of resolution from ").nth(1)?;
        let to = rest.split(" to ").nth(1)?.trim();
        let v: f64 = to.parse().ok()?;
        (v.is_finite() && (1.0..=100_000.0).contains(&v)).then_some(v.round() as u32)
    })
}

/// Turns `scanimage`'s error output and exit code into a [`ScanError`].
///
/// The text is what decides: `scanimage` prints `sane_strstatus()` of the failing call
/// ("Document feeder out of documents", "Scanner cover is open", …; `LC_ALL=C` keeps it in
/// English). When a scan fails in `sane_start` or `sane_read` its exit code is the SANE status
/// number, which is the fallback when the text is not recognised; a failure to open the device
/// or to set an option always exits 1.
pub fn classify_failure(stderr: &str, code: Option<i32>, device: &str) -> ScanError {
    let lower = stderr.to_ascii_lowercase();
    let has = |s: &str| lower.contains(s);
    let open_failed = lower
        .lines()
        .any(|l| l.contains("open of device") && l.contains("failed"));

    if has("out of documents") {
        return ScanError::NoDocument;
    }
    if has("cover is open") {
        return ScanError::CoverOpen;
    }
    if has("jammed") {
        return ScanError::Jammed;
    }
    if has("device busy") {
        return ScanError::Busy;
    }
    if has("lamp not ready") {
        return ScanError::WarmingUp;
    }
    if has("locked for transport") {
        return ScanError::Locked;
    }
    if has("access to resource has been denied") {
        return ScanError::AccessDenied;
    }
    if has("error during device i/o") {
        return ScanError::DeviceGone;
    }
    if open_failed || has("no sane devices found") {
        // "open of device X failed: Invalid argument" is what a name no backend knows gives.
        return ScanError::NotFound {
            device: device.to_string(),
        };
    }
    if has("setting of option") || has("unrecognized option") || has("invalid option") {
        return ScanError::BadSetting(excerpt(stderr));
    }
    // sane_start/sane_read failures exit with the SANE status number.
    match code {
        Some(3) => ScanError::Busy,
        Some(6) => ScanError::Jammed,
        Some(7) => ScanError::NoDocument,
        Some(8) => ScanError::CoverOpen,
        Some(9) => ScanError::DeviceGone,
        Some(11) => ScanError::AccessDenied,
        Some(12) => ScanError::WarmingUp,
        Some(13) => ScanError::Locked,
        _ => {
            let e = excerpt(stderr);
            if e.is_empty() {
                ScanError::Other(match code {
                    Some(c) => format!("scanimage exited with code {c} and no message"),
                    None => "scanimage was killed by a signal".to_string(),
                })
            } else {
                ScanError::Other(e)
            }
        }
    }
}

/// The failure lines of scanimage's error output, short enough for a log line or a staff
/// screen.
fn excerpt(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !is_noise(l))
        .collect();
    let joined = lines[lines.len().saturating_sub(3)..].join(" / ");
    let mut s: String = joined.chars().take(300).collect();
    if joined.chars().count() > 300 {
        s.push('…');
    }
    s
}

/// Largest width or height accepted from a PNM header (pixels): 1200 dpi across 2 m.
const MAX_SIDE: usize = 100_000;

/// Parses an 8-bit binary PNM (`P6` colour or `P5` gray, maxval 255) into RGB8, with `dpi` as
/// the image's resolution. Comments in the header are allowed; bytes after the image are
/// ignored.
pub fn parse_pnm(data: &[u8], dpi: u32) -> Result<ScannedImage, ScanError> {
    if data.is_empty() {
        return Err(ScanError::BadImage("no image data (empty output)".into()));
    }
    let mut p = HeaderReader { data, pos: 0 };
    let magic = data
        .get(..2)
        .ok_or_else(|| bad("output too short for a PNM header"))?;
    let channels = match magic {
        b"P6" => 3usize,
        b"P5" => 1usize,
        b"P4" | b"P1" => {
            return Err(ScanError::Unsupported("1-bit line art (PBM)".into()));
        }
        b"P2" | b"P3" => return Err(ScanError::Unsupported("plain-text PNM".into())),
        _ => return Err(bad("not a PNM image (no P5/P6 magic number)")),
    };
    p.pos = 2;
    let width = p.number("width")?;
    let height = p.number("height")?;
    let maxval = p.number("maxval")?;
    if width == 0 || height == 0 {
        return Err(bad(&format!("empty image {width}×{height}")));
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(bad(&format!(
            "image size {width}×{height} is not believable"
        )));
    }
    if maxval > 255 {
        return Err(ScanError::Unsupported(format!(
            "16-bit samples (maxval {maxval})"
        )));
    }
    if maxval != 255 {
        return Err(ScanError::Unsupported(format!(
            "maxval {maxval} (only 255 is read)"
        )));
    }
    // Exactly one whitespace byte separates the header from the samples.
    match data.get(p.pos) {
        Some(c) if c.is_ascii_whitespace() => p.pos += 1,
        _ => return Err(bad("no whitespace after the PNM header")),
    }
    let need = width * height * channels;
    let body = &data[p.pos..];
    if body.len() < need {
        return Err(bad(&format!(
            "truncated: {width}×{height} needs {need} bytes, got {}",
            body.len()
        )));
    }
    let body = &body[..need];
    let rgb = if channels == 3 {
        body.to_vec()
    } else {
        let mut rgb = Vec::with_capacity(need * 3);
        for &g in body {
            rgb.extend_from_slice(&[g, g, g]);
        }
        rgb
    };
    // MAX_SIDE keeps both within u32.
    Ok(ScannedImage {
        width: width as u32,
        height: height as u32,
        rgb,
        dpi,
    })
}

fn bad(reason: &str) -> ScanError {
    ScanError::BadImage(reason.to_string())
}

struct HeaderReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl HeaderReader<'_> {
    /// Skips whitespace and `#` comments, then reads a decimal number.
    fn number(&mut self, what: &str) -> Result<usize, ScanError> {
        loop {
            match self.data.get(self.pos) {
                Some(c) if c.is_ascii_whitespace() => self.pos += 1,
                Some(b'#') => {
                    while let Some(&c) = self.data.get(self.pos) {
                        self.pos += 1;
                        if c == b'\n' || c == b'\r' {
                            break;
                        }
                    }
                }
                Some(_) => break,
                None => return Err(bad(&format!("PNM header ends before the {what}"))),
            }
        }
        let start = self.pos;
        while self.data.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(bad(&format!("PNM header: the {what} is not a number")));
        }
        if self.pos - start > 9 {
            return Err(bad(&format!("PNM header: the {what} is too large")));
        }
        let digits = std::str::from_utf8(&self.data[start..self.pos])
            .map_err(|_| bad("PNM header is not ASCII"))?;
        digits
            .parse()
            .map_err(|_| bad(&format!("PNM header: the {what} is not a number")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(name: &str) -> SaneDevice {
        SaneDevice {
            name: name.into(),
            description: "Canon LiDE 300 flatbed scanner".into(),
        }
    }

    #[test]
    fn a_replugged_usb_scanner_is_found_under_its_new_address_and_only_then() {
        let ours = "genesys:libusb:001:004";
        // Still there.
        assert_eq!(pick_after_replug(ours, &[dev(ours)]).unwrap(), None);
        // Back under a new bus address, beside a network scanner of another backend.
        let back = [dev("net:10.0.0.5:pixma"), dev("genesys:libusb:001:007")];
        assert_eq!(
            pick_after_replug(ours, &back).unwrap().as_deref(),
            Some("genesys:libusb:001:007")
        );
        // Gone; or two of its kind (which one is ours?); or a name that is no USB address.
        for listed in [
            vec![],
            vec![dev("genesys:libusb:001:007"), dev("genesys:libusb:002:003")],
        ] {
            assert!(matches!(
                pick_after_replug(ours, &listed),
                Err(ScanError::NotFound { .. })
            ));
        }
        assert!(pick_after_replug("test:0", &[dev("test:1")]).is_err());
    }

    #[test]
    fn keeps_the_end_of_long_error_output() {
        let long: Vec<u8> = (0..100_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let kept = read_tail(&mut &long[..], 1000).unwrap();
        assert!(kept.len() >= 1000 && kept.len() <= 2000, "{}", kept.len());
        assert!(long.ends_with(&kept));
        assert_eq!(read_tail(&mut &b"short"[..], 1000).unwrap(), b"short");
    }

    #[test]
    fn can_move_to_a_worker_thread() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<DocScanner>();
        send_sync::<ScannedImage>();
        send_sync::<ScanError>();
        send_sync::<crate::crop::CroppedCard>();
        send_sync::<crate::crop::CropError>();
    }

    fn classify(stderr: &str, code: i32) -> ScanError {
        classify_failure(stderr, Some(code), "dev:0")
    }

    // Captured from scanimage 1.1.1 with the test backend's --read-return-value.
    #[test]
    fn maps_captured_sane_read_failures() {
        assert_eq!(
            classify(
                "scanimage: sane_read: Document feeder out of documents\n",
                7
            ),
            ScanError::NoDocument
        );
        assert_eq!(
            classify("scanimage: sane_read: Scanner cover is open\n", 8),
            ScanError::CoverOpen
        );
        assert_eq!(
            classify("scanimage: sane_read: Document feeder jammed\n", 6),
            ScanError::Jammed
        );
        assert_eq!(
            classify("scanimage: sane_read: Device busy\n", 3),
            ScanError::Busy
        );
        assert_eq!(
            classify("scanimage: sane_read: Error during device I/O\n", 9),
            ScanError::DeviceGone
        );
        assert_eq!(
            classify(
                "scanimage: sane_read: Access to resource has been denied\n",
                11
            ),
            ScanError::AccessDenied
        );
        assert_eq!(
            classify("scanimage: sane_start: Lamp not ready, please retry\n", 12),
            ScanError::WarmingUp
        );
        assert_eq!(
            classify(
                "scanimage: sane_start: Scanner mechanism locked for transport\n",
                13
            ),
            ScanError::Locked
        );
        assert_eq!(
            classify("scanimage: sane_read: Out of memory\n", 10),
            ScanError::Other("scanimage: sane_read: Out of memory".into())
        );
        assert_eq!(
            classify(
                "scanimage: sane_read: Invalid argument\nscanimage: received signal 13\n",
                4
            ),
            ScanError::Other("scanimage: sane_read: Invalid argument".into())
        );
    }

    #[test]
    fn maps_open_and_option_failures() {
        assert_eq!(
            classify(
                "scanimage: open of device test:9 failed: Invalid argument\n",
                1
            ),
            ScanError::NotFound {
                device: "dev:0".into()
            }
        );
        assert_eq!(
            classify("scanimage: open of device x failed: Device busy\n", 1),
            ScanError::Busy
        );
        assert_eq!(
            classify(
                "scanimage: open of device x failed: Access to resource has been denied\n",
                1
            ),
            ScanError::AccessDenied
        );
        assert_eq!(
            classify(
                "scanimage: open of device x failed: Error during device I/O\n",
                1
            ),
            ScanError::DeviceGone
        );
        assert!(matches!(
            classify("scanimage: setting of option --mode failed (Invalid argument)\n", 1),
            ScanError::BadSetting(m) if m.contains("--mode")
        ));
        assert!(matches!(
            classify("scanimage: unrecognized option '--bogus'\n", 1),
            ScanError::BadSetting(_)
        ));
    }

    #[test]
    fn falls_back_to_the_exit_code_then_the_text() {
        assert_eq!(classify("something new\n", 7), ScanError::NoDocument);
        assert_eq!(classify("", 9), ScanError::DeviceGone);
        assert_eq!(
            classify("", 1),
            ScanError::Other("scanimage exited with code 1 and no message".into())
        );
        assert_eq!(
            classify_failure("", None, "d"),
            ScanError::Other("scanimage was killed by a signal".into())
        );
        let long = "x".repeat(1000);
        assert!(matches!(classify(&long, 1), ScanError::Other(m) if m.chars().count() == 301));
    }

    #[test]
    fn failure_lines_and_rounding() {
        assert!(has_failure_line(
            "scanimage: sane_read: Scanner cover is open\n"
        ));
        assert!(!has_failure_line(
            "scanimage: rounded value of br-x from 10.5 to 11\n"
        ));
        assert_eq!(
            rounded_resolution("scanimage: rounded value of resolution from 5000 to 1200\n"),
            Some(1200)
        );
        assert_eq!(
            rounded_resolution("scanimage: rounded value of resolution from 301 to 300.000000\n"),
            Some(300)
        );
        assert_eq!(
            rounded_resolution("scanimage: rounded value of br-x from 300 to 200\n"),
            None
        );
    }

    #[test]
    fn parses_device_lists() {
        let text = "device `test:0' is a Noname frontend-tester virtual device\n\
                    device `airscan:e0:Canon TS5300 series' is a eSCL Canon TS5300 series ip=1.2.3.4\n\
                    \nNo scanners were identified.\n";
        let devs = parse_device_list(text);
        assert_eq!(devs.len(), 2);
        assert_eq!(devs[0].name, "test:0");
        assert_eq!(devs[0].description, "Noname frontend-tester virtual device");
        assert_eq!(devs[1].name, "airscan:e0:Canon TS5300 series");
        assert!(parse_device_list("No scanners were identified. If you ...\n").is_empty());
    }

    #[test]
    fn builds_the_arguments() {
        let mut c = DocScannerConfig::new("test:0");
        c.mode = ColorMode::Gray;
        c.resolution_dpi = 150;
        c.area_mm = Some((0.0, 5.5, 85.6, 54.0));
        c.extra_args = vec!["--source".into(), "Flatbed".into()];
        assert_eq!(
            c.scan_args().unwrap(),
            [
                "-d",
                "test:0",
                "--format=pnm",
                "--mode",
                "Gray",
                "--resolution",
                "150",
                "-l",
                "0",
                "-t",
                "5.5",
                "-x",
                "85.6",
                "-y",
                "54",
                "--source",
                "Flatbed"
            ]
        );
        c.area_mm = Some((0.0, 0.0, f64::NAN, 1.0));
        assert!(matches!(c.scan_args(), Err(ScanError::BadSetting(_))));
        c.area_mm = None;
        c.device = " ".into();
        assert!(matches!(c.scan_args(), Err(ScanError::BadSetting(_))));
    }

    #[test]
    fn parses_pnm() {
        let img = parse_pnm(
            b"P6\n# SANE data follows\n2 1\n255\n\x01\x02\x03\x04\x05\x06",
            300,
        )
        .unwrap();
        assert_eq!((img.width, img.height, img.dpi), (2, 1, 300));
        assert_eq!(img.rgb, [1, 2, 3, 4, 5, 6]);
        let gray = parse_pnm(b"P5 2 # c\n 1 255\n\x07\x08trailing", 150).unwrap();
        assert_eq!(gray.rgb, [7, 7, 7, 8, 8, 8]);
        assert!(format!("{gray:?}").contains("<6 bytes>"));
    }

    #[test]
    fn rejects_bad_pnm() {
        let cases: [(&[u8], &str); 9] = [
            (b"", "empty"),
            (b"P", "too short"),
            (b"GIF89a", "magic"),
            (b"P6\n2", "ends before"),
            (b"P6\n2 x\n255\n", "not a number"),
            (b"P6\n0 1\n255\n", "empty image"),
            (b"P6\n2 1\n255\n\x01\x02", "truncated"),
            (b"P6\n2 1\n255", "no whitespace"),
            (b"P6\n999999999 999999999\n255\n", "not believable"),
        ];
        for (data, want) in cases {
            match parse_pnm(data, 300) {
                Err(ScanError::BadImage(m)) => assert!(m.contains(want), "{m:?} vs {want:?}"),
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(data)),
            }
        }
        assert!(matches!(
            parse_pnm(b"P4\n8 1\n\xff", 300),
            Err(ScanError::Unsupported(_))
        ));
        assert!(matches!(
            parse_pnm(b"P6\n1 1\n65535\n\0\0\0\0\0\0", 300),
            Err(ScanError::Unsupported(m)) if m.contains("16-bit")
        ));
        assert!(matches!(
            parse_pnm(b"P3\n1 1\n255\n0 0 0", 300),
            Err(ScanError::Unsupported(_))
        ));
    }
}
