//! Handing the kernel back the file pages that an idle kiosk does not use.
//!
//! Start-up (the config, the migrations, every thread's set-up, the first layout of every
//! widget) touches code and read-only data spread over the whole binary and its libraries, and
//! the kernel maps up to 64 KiB around each page touched (fault-around). Left alone, all of it
//! stays counted in the kiosk's resident memory for months, as do the pages of a service a
//! citizen used once. When the kiosk has gone idle (after start-up, and after each citizen),
//! [`release_file_pages`] drops the process's mappings of those pages with
//! `madvise(MADV_DONTNEED)`: the pages stay in the page cache, and the next use maps them
//! again with a minor fault (no disk read), so what stays resident is what idling uses.
//!
//! Only private, read-only mappings of files that hold no page of the process's own
//! (`Anonymous: 0 kB` and `Swap: 0 kB` in `/proc/self/smaps`: nothing copied on write, as
//! relocated data is) are released: dropping one can only lose what the file still holds.

use std::time::Duration;

/// What one release did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Released {
    /// Mappings released.
    pub mappings: usize,
    /// Their resident KiB just before.
    pub kib: u64,
}

/// One mapping that may be released: its start, its length and its resident KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    len: usize,
    rss_kib: u64,
}

/// The releasable mappings of an smaps text (see the module's rule).
fn releasable(smaps: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    // The mapping being read: its span, whether its kind may be released, its Rss.
    let mut current: Option<(Span, bool)> = None;
    let mut own_pages = false;
    let mut finish = |current: &mut Option<(Span, bool)>, own_pages: bool| {
        if let Some((span, ok)) = current.take() {
            if ok && !own_pages && span.rss_kib > 0 {
                spans.push(span);
            }
        }
    };
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let Some(first) = fields.next() else { continue };
        if let Some((a, b)) = first.split_once('-').filter(|_| !first.ends_with(':')) {
            finish(&mut current, own_pages);
            own_pages = false;
            let (Ok(start), Ok(end)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
            else {
                continue;
            };
            let perms = fields.next().unwrap_or("");
            let path = fields.nth(3).unwrap_or("");
            // r-xp or r--p, of a file (not [vdso], not a deleted or memfd file).
            let ok = perms.len() == 4
                && perms.starts_with('r')
                && !perms.contains('w')
                && perms.ends_with('p')
                && path.starts_with('/')
                && fields.next().is_none();
            current = Some((
                Span {
                    start,
                    len: end.saturating_sub(start),
                    rss_kib: 0,
                },
                ok,
            ));
            continue;
        }
        let kib = fields
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        match first {
            "Rss:" => {
                if let Some((span, _)) = current.as_mut() {
                    span.rss_kib = kib;
                }
            }
            "Anonymous:" | "Swap:" if kib > 0 => own_pages = true,
            // A locked mapping keeps its pages by request.
            "VmFlags:" if line.split_whitespace().any(|f| f == "lo") => own_pages = true,
            _ => {}
        }
    }
    finish(&mut current, own_pages);
    spans
}

/// Drops this process's mappings of the file pages it may release (see the module): the
/// next use of each page maps it again from the page cache.
pub fn release_file_pages() -> std::io::Result<Released> {
    let smaps = std::fs::read_to_string("/proc/self/smaps")?;
    let mut released = Released::default();
    for span in releasable(&smaps) {
        // SAFETY: the span is a whole private, read-only file mapping of this process with no
        // page of its own (nothing copied on write, nothing swapped): MADV_DONTNEED only
        // drops its page-table entries, and every later read maps the file's same bytes again.
        // Nothing is unmapped, so no pointer into it dangles.
        let done = unsafe {
            rustix::mm::madvise(
                span.start as *mut std::ffi::c_void,
                span.len,
                rustix::mm::Advice::LinuxDontNeed,
            )
        };
        if done.is_ok() {
            released.mappings += 1;
            released.kib += span.rss_kib;
        }
    }
    Ok(released)
}

/// When to release: once the kiosk has been idle for a whole check after being busy (start-up
/// counts as busy), and never while anyone uses it.
#[derive(Debug)]
pub struct IdleRelease {
    busy_since_last: bool,
    idle_checks: u32,
}

/// How often the kiosk looks whether it is time to release.
pub const CHECK_EVERY: Duration = Duration::from_secs(5);

impl Default for IdleRelease {
    fn default() -> Self {
        Self {
            busy_since_last: true,
            idle_checks: 0,
        }
    }
}

