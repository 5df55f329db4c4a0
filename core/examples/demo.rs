//! `make demo`: the whole client credentials flow against the embedded dev
//! server — request a token for an audience, call the protected API with it,
//! and show what happened (token metadata only, never the token).

use m2m_auth::{TokenClient, TokenRequest};
use m2m_auth_devserver::{DevServer, ServerConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = DevServer::start(ServerConfig::default()).await?;
    println!("dev server:      {}", server.url());

    let client = TokenClient::builder()
        .token_url(server.token_url())
        .client_id("demo-client")
        .client_secret("demo-secret")
        .audience("https://api.example.com")
        .no_proxy()
        .build()?;
    println!("client:          {client:?}");

    let token = client.get_token(&TokenRequest::default()).await?;
    println!("token:           {token:?}");
    println!("  type:          {}", token.token_type());
    println!("  expires in:    {} s", token.expires_in().as_secs());
    println!(
        "  scope:         {}",
        token.scope().unwrap_or("(as requested)")
    );
    println!(
        "  fingerprint:   {} (SHA-256; the token itself is never printed)",
        token.fingerprint()
    );

    let again = client.get_token(&TokenRequest::default()).await?;
    assert_eq!(again.fingerprint(), token.fingerprint());
    println!("second call:     served from the cache");

    let api = client
        .call_api(
            &TokenRequest::default(),
            "GET",
            &server.api_url(),
            &[],
            None,
        )
        .await?;
    println!("GET /api:        {} {}", api.status, api.text());

    let s = server.stats();
    println!(
        "server saw:      {} token request(s), {} API request(s)",
        s.token_requests, s.api_requests
    );
    println!("client stats:    {:?}", client.stats());
    if api.status != 200 {
        return Err(format!("API answered {}", api.status).into());
    }
    Ok(())
}
