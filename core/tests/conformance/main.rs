//! The Rust runner of the shared conformance vectors: every
//! `tests/conformance/*.json` (format: `tests/conformance/FORMAT.md`) runs
//! against a fresh in-process dev/fault server, and every expectation is
//! checked, plus the canary (no error ever shows the client secret).
//!
//! `M2M_AUTH_VECTORS=name1,name2` runs only the vectors whose name contains
//! one of those strings. Failures of all vectors are collected and reported
//! together.

#[path = "../common/mod.rs"]
mod common;

mod checks;
mod client;
mod run;
mod server;
mod vector;

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

use run::Run;
use vector::check_shape;

/// Vectors must be at least this many (issue #3).
const MIN_VECTORS: usize = 40;

type Res<T = ()> = std::result::Result<T, String>;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance")
}

#[test]
fn conformance_vectors() {
    let dir = vectors_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= MIN_VECTORS,
        "only {} vectors in {}",
        files.len(),
        dir.display()
    );
    let filter: Vec<String> = std::env::var("M2M_AUTH_VECTORS")
        .ok()
        .map(|f| {
            f.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // Servers stay bound until the run ends, so that no later vector gets a
    // port (and so a cache key) an earlier one used.
    let mut servers = Vec::new();
    let (mut passed, mut skipped) = (0, 0);
    let mut failed: Vec<String> = Vec::new();
    let started = Instant::now();
    for path in &files {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if !filter.is_empty() && !filter.iter().any(|f| stem.contains(f.as_str())) {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let vector: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                failed.push(format!("{stem}: not JSON: {e}"));
                continue;
            }
        };
        if let Err(e) = check_shape(&vector, &stem) {
            failed.push(format!("{stem}: bad vector: {e}"));
            continue;
        }
        if let Some(reason) = vector.pointer("/skip/rust") {
            eprintln!("vector {stem}: skipped: {reason}");
            skipped += 1;
            continue;
        }
        let t0 = Instant::now();
        let mut run = Run::default();
        let outcome = rt.block_on(run.vector(&vector));
        servers.extend(run.server.take());
        match outcome {
            Ok(()) => {
                passed += 1;
                eprintln!("vector {stem}: ok ({} ms)", t0.elapsed().as_millis());
            }
            Err(e) => {
                eprintln!("vector {stem}: FAILED: {e}");
                failed.push(format!("{stem}: {e}"));
            }
        }
    }
    let summary = format!(
        "conformance: {passed} passed, {} failed, {skipped} skipped in {:.1} s",
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    eprintln!("{summary}");
    drop(servers);
    assert!(
        failed.is_empty(),
        "{summary}\n{}",
        failed
            .iter()
            .map(|f| format!("  - {f}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(passed + skipped > 0, "no vector matched {filter:?}");
}