impl IdleRelease {
    /// One check: whether to release now.
    pub fn check(&mut self, idle: bool) -> bool {
        if !idle {
            self.busy_since_last = true;
            self.idle_checks = 0;
            return false;
        }
        self.idle_checks += 1;
        // Idle for two checks in a row: the session's last pages (the done page, the wipe,
        // the sync kick) have been used.
        if self.busy_since_last && self.idle_checks >= 2 {
            self.busy_since_last = false;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
55d0c0000000-55d0c0100000 r--p 00000000 fd:01 123 /usr/bin/kiosk
Size:               1024 kB
Rss:                 512 kB
Anonymous:             0 kB
Swap:                  0 kB
VmFlags: rd mr mw me
55d0c0100000-55d0c0900000 r-xp 00100000 fd:01 123 /usr/bin/kiosk
Rss:                8000 kB
Anonymous:             0 kB
Swap:                  0 kB
VmFlags: rd ex mr mw me
55d0c0900000-55d0c0a00000 r--p 00900000 fd:01 123 /usr/bin/kiosk
Rss:                1000 kB
Anonymous:           996 kB
Swap:                  0 kB
55d0c0a00000-55d0c0b00000 rw-p 00a00000 fd:01 123 /usr/bin/kiosk
Rss:                  40 kB
Anonymous:            40 kB
7f0000000000-7f0000100000 r--p 00000000 fd:01 9 /usr/lib/libc.so.6
Rss:                 100 kB
Anonymous:             0 kB
Swap:                  8 kB
7f0000100000-7f0000200000 r-xp 00100000 fd:01 9 /usr/lib/libc.so.6
Rss:                 900 kB
Anonymous:             0 kB
Swap:                  0 kB
VmFlags: rd ex mr mw me lo
7f0000200000-7f0000300000 rw-s 00000000 00:01 7 /memfd:softbuffer (deleted)
Rss:                7900 kB
Anonymous:             0 kB
7f0000300000-7f0000400000 r--p 00000000 00:01 8 /tmp/old (deleted)
Rss:                   4 kB
Anonymous:             0 kB
7f0000400000-7f0000500000 r-xp 00000000 00:00 0 [vdso]
Rss:                   4 kB
Anonymous:             0 kB
7f0000500000-7f0000600000 rw-p 00000000 00:00 0
Rss:                 400 kB
Anonymous:           400 kB
7f0000600000-7f0000700000 r--p 00000000 fd:01 10 /usr/share/fonts/wqy.ttc
Rss:                   0 kB
Anonymous:             0 kB
";

    #[test]
    fn only_read_only_file_mappings_without_pages_of_their_own_are_released() {
        let spans = releasable(SMAPS);
        assert_eq!(
            spans,
            [
                Span {
                    start: 0x55d0c0000000,
                    len: 0x100000,
                    rss_kib: 512
                },
                Span {
                    start: 0x55d0c0100000,
                    len: 0x800000,
                    rss_kib: 8000
                },
            ],
            "not: relocated data (copied on write), writable data, a swapped page, \
             a locked mapping, shared memory, a deleted file, the vdso, anonymous memory, \
             nothing resident"
        );
    }

    #[test]
    fn releasing_this_process_drops_its_resident_file_pages_and_it_runs_on() {
        fn resident_code_kib() -> u64 {
            let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
            releasable(&smaps).iter().map(|s| s.rss_kib).sum()
        }
        let before = resident_code_kib();
        let released = release_file_pages().unwrap();
        assert!(released.mappings > 0 && released.kib > 0, "{released:?}");
        // The code and data it needs come back from the page cache as it runs.
        let after = resident_code_kib();
        assert!(
            after < before,
            "resident {before} KiB before, {after} KiB after"
        );
        let words: Vec<String> = (0..1000).map(|i| format!("{i}")).collect();
        assert_eq!(words[999], "999");
    }

    #[test]
    fn it_releases_once_the_kiosk_is_idle_after_start_up_and_after_each_citizen() {
        let mut r = IdleRelease::default();
        // Start-up counts as busy: idle for two checks, then released once.
        assert!(!r.check(true));
        assert!(r.check(true));
        assert!(!r.check(true));
        assert!(!r.check(true));
        // A citizen: nothing while they are here, once after they have gone.
        assert!(!r.check(false));
        assert!(!r.check(false));
        assert!(!r.check(true));
        assert!(r.check(true));
        assert!(!r.check(true));
    }
}
