//! docs/design.md §4 "Shared cache", issue #11 item 1: the `file:` store does
//! not trust its directory. A FIFO, a symbolic link or a directory someone
//! else may write to is a store failure (a `cache` error in strict mode, a
//! degraded call otherwise), never a hang, a huge read or a file created
//! where a link points.
#![cfg(unix)]

mod common;

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use m2m_auth::{MemoryCache, TokenClient, TokenRequest};

const STORE_TIMEOUT: Duration = Duration::from_millis(200);
/// Far more than a call needs (store timeout + one local fetch); reaching
/// it means the call hung.
const HUNG: Duration = Duration::from_secs(10);

/// A private directory (0700) for one test.
fn tempdir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "m2m-auth-file-store-{tag}-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

/// A client that behaves like another process: its own in-process cache.
fn process_like(env: &Env, dir: &Path, strict: bool) -> TokenClient {
    env.builder()
        .cache(format!("file:{}", dir.display()))
        .cache_strict(strict)
        .memory_cache(MemoryCache::new(16))
        .store_timeout(STORE_TIMEOUT)
        .build()
        .unwrap()
}

/// The store's file of the default key with extension `ext`, after one
/// call stored a token.
fn stored(dir: &Path, ext: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == ext))
        .unwrap_or_else(|| panic!("no .{ext} file in {}", dir.display()))
}

/// A store directory holding the default key's token and lock files.
async fn primed(env: &Env, tag: &str) -> PathBuf {
    let dir = tempdir(tag);
    process_like(env, &dir, false)
        .get_token(&TokenRequest::default())
        .await
        .unwrap();
    assert_eq!(env.requests(), 1);
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_at_the_value_path_does_not_hang_a_call() {
    let env = env().await;
    let dir = primed(&env, "fifo").await;
    let value = stored(&dir, "tok");
    std::fs::remove_file(&value).unwrap();
    let c = std::ffi::CString::new(value.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);

    let client = process_like(&env, &dir, false);
    let got = tokio::time::timeout(HUNG, client.get_token(&TokenRequest::default())).await;
    if got.is_err() {
        // Old code sits in open(2) waiting for a writer: give it one, remove
        // the FIFO so that no later open blocks again, then let the reader
        // see end-of-file, so the blocked thread ends and the test fails
        // instead of hanging.
        let writer = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags_nonblock()
            .open(&value);
        std::fs::remove_file(&value).unwrap();
        drop(writer);
        panic!("a FIFO in the store hung the call past {HUNG:?}");
    }
    got.unwrap()
        .expect("a bad store degrades, it does not fail a call");
    assert_eq!(env.requests(), 2, "fetched here");
    assert!(client.stats().store_errors >= 1);

    let err = tokio::time::timeout(
        HUNG,
        process_like(&env, &dir, true).get_token(&TokenRequest::default()),
    )
    .await
    .expect("strict mode does not hang either")
    .unwrap_err();
    assert_eq!(err.code(), "cache", "{err}");
}

/// `O_NONBLOCK` on `OpenOptions`, for the test's own unblocking open.
trait NonBlock {
    fn custom_flags_nonblock(&mut self) -> &mut Self;
}

impl NonBlock for std::fs::OpenOptions {
    fn custom_flags_nonblock(&mut self) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::custom_flags(self, libc::O_NONBLOCK)
    }
}

#[tokio::test]
async fn a_symlinked_value_is_not_followed() {
    let env = env().await;
    let dir = primed(&env, "link").await;
    // The real value, moved elsewhere and linked back: a store that follows
    // links would serve it.
    let value = stored(&dir, "tok");
    let elsewhere = tempdir("link-target").join("value");
    std::fs::rename(&value, &elsewhere).unwrap();
    symlink(&elsewhere, &value).unwrap();

    let client = process_like(&env, &dir, false);
    client.get_token(&TokenRequest::default()).await.unwrap();
    assert_eq!(env.requests(), 2, "the linked value was not used");
    assert_eq!(client.stats().shared_hits, 0);
    assert!(client.stats().store_errors >= 1);
}

#[tokio::test]
async fn a_symlink_to_dev_zero_is_not_read() {
    let env = env().await;
    let dir = primed(&env, "zero").await;
    let value = stored(&dir, "tok");
    std::fs::remove_file(&value).unwrap();
    symlink("/dev/zero", &value).unwrap();

    let client = process_like(&env, &dir, false);
    tokio::time::timeout(HUNG, client.get_token(&TokenRequest::default()))
        .await
        .expect("no endless read")
        .unwrap();
    assert_eq!(env.requests(), 2);
    assert!(client.stats().store_errors >= 1);
}

#[tokio::test]
async fn a_symlinked_lock_creates_nothing_at_its_target() {
    let env = env().await;
    let dir = primed(&env, "lock").await;
    // No value, so the next call takes the lease; its lock file is a link.
    std::fs::remove_file(stored(&dir, "tok")).unwrap();
    let lock = stored(&dir, "lock");
    std::fs::remove_file(&lock).unwrap();
    let target = tempdir("lock-target").join("planted");
    symlink(&target, &lock).unwrap();

    let client = process_like(&env, &dir, false);
    client.get_token(&TokenRequest::default()).await.unwrap();
    assert!(
        !target.exists(),
        "the store created {} through a link",
        target.display()
    );
    assert!(client.stats().store_errors >= 1);
    assert_eq!(env.requests(), 2);
}

/// A strict client fails with `cache`; a default one fetches and counts a
/// store error.
async fn refused(env: &Env, dir: &Path) {
    let err = process_like(env, dir, true)
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "cache", "{err}");
    let client = process_like(env, dir, false);
    let before = env.requests();
    client.get_token(&TokenRequest::default()).await.unwrap();
    assert_eq!(env.requests(), before + 1);
    assert!(client.stats().store_errors >= 1);
}

#[tokio::test]
async fn a_directory_others_can_write_is_refused() {
    let env = env().await;
    let dir = tempdir("open");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    refused(&env, &dir).await;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o770)).unwrap();
    refused(&env, &dir).await;
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing written there"
    );
}

#[tokio::test]
async fn a_directory_of_another_user_is_refused() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: only root can give a directory to another user");
        return;
    }
    let env = env().await;
    let dir = tempdir("other");
    std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
    refused(&env, &dir).await;
}
