//! Voice guidance: a short spoken prompt per screen and per error, played by a child process
//! (`aplay -q -` by default) from a small thread, so the UI never waits on the sound card.
//!
//! The prompts are WAV files rendered offline from `assets/voice/prompts.toml` by
//! `scripts/voice-prompts` (espeak-ng), one folder per language. The thread keeps a queue of
//! one: a new prompt kills the child still speaking the old one. The volume is applied to
//! the samples here (every player takes them on its standard input, whatever its own
//! options), and nothing plays in the quiet hours. A missing player, a missing sound device
//! or a missing file is logged once and kept as the speaker's fault for the staff screen;
//! it never stops the kiosk.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::NaiveTime;

use crate::app::Lang;

/// Which prompt a screen speaks: an id of `assets/voice/prompts.toml`.
pub type PromptId = &'static str;

/// The hours in which the kiosk stays silent (from, to; may pass midnight).
pub use crate::clock::DailyHours as QuietHours;

/// The volume and quiet hours staff set on their screen, kept in the data folder
/// (`voice.json`) so that a restart keeps them; without the file the config's apply.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedVoice {
    /// 0–100.
    pub volume: u8,
    /// `"22:00-07:00"`, or none: never quiet.
    pub quiet: Option<String>,
}

/// The file in the data folder.
pub const VOICE_FILE: &str = "voice.json";

impl SavedVoice {
    /// The saved settings, if staff ever changed them (a damaged file is logged and ignored:
    /// the config's settings apply).
    pub fn load(data_dir: &Path) -> Option<SavedVoice> {
        let text = std::fs::read_to_string(data_dir.join(VOICE_FILE)).ok()?;
        match serde_json::from_str::<SavedVoice>(&text) {
            Ok(s)
                if s.quiet
                    .as_deref()
                    .is_none_or(|q| QuietHours::parse(q).is_some()) =>
            {
                Some(s)
            }
            _ => {
                tracing::warn!(file = VOICE_FILE, "unreadable voice settings ignored");
                None
            }
        }
    }

    /// Writes them whole (a temporary file renamed over the old one).
    pub fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        let tmp = data_dir.join(format!("{VOICE_FILE}.tmp"));
        std::fs::write(&tmp, serde_json::to_vec(self)?)?;
        std::fs::rename(&tmp, data_dir.join(VOICE_FILE))
    }
}

/// What the player thread is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoiceOrder {
    /// Speak this prompt (the one before it stops), unless `at` is in the quiet hours.
    Play {
        /// The prompt.
        id: PromptId,
        /// In this language.
        lang: Lang,
        /// The hall's time now.
        at: NaiveTime,
    },
    /// Stop speaking.
    Stop,
    /// The staff screen's volume, 0–100.
    Volume(u8),
    /// The staff screen's quiet hours (none: never quiet).
    Quiet(Option<QuietHours>),
}

/// The player's settings.
#[derive(Debug, Clone)]
pub struct VoiceSettings {
    /// The player and its arguments; the WAV comes on its standard input.
    pub player: Vec<String>,
    /// The folder with `zh/` and `en/`.
    pub dir: PathBuf,
    /// 0–100.
    pub volume: u8,
    /// Silent hours.
    pub quiet: Option<QuietHours>,
}

/// What staff see of the speaker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoiceStatus {
    /// Why prompts cannot be heard (no player, no sound device, a file missing); none
    /// while the last prompt played.
    pub fault: Option<String>,
    /// Prompts started so far.
    pub played: u64,
    /// Prompts not spoken: quiet hours or volume 0.
    pub silenced: u64,
    /// The volume now.
    pub volume: u8,
    /// The quiet hours now.
    pub quiet: Option<QuietHours>,
}

/// The player thread; dropping it stops the prompt and joins the thread.
pub struct VoicePlayer {
    orders: Option<mpsc::Sender<VoiceOrder>>,
    thread: Option<JoinHandle<()>>,
    status: Arc<Mutex<VoiceStatus>>,
}

