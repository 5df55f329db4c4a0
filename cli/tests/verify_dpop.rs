//! `m2m-auth verify` for DPoP: the request as the API received it
//! (`--authorization`, `--url`, `--method`, `--dpop-proof`), with a token and
//! a proof the engine's client made against an in-process dev server.

mod support;

use serde_json::Value;
use support::{cmd, dev_token, run, server, text, SECRET};

/// A DPoP request as an API received it: `--authorization "DPoP …"`,
/// `--url`, `--method`, `--dpop-proof` (the token and the proof made by the
/// engine's client against the in-process dev server); the bound token as
/// Bearer and a proof of another URL are refused; `--dpop required`
/// refuses a Bearer token; the nonce secret is read from standard input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dpop_request_verifies_with_its_proof() {
    let s = server().await;
    let client = m2m_auth::TokenClient::builder()
        .token_url(s.token_url())
        .client_id("cli-client")
        .client_secret(SECRET)
        .audience("https://api.example.com")
        .dpop(true)
        .no_proxy()
        .build()
        .unwrap();
    let token = client
        .get_token(&m2m_auth::TokenRequest::default())
        .await
        .unwrap();
    let url = "https://api.example.com/orders";
    let proof = client
        .dpop_proof("POST", url, Some(token.access_token()))
        .unwrap();
    let jwks = s.jwks_uri();
    let base = [
        "verify",
        "--issuer",
        s.issuer(),
        "--audience",
        "https://api.example.com",
        "--jwks-uri",
        jwks.as_str(),
    ];
    let with = |extra: &[&str]| {
        let mut a: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        cmd(&a)
    };
    let header = token.authorization_header().to_string();
    assert!(header.starts_with("DPoP "));
    let ok = [
        "--authorization",
        header.as_str(),
        "--url",
        url,
        "--method",
        "POST",
        "--dpop-proof",
        proof.as_str(),
    ];
    let out = run(with(&ok), "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cnf"]["jkt"], client.dpop_thumbprint().unwrap());

    // A proof of another URL; the bound token as Bearer (with and without --url).
    let other = "https://api.example.com/other";
    let mut wrong = ok;
    wrong[3] = other;
    let bearer = format!("Bearer {}", token.access_token());
    for (args, reason) in [
        (wrong.to_vec(), "dpop_proof"),
        (vec!["--authorization", bearer.as_str()], "dpop_bound"),
        (
            vec!["--authorization", bearer.as_str(), "--url", url],
            "dpop_bound",
        ),
    ] {
        let out = run(with(&args), "").await;
        assert_eq!(out.status.code(), Some(10), "{}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!("invalid_token ({reason})")),
            "{stderr}"
        );
        assert!(!stderr.contains(token.access_token().rsplit('.').next().unwrap()));
        assert!(!stderr.contains(proof.rsplit('.').next().unwrap()));
    }

    // dpop required: a Bearer token (unbound) is refused.
    let plain = dev_token(&s.token_url()).await;
    let bearer = format!("Bearer {plain}");
    let out = run(
        with(&["--dpop", "required", "--authorization", &bearer]),
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(10), "{}", text(&out.stderr));
    // The nonce secret from standard input (never argv): the proof has no
    // nonce, so nonce mode refuses it; stdin cannot also hold the token.
    let mut nonce = ok.to_vec();
    nonce.extend(["--dpop-nonce", "--dpop-nonce-secret-stdin"]);
    let out = run(with(&nonce), "a fleet's nonce secret, 32 bytes or more\n").await;
    assert_eq!(out.status.code(), Some(10), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("invalid_token (dpop_nonce)"));
    assert!(!text(&out.stderr).contains("fleet's nonce secret"));
    let out = run(with(&["--dpop-nonce-secret-stdin", "-"]), "x\n").await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not both"),
        "{}",
        text(&out.stderr)
    );
}
