//! Descriptors a forked child must not keep (docs/design.md §8): a lock
//! taken with `flock` belongs to the open file description, which a child
//! shares after `fork()`; a child that lives on would hold the parent's
//! lease for its whole life, even after the parent released it.
//!
//! The registry is a fixed table of atomics, because the `child` hook must be
//! async-signal-safe: it takes no lock and allocates nothing. Writers hold
//! an engine [`Mutex`](super::Mutex), which also holds the fork guard, so no
//! entry is half-written at the instant of a fork.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

/// Locks one process holds at once; a lease is held for one fetch, so this
/// is far more than a process uses. Beyond it, a lease is still taken, only
/// not withheld from a child.
const SLOTS: usize = 64;
const FREE: i32 = -1;

/// One withheld descriptor, with the identity of the file it referred to
/// when registered: a descriptor closed without [`return_to_child`] (a fetch
/// dropped with its runtime) may be reused by an unrelated file, which the
/// hook must leave alone.
struct Slot {
    fd: AtomicI32,
    dev: AtomicU64,
    ino: AtomicU64,
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            fd: AtomicI32::new(FREE),
            dev: AtomicU64::new(0),
            ino: AtomicU64::new(0),
        }
    }

    /// Whether the slot's descriptor still refers to the file it was
    /// registered for. Async-signal-safe (one `fstat`).
    fn is_current(&self, fd: i32) -> bool {
        // SAFETY: fstat writes into the zeroed struct we own; a closed or
        // reused descriptor just fails or reports another file.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstat(fd, &mut st) } != 0 {
            return false;
        }
        st.st_dev as u64 == self.dev.load(Ordering::Acquire)
            && st.st_ino as u64 == self.ino.load(Ordering::Acquire)
    }
}

static TABLE: [Slot; SLOTS] = [const { Slot::new() }; SLOTS];
static WRITERS: super::Mutex<()> = super::Mutex::new(());

/// Registers `file` (which holds a lock for this process) so that a child
/// forked while it is open gets `/dev/null` at its descriptor instead.
/// Call [`return_to_child`] before closing it. `false`: the table is full
/// (the file is then not withheld).
pub(crate) fn withhold_from_child(file: &File) -> bool {
    let Ok(meta) = file.metadata() else {
        return false;
    };
    let fd = file.as_raw_fd();
    let _writers = WRITERS.lock();
    // A slot left with this descriptor number is stale: the number is ours now.
    let slot = TABLE
        .iter()
        .find(|s| s.fd.load(Ordering::Acquire) == fd)
        .or_else(|| TABLE.iter().find(|s| s.fd.load(Ordering::Acquire) == FREE))
        .or_else(|| {
            TABLE
                .iter()
                .find(|s| !s.is_current(s.fd.load(Ordering::Acquire)))
        });
    let Some(slot) = slot else {
        return false;
    };
    slot.fd.store(FREE, Ordering::Release);
    slot.dev.store(meta.dev(), Ordering::Release);
    slot.ino.store(meta.ino(), Ordering::Release);
    slot.fd.store(fd, Ordering::Release);
    true
}

/// Forgets `file` (about to be closed): a child forked from now on keeps
/// nothing of it worth withholding.
pub(crate) fn return_to_child(file: &File) {
    let fd = file.as_raw_fd();
    let _writers = WRITERS.lock();
    for s in TABLE.iter().filter(|s| s.fd.load(Ordering::Acquire) == fd) {
        s.fd.store(FREE, Ordering::Release);
    }
}

/// The `child` hook's part: every withheld descriptor that still refers to
/// its file is pointed at `/dev/null` with `dup2`, which drops the child's
/// reference to the locked open file description while keeping the number
/// valid (whatever in the child closes it later closes `/dev/null`). Never
/// `flock(LOCK_UN)`: that would release the parent's lock too. Uses only
/// async-signal-safe calls (`fstat`, `open`, `dup2`, `fcntl`, `close`).
pub(super) fn detach_all() {
    let mut null = -1;
    for slot in &TABLE {
        let fd = slot.fd.load(Ordering::Acquire);
        if fd < 0 {
            continue;
        }
        if slot.is_current(fd) {
            if null < 0 {
                // SAFETY: a constant NUL-terminated path.
                let flags = libc::O_RDWR | libc::O_CLOEXEC;
                null = unsafe { libc::open(c"/dev/null".as_ptr(), flags) };
                if null < 0 {
                    return; // no /dev/null (a bare chroot): nothing safe to do
                }
            }
            // SAFETY: both descriptors are open; dup2 replaces `fd`
            // atomically, and the copy is made close-on-exec like the
            // original.
            unsafe {
                if libc::dup2(null, fd) >= 0 {
                    libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                }
            }
        }
        slot.fd.store(FREE, Ordering::Release);
    }
    if null >= 0 {
        // SAFETY: opened above, used only here.
        unsafe { libc::close(null) };
    }
}