impl VoicePlayer {
    /// Starts the thread.
    pub fn spawn(settings: VoiceSettings) -> std::io::Result<VoicePlayer> {
        let (tx, rx) = mpsc::channel();
        let status = Arc::new(Mutex::new(VoiceStatus {
            volume: settings.volume.min(100),
            quiet: settings.quiet,
            ..VoiceStatus::default()
        }));
        let thread = std::thread::Builder::new().name("voice".into()).spawn({
            let status = status.clone();
            move || run(settings, rx, &status)
        })?;
        Ok(VoicePlayer {
            orders: Some(tx),
            thread: Some(thread),
            status,
        })
    }

    /// Sends an order; never blocks. A new volume or quiet hours show in [`Self::status`]
    /// at once (the staff screen reads it back right after).
    pub fn send(&self, order: VoiceOrder) {
        if let (VoiceOrder::Volume(_) | VoiceOrder::Quiet(_), Ok(mut st)) =
            (&order, self.status.lock())
        {
            match &order {
                VoiceOrder::Volume(v) => st.volume = (*v).min(100),
                VoiceOrder::Quiet(q) => st.quiet = *q,
                _ => {}
            }
        }
        if let Some(tx) = &self.orders {
            let _ = tx.send(order);
        }
    }

    /// The speaker's state for the staff screen.
    pub fn status(&self) -> VoiceStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for VoicePlayer {
    fn drop(&mut self) {
        drop(self.orders.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The child speaking now, and the thread feeding it the samples.
struct Speaking {
    child: Child,
    feeder: Option<JoinHandle<()>>,
}

impl Speaking {
    fn stop(mut self) {
        // Killing the child breaks the feeder's pipe, so it ends too.
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(f) = self.feeder.take() {
            let _ = f.join();
        }
    }

    fn finished(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

fn run(
    mut settings: VoiceSettings,
    orders: mpsc::Receiver<VoiceOrder>,
    status: &Mutex<VoiceStatus>,
) {
    let mut speaking: Option<Speaking> = None;
    // Logged once until a prompt plays again.
    let mut fault_logged = false;
    loop {
        let order = match orders.recv_timeout(Duration::from_millis(100)) {
            Ok(order) => order,
            Err(RecvTimeoutError::Timeout) => {
                if speaking.as_mut().is_some_and(Speaking::finished) {
                    if let Some(s) = speaking.take() {
                        s.stop();
                    }
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        // A queue of one: only the newest of the prompts waiting is spoken; every setting
        // that came with them is taken, in order.
        let mut latest = None;
        for order in std::iter::once(order).chain(std::iter::from_fn(|| orders.try_recv().ok())) {
            match order {
                VoiceOrder::Volume(_) | VoiceOrder::Quiet(_) => {
                    apply(&mut settings, &order, status)
                }
                other => latest = Some(other),
            }
        }
        let Some(order) = latest else {
            continue;
        };
        match order {
            VoiceOrder::Volume(_) | VoiceOrder::Quiet(_) => {}
            VoiceOrder::Stop => {
                if let Some(s) = speaking.take() {
                    s.stop();
                }
            }
            VoiceOrder::Play { id, lang, at } => {
                if let Some(s) = speaking.take() {
                    s.stop();
                }
                if settings.quiet.is_some_and(|q| q.contains(at)) || settings.volume == 0 {
                    if let Ok(mut st) = status.lock() {
                        st.silenced += 1;
                    }
                    continue;
                }
                match speak(&settings, id, lang) {
                    Ok(s) => {
                        speaking = Some(s);
                        fault_logged = false;
                        if let Ok(mut st) = status.lock() {
                            st.fault = None;
                            st.played += 1;
                        }
                    }
                    Err(e) => {
                        if !std::mem::replace(&mut fault_logged, true) {
                            tracing::warn!(device = "speaker", "voice prompt not played: {e}");
                        }
                        if let Ok(mut st) = status.lock() {
                            st.fault = Some(e);
                        }
                    }
                }
            }
        }
    }
    if let Some(s) = speaking.take() {
        s.stop();
    }
}

fn apply(settings: &mut VoiceSettings, order: &VoiceOrder, status: &Mutex<VoiceStatus>) {
    match order {
        VoiceOrder::Volume(v) => settings.volume = (*v).min(100),
        VoiceOrder::Quiet(q) => settings.quiet = *q,
        _ => return,
    }
    if let Ok(mut st) = status.lock() {
        st.volume = settings.volume;
        st.quiet = settings.quiet;
    }
}

/// The prompt's file.
pub fn prompt_path(dir: &Path, id: PromptId, lang: Lang) -> PathBuf {
    let folder = match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    };
    dir.join(folder).join(format!("{id}.wav"))
}

fn speak(settings: &VoiceSettings, id: PromptId, lang: Lang) -> Result<Speaking, String> {
    let path = prompt_path(&settings.dir, id, lang);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let wav = Wav::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let scaled = wav.with_volume(settings.volume);
    let (program, args) = settings
        .player
        .split_first()
        .ok_or_else(|| "no voice player configured".to_owned())?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or("the player has no standard input")?;
    // A pipe holds less than a prompt: the feeder waits on the player, not this thread.
    let feeder = std::thread::Builder::new()
        .name("voice-feed".into())
        .spawn(move || {
            let _ = stdin.write_all(&scaled);
        })
        .map_err(|e| e.to_string())?;
    Ok(Speaking {
        child,
        feeder: Some(feeder),
    })
}

/// A PCM WAV file, as far as the prompts need: mono or stereo, 16-bit samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wav {
    /// Samples a second.
    pub rate: u32,
    /// Channels.
    pub channels: u16,
    /// Bits a sample (16).
    pub bits: u16,
    /// The samples, little-endian.
    pub data: Vec<u8>,
}

impl Wav {
    /// Reads the RIFF header, the `fmt ` chunk and the `data` chunk; refuses anything but
    /// 16-bit PCM and a data chunk shorter than it says.
    pub fn parse(bytes: &[u8]) -> Result<Wav, String> {
        if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
            return Err("not a RIFF/WAVE file".into());
        }
        let u16_at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut at = 12;
        let mut format = None;
        while at + 8 <= bytes.len() {
            let id = &bytes[at..at + 4];
            let len = u32_at(bytes, at + 4) as usize;
            let body = at + 8;
            let end = body.checked_add(len).ok_or("chunk length overflows")?;
            if id == b"fmt " {
                if len < 16 || end > bytes.len() {
                    return Err("short fmt chunk".into());
                }
                let (tag, channels, rate, bits) = (
                    u16_at(bytes, body),
                    u16_at(bytes, body + 2),
                    u32_at(bytes, body + 4),
                    u16_at(bytes, body + 14),
                );
                if tag != 1 || bits != 16 || channels == 0 || rate == 0 {
                    return Err(format!(
                        "not 16-bit PCM (format {tag}, {bits} bits, {channels} channels)"
                    ));
                }
                format = Some((channels, rate, bits));
            } else if id == b"data" {
                let (channels, rate, bits) = format.ok_or("data before fmt")?;
                if end > bytes.len() {
                    return Err(format!(
                        "data chunk says {len} bytes, the file has {}",
                        bytes.len() - body
                    ));
                }
                return Ok(Wav {
                    rate,
                    channels,
                    bits,
                    data: bytes[body..end].to_vec(),
                });
            }
            // Chunks are padded to an even length.
            at = end + (len & 1);
        }
        Err("no data chunk".into())
    }

    /// Seconds of sound.
    pub fn seconds(&self) -> f64 {
        self.data.len() as f64 / (f64::from(self.rate) * f64::from(self.channels) * 2.0)
    }

    /// The file again, every sample scaled by `volume` / 100.
    pub fn with_volume(&self, volume: u8) -> Vec<u8> {
        let v = i32::from(volume.min(100));
        let mut data = Vec::with_capacity(self.data.len());
        for s in self.data.chunks_exact(2) {
            let sample = i32::from(i16::from_le_bytes([s[0], s[1]])) * v / 100;
            data.extend_from_slice(&(sample as i16).to_le_bytes());
        }
        let mut out = Vec::with_capacity(44 + data.len());
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&self.channels.to_le_bytes());
        out.extend_from_slice(&self.rate.to_le_bytes());
        let block = self.channels * 2;
        out.extend_from_slice(&(self.rate * u32::from(block)).to_le_bytes());
        out.extend_from_slice(&block.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&data);
        out
    }
}

/// The kiosk's player from `[voice]`, or none when voice guidance is off. A thread that
/// cannot start is logged: the kiosk runs on without voice.
pub fn start(config: &crate::config::VoiceConfig, data_dir: &Path) -> Option<VoicePlayer> {
    if !config.enabled {
        return None;
    }
    // What staff last set on their screen outlives a restart; the config is the default.
    let saved = SavedVoice::load(data_dir);
    let settings = VoiceSettings {
        player: config.player.clone(),
        dir: config.prompts_dir(),
        volume: saved.as_ref().map_or(config.volume, |s| s.volume).min(100),
        quiet: match &saved {
            Some(s) => s.quiet.as_deref().and_then(QuietHours::parse),
            None => config.quiet_hours.as_deref().and_then(QuietHours::parse),
        },
    };
    match VoicePlayer::spawn(settings) {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!(device = "speaker", "voice guidance off: {e}");
            None
        }
    }
}

/// The prompt of what is on screen: the countdown while it runs, else the screen's: on a
/// service's pages the step's or error's own ([`crate::app::Flow::prompt`]), or the
/// service's.
pub fn screen_prompt<F: crate::app::Flow, I>(
    screen: &crate::app::Screen<F, I>,
    notice: crate::app::Notice,
    counting_down: bool,
    service: Option<crate::services::ServiceId>,
) -> PromptId {
    use crate::app::{CardPlace, Screen};
    if counting_down {
        return "countdown";
    }
    match screen {
        Screen::Attract => notice_prompt(notice).unwrap_or("attract"),
        Screen::Menu => "menu",
        Screen::Identify(_) => "identify",
        Screen::Rating(_) => "rating",
        Screen::TakeCard(t) => match t.place() {
            CardPlace::Reader => "take-card",
            CardPlace::Glass => "take-card-glass",
        },
        Screen::Service(flow) => flow
            .prompt()
            .unwrap_or_else(|| service.map_or("service", service_prompt)),
    }
}

/// An attract-screen error's prompt.
pub fn notice_prompt(notice: crate::app::Notice) -> Option<PromptId> {
    use crate::app::Notice;
    Some(match notice {
        Notice::None => return None,
        Notice::CardUnreadable => "card-unreadable",
        Notice::CardExpired => "card-expired",
        Notice::CodeForged => "code-forged",
        Notice::CodeForeign => "code-foreign",
        Notice::CodeQueueTicket => "code-queue-ticket",
        Notice::CodeUnreadable => "code-unreadable",
        Notice::CheckInUnavailable => "check-in-unavailable",
    })
}

/// What a service's pages say as it starts, and on a step without a prompt of its own: it
/// names the service and its first choice.
pub fn service_prompt(id: crate::services::ServiceId) -> PromptId {
    use crate::services::ServiceId;
    match id {
        ServiceId::QueueTicket => "service-queue-ticket",
        ServiceId::CaseProgress => "service-case-progress",
        ServiceId::IdCopy => "service-id-copy",
        ServiceId::Appointment => "service-appointment",
        ServiceId::Certificate => "service-certificate",
        ServiceId::PersonalDocuments => "service-personal-documents",
        ServiceId::MedicalInsurance => "service-medical-insurance",
        ServiceId::TrafficFine => "service-traffic-fine",
        ServiceId::SampleForms => "service-sample-forms",
        ServiceId::Apply => "service-apply",
    }
}

/// Prompts several services' steps share (their `PROMPTS` list those they say).
pub const SHARED_PROMPTS: [PromptId; 10] = [
    "wait-printing",
    "wait-asking",
    "wait-sending",
    "take-printout",
    "paper-out",
    "toner-out",
    "printer-fault",
    "unreachable",
    "needs-card",
    "store-fault",
];

/// The shell's own prompts (the screens that are no service's).
pub const SHELL_PROMPTS: [PromptId; 9] = [
    "attract",
    "menu",
    "identify",
    "rating",
    "take-card",
    "take-card-glass",
    "countdown",
    "call-staff",
    "service",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Notice;

    #[test]
    fn staffs_voice_settings_are_kept_whole_and_a_damaged_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(SavedVoice::load(dir.path()), None);
        let kept = SavedVoice {
            volume: 40,
            quiet: Some("21:30-06:45".into()),
        };
        kept.save(dir.path()).unwrap();
        assert_eq!(SavedVoice::load(dir.path()), Some(kept));
        for damaged in ["{", r#"{"volume":40,"quiet":"late"}"#, r#"{"volume":400}"#] {
            std::fs::write(dir.path().join(VOICE_FILE), damaged).unwrap();
            assert_eq!(SavedVoice::load(dir.path()), None, "{damaged}");
        }
    }

    const ALL_NOTICES: [Notice; 7] = [
        Notice::CardUnreadable,
        Notice::CardExpired,
        Notice::CodeForged,
        Notice::CodeForeign,
        Notice::CodeQueueTicket,
        Notice::CodeUnreadable,
        Notice::CheckInUnavailable,
    ];

    fn voice_dir() -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/voice"))
    }

    /// Every prompt any screen, step or error can ask for.
    fn every_prompt() -> Vec<PromptId> {
        let mut ids: Vec<PromptId> = SHELL_PROMPTS.to_vec();
        ids.extend(ALL_NOTICES.iter().filter_map(|n| notice_prompt(*n)));
        ids.extend(
            crate::services::ServiceId::ALL
                .iter()
                .map(|s| service_prompt(*s)),
        );
        for s in crate::services::ServiceId::ALL {
            ids.extend(s.prompts());
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    #[test]
    fn every_service_has_prompts_of_its_own_steps_and_the_table_no_unused_one() {
        use crate::services::ServiceId;
        for s in ServiceId::ALL {
            assert!(
                s.prompts().len() >= 2,
                "{s:?} says nothing of its own beyond its first page"
            );
        }
        let table: toml::Table =
            toml::from_str(&std::fs::read_to_string(voice_dir().join("prompts.toml")).unwrap())
                .unwrap();
        let said = every_prompt();
        let unused: Vec<&String> = table
            .keys()
            .filter(|k| !said.contains(&k.as_str()))
            .collect();
        assert!(unused.is_empty(), "prompts no screen says: {unused:?}");
    }

    #[test]
    fn every_screen_and_error_has_a_prompt_in_both_languages_whose_file_decodes() {
        let table: toml::Table =
            toml::from_str(&std::fs::read_to_string(voice_dir().join("prompts.toml")).unwrap())
                .unwrap();
        let mut missing = Vec::new();
        for id in every_prompt() {
            let Some(entry) = table.get(id).and_then(|e| e.as_table()) else {
                missing.push(format!("{id}: not in prompts.toml"));
                continue;
            };
            for (key, lang) in [("zh", Lang::Zh), ("en", Lang::En)] {
                if entry
                    .get(key)
                    .and_then(|t| t.as_str())
                    .is_none_or(str::is_empty)
                {
                    missing.push(format!("{id}: no {key} text"));
                }
                let path = prompt_path(&voice_dir(), id, lang);
                match std::fs::read(&path) {
                    Err(e) => missing.push(format!(
                        "{}: {e} (render the prompts: scripts/voice-prompts)",
                        path.display()
                    )),
                    Ok(bytes) => match Wav::parse(&bytes) {
                        Err(e) => missing.push(format!("{}: {e}", path.display())),
                        Ok(wav) => {
                            assert_eq!((wav.rate, wav.channels), (16_000, 1), "{id}");
                            let s = wav.seconds();
                            assert!((0.3..15.0).contains(&s), "{id} {key}: {s} s");
                        }
                    },
                }
            }
        }
        assert!(missing.is_empty(), "{missing:#?}");
    }

    #[test]
    fn a_wav_whose_data_is_cut_short_or_not_pcm16_is_refused() {
        let wav = Wav {
            rate: 16_000,
            channels: 1,
            bits: 16,
            data: vec![0x10, 0x00, 0xf0, 0xff],
        };
        let bytes = wav.with_volume(100);
        assert_eq!(Wav::parse(&bytes).unwrap(), wav);
        assert!(Wav::parse(&bytes[..bytes.len() - 1])
            .unwrap_err()
            .contains("data chunk"));
        let mut eight_bit = bytes.clone();
        eight_bit[34] = 8;
        assert!(Wav::parse(&eight_bit).is_err());
        assert!(Wav::parse(b"RIFF....WAVX").is_err());
        // Half the volume halves each sample.
        let half = Wav::parse(&wav.with_volume(50)).unwrap();
        assert_eq!(half.data, vec![0x08, 0x00, 0xf8, 0xff]);
    }

    #[test]
    fn quiet_hours_may_pass_midnight() {
        let q = QuietHours::parse("22:00-07:00").unwrap();
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert!(q.contains(t(23, 0)) && q.contains(t(6, 59)));
        assert!(!q.contains(t(7, 0)) && !q.contains(t(12, 0)));
        let day = QuietHours::parse("12:00-13:30").unwrap();
        assert!(day.contains(t(12, 30)) && !day.contains(t(13, 30)));
        assert_eq!(day.to_string(), "12:00-13:30");
        assert!(QuietHours::parse("late").is_none());
    }

    /// A player that is a real child process: a script that logs its arguments and pid,
    /// keeps what it was given on its standard input, and speaks for a long time.
    struct FakePlayer {
        dir: tempfile::TempDir,
    }
    impl FakePlayer {
        fn new() -> FakePlayer {
            let dir = tempfile::tempdir().unwrap();
            let script = dir.path().join("player");
            std::fs::write(
                &script,
                "#!/bin/sh\necho \"$$ $*\" >> \"$(dirname \"$0\")/log\"\n\
                 cat > \"$(dirname \"$0\")/got.$$\"\nexec sleep 30\n",
            )
            .unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
            FakePlayer { dir }
        }
        fn settings(&self, volume: u8, quiet: Option<QuietHours>) -> VoiceSettings {
            VoiceSettings {
                player: vec![
                    self.dir.path().join("player").display().to_string(),
                    "-q".into(),
                    "-".into(),
                ],
                dir: voice_dir(),
                volume,
                quiet,
            }
        }
        /// (pid, args) of each start so far.
        fn starts(&self) -> Vec<(u32, String)> {
            std::fs::read_to_string(self.dir.path().join("log"))
                .unwrap_or_default()
                .lines()
                .map(|l| {
                    let (pid, args) = l.split_once(' ').unwrap();
                    (pid.parse().unwrap(), args.to_owned())
                })
                .collect()
        }
        fn got(&self, pid: u32) -> Vec<u8> {
            std::fs::read(self.dir.path().join(format!("got.{pid}"))).unwrap_or_default()
        }
        /// Waits (a generous fail-safe, no time limit on the behaviour) for `cond`.
        fn wait(&self, what: &str, mut cond: impl FnMut(&FakePlayer) -> bool) {
            let start = std::time::Instant::now();
            while !cond(self) {
                assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "waiting for {what}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    fn alive(pid: u32) -> bool {
        // A killed child is reaped by the player thread: its /proc entry goes.
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|s| s.split_whitespace().nth(2).is_none_or(|st| st != "Z"))
    }

    const NOON: fn() -> NaiveTime = || NaiveTime::from_hms_opt(12, 0, 0).unwrap();

    #[test]
    fn the_player_plays_a_new_prompt_over_the_old_one_at_the_volume_set() {
        let fake = FakePlayer::new();
        let player = VoicePlayer::spawn(fake.settings(100, None)).unwrap();
        player.send(VoiceOrder::Play {
            id: "take-card",
            lang: Lang::Zh,
            at: NOON(),
        });
        fake.wait("the first prompt", |f| f.starts().len() == 1);
        let (first, args) = fake.starts()[0].clone();
        assert_eq!(args, "-q -");
        let file = std::fs::read(prompt_path(&voice_dir(), "take-card", Lang::Zh)).unwrap();
        let want = Wav::parse(&file).unwrap();
        fake.wait("the samples on its standard input", |f| {
            f.got(first).len() >= want.data.len() + 44
        });
        assert_eq!(
            Wav::parse(&fake.got(first)).unwrap(),
            want,
            "volume 100: as rendered"
        );

        // Half the volume, a new prompt: the old child is killed.
        player.send(VoiceOrder::Volume(50));
        player.send(VoiceOrder::Play {
            id: "menu",
            lang: Lang::En,
            at: NOON(),
        });
        fake.wait("the second prompt", |f| f.starts().len() == 2);
        fake.wait("the first child killed", |_| !alive(first));
        let second = fake.starts()[1].0;
        let menu = Wav::parse(&std::fs::read(prompt_path(&voice_dir(), "menu", Lang::En)).unwrap())
            .unwrap();
        fake.wait("the second prompt's samples", |f| {
            f.got(second).len() >= menu.data.len() + 44
        });
        let got = Wav::parse(&fake.got(second)).unwrap();
        assert_eq!(got.data, Wav::parse(&menu.with_volume(50)).unwrap().data);
        assert_eq!(player.status().played, 2);
        assert_eq!(player.status().volume, 50);

        // Stop ends it; dropping the player leaves no child behind.
        player.send(VoiceOrder::Stop);
        fake.wait("the second child killed", |_| !alive(second));
        drop(player);
    }

    #[test]
    fn quiet_hours_and_volume_zero_play_nothing_and_a_missing_player_is_a_fault() {
        let fake = FakePlayer::new();
        let quiet = QuietHours::parse("11:00-13:00");
        let player = VoicePlayer::spawn(fake.settings(80, quiet)).unwrap();
        let play = |at| {
            player.send(VoiceOrder::Play {
                id: "menu",
                lang: Lang::Zh,
                at,
            })
        };
        play(NOON());
        fake.wait("noon silenced", |_| player.status().silenced == 1);
        let later = NaiveTime::from_hms_opt(14, 0, 0).unwrap();
        player.send(VoiceOrder::Volume(0));
        play(later);
        fake.wait("volume 0 silenced", |_| player.status().silenced == 2);
        player.send(VoiceOrder::Volume(80));
        play(later);
        // Played means started; the fake player writes its line a moment later, and a new
        // prompt (or the drop) kills it: wait for the line before going on.
        fake.wait("the prompt out of the quiet hours", |f| {
            player.status().played == 1 && f.starts().len() == 1
        });
        player.send(VoiceOrder::Quiet(None));
        play(NOON());
        fake.wait("noon with no quiet hours", |f| {
            player.status().played == 2 && f.starts().len() == 2
        });
        drop(player);
        assert_eq!(
            fake.starts().len(),
            2,
            "only the two spoken ones started a player"
        );

        // No such player: a fault for staff, no panic, the thread goes on.
        let mut settings = fake.settings(80, None);
        settings.player = vec!["/nonexistent/aplay".into()];
        let player = VoicePlayer::spawn(settings).unwrap();
        player.send(VoiceOrder::Play {
            id: "menu",
            lang: Lang::Zh,
            at: NOON(),
        });
        fake.wait("the fault", |_| player.status().fault.is_some());
        assert!(player.status().fault.unwrap().contains("cannot start"));
        // A prompt with no file is a fault too.
        let mut settings = fake.settings(80, None);
        settings.dir = fake.dir.path().to_owned();
        let player = VoicePlayer::spawn(settings).unwrap();
        player.send(VoiceOrder::Play {
            id: "menu",
            lang: Lang::Zh,
            at: NOON(),
        });
        fake.wait("the missing file", |_| player.status().fault.is_some());
    }
}
