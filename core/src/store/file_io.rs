//! The file store's I/O, hardened against whoever else can reach its
//! directory (docs/design.md §4 "Shared cache"): the directory must be the
//! effective user's and writable by nobody else; files are opened without
//! following symbolic links and without blocking (a FIFO cannot hang an
//! open), then checked on the open descriptor to be regular files of the
//! effective user; values are read up to [`MAX_VALUE_BYTES`]; temporary
//! files are created exclusively. Every function here blocks (briefly: no
//! call waits on another process); the store runs them off the runtime's
//! threads under its operation timeout.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::SystemTime;

/// The largest value the store reads or writes. A sealed token is a few
/// hundred bytes to a few KiB (a JWT with many claims); anything bigger is
/// not ours, and reading it would only cost memory and time.
pub(crate) const MAX_VALUE_BYTES: usize = 16 * 1024;

/// Flags every open adds: a symbolic link at the path is refused rather
/// than followed, and a FIFO or device opens at once instead of waiting for
/// a peer (it is then refused as not a regular file).
const SAFE_FLAGS: i32 = libc::O_NOFOLLOW | libc::O_NONBLOCK;

/// A value read from the store, with its file's metadata (the modification
/// time tells when it was written).
pub(crate) struct StoredValue {
    /// The file's content, at most [`MAX_VALUE_BYTES`].
    pub(crate) bytes: Vec<u8>,
    /// `fstat` of the descriptor the bytes were read from (its mtime is the
    /// value's expiry).
    pub(crate) meta: Metadata,
}

/// Checks that `dir` can be trusted, creating it (`0700`, with its parents)
/// when `create` is set. `Ok(false)`: it does not exist (and `create` was
/// not set). A directory another user owns, or that group or others may
/// write to, is refused: whoever can write there could plant links, FIFOs
/// or values of their own.
pub(crate) fn trusted_dir(dir: &Path, create: bool) -> io::Result<bool> {
    if create {
        let mut b = fs::DirBuilder::new();
        b.recursive(true).mode(0o700);
        b.create(dir)?;
    }
    let meta = match fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound && !create => return Ok(false),
        Err(e) => return Err(e),
    };
    if !meta.is_dir() {
        return Err(refused("not a directory"));
    }
    check_owner_and_mode(&meta, "directory")?;
    Ok(true)
}

/// The value at `path`, or `None` if there is none. A link, FIFO, device,
/// directory, a file of another user or one bigger than
/// [`MAX_VALUE_BYTES`] is an error.
pub(crate) fn read_value(path: &Path) -> io::Result<Option<StoredValue>> {
    let mut opts = OpenOptions::new();
    opts.read(true).custom_flags(SAFE_FLAGS);
    let file = match opts.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(explain_open(e)),
    };
    let meta = check_file(&file)?;
    let mut bytes = Vec::with_capacity((meta.len() as usize).min(MAX_VALUE_BYTES));
    // One byte more than allowed tells "too big" from "exactly the limit".
    file.take(MAX_VALUE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > MAX_VALUE_BYTES {
        return Err(refused("larger than the 16 KiB a value may have"));
    }
    Ok(Some(StoredValue { bytes, meta }))
}

/// Replaces the value at `path` atomically: writes `tmp` (created
/// exclusively, `0600`, never through a link, its mtime set to `expires`),
/// then renames it over `path`
/// (a rename replaces whatever entry is there, link or FIFO included, and
/// never follows it). `tmp` is removed if anything fails.
pub(crate) fn write_value(
    path: &Path,
    tmp: &Path,
    bytes: &[u8],
    expires: SystemTime,
) -> io::Result<()> {
    if bytes.len() > MAX_VALUE_BYTES {
        return Err(refused("a value larger than 16 KiB"));
    }
    let write = || {
        let mut opts = OpenOptions::new();
        opts.write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(SAFE_FLAGS);
        let mut f = opts.open(tmp).map_err(explain_open)?;
        f.write_all(bytes)?;
        f.set_modified(expires)?;
        drop(f);
        fs::rename(tmp, path)
    };
    let r = write();
    if r.is_err() {
        let _ = fs::remove_file(tmp);
    }
    r
}

/// Opens (creating it `0600` if absent) the lease's lock file at `path`:
/// never through a link, and only if it is a regular file of the effective
/// user that nobody else may write to.
pub(crate) fn open_lock(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(SAFE_FLAGS);
    let file = opts.open(path).map_err(explain_open)?;
    check_file(&file)?;
    Ok(file)
}

/// `fstat` of an open file: it must be a regular file of the effective
/// user, not writable by group or others. Checked on the descriptor, so the
/// entry cannot be swapped between the check and the use.
fn check_file(file: &File) -> io::Result<Metadata> {
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(refused("not a regular file"));
    }
    check_owner_and_mode(&meta, "file")?;
    Ok(meta)
}

fn check_owner_and_mode(meta: &Metadata, what: &str) -> io::Result<()> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if meta.uid() != euid {
        return Err(refused(&format!(
            "{what} owned by uid {}, not by this process's user (uid {euid})",
            meta.uid()
        )));
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(refused(&format!(
            "{what} writable by group or others (mode {mode:04o})"
        )));
    }
    Ok(())
}

/// An open refused by `O_NOFOLLOW` says "too many levels of symbolic
/// links"; say what it means.
fn explain_open(e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        return refused("a symbolic link");
    }
    e
}

fn refused(why: &str) -> io::Error {
    io::Error::new(ErrorKind::PermissionDenied, format!("refused: {why}"))
}
