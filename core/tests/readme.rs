//! Every README example runs: the Rust quickstart in README.md is
//! `core/examples/quickstart.rs` verbatim, and here it runs against the dev
//! server the way a user runs it against their tenant.

mod common;

use std::process::Command;

use common::*;

#[test]
fn readme_shows_the_quickstart_verbatim() {
    let readme = include_str!("../../README.md");
    let example = include_str!("../examples/quickstart.rs");
    assert!(
        readme.contains(example.trim()),
        "README.md must quote core/examples/quickstart.rs verbatim"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_gets_a_token_and_calls_the_api() {
    let env = env().await;
    // `cargo test` builds examples next to the test binaries' directory.
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("quickstart");
    let out = Command::new(&bin)
        .env("AUTH0_DOMAIN", env.server.url()) // http:// is allowed for loopback only
        .env("AUTH0_CLIENT_ID", &env.client_id)
        .env("AUTH0_CLIENT_SECRET", &env.secret)
        .env("API_AUDIENCE", "https://quickstarts/api")
        .env("API_URL", env.server.api_url())
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Bearer token, expires in"), "{stdout}");
    assert!(stdout.contains("API answered 200"), "{stdout}");
    assert!(
        stdout.contains("\"aud\":\"https://quickstarts/api\""),
        "{stdout}"
    );
    assert!(!stdout.contains(&env.secret));
}
