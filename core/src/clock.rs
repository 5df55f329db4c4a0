//! Monotonic time as nanoseconds: a precise reading for decisions, and a
//! coarse one (a few ns to read) for the hot path's "is it still fresh?" check.

/// Nanoseconds on the monotonic clock (CLOCK_MONOTONIC on Linux).
#[cfg(target_os = "linux")]
pub(crate) fn precise() -> u64 {
    read(libc::CLOCK_MONOTONIC)
}

/// The coarse monotonic clock: the same time base as [`precise`], lagging it
/// by at most [`coarse_slack`].
#[cfg(target_os = "linux")]
pub(crate) fn coarse() -> u64 {
    read(libc::CLOCK_MONOTONIC_COARSE)
}

/// How far [`coarse`] may lag [`precise`], plus a margin.
#[cfg(target_os = "linux")]
pub(crate) fn coarse_slack() -> u64 {
    use std::sync::OnceLock;
    static SLACK: OnceLock<u64> = OnceLock::new();
    *SLACK.get_or_init(|| {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_getres writes one timespec through a valid pointer.
        let ok = unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, &mut ts) } == 0;
        let res = if ok {
            ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
        } else {
            10_000_000
        };
        res + 1_000_000
    })
}

#[cfg(target_os = "linux")]
fn read(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer; the
    // monotonic clocks always exist on Linux.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn precise() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static BASE: OnceLock<Instant> = OnceLock::new();
    // Offset by one second so that 0 never means "now".
    BASE.get_or_init(Instant::now).elapsed().as_nanos() as u64 + 1_000_000_000
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn coarse() -> u64 {
    precise()
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn coarse_slack() -> u64 {
    0
}

/// Converts a duration to nanoseconds, saturating.
pub(crate) fn nanos(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
