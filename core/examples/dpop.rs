use m2m_auth::{TokenClient, TokenRequest};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // As the quickstart, plus `dpop(true)`: the token is bound to a key this
    // client holds (generated here; `dpop_key_file` to bring your own), so a
    // leaked token is useless without it.
    let client = TokenClient::builder()
        .domain(std::env::var("AUTH0_DOMAIN")?) // e.g. your-tenant.us.auth0.com
        .client_id(std::env::var("AUTH0_CLIENT_ID")?)
        .client_secret(std::env::var("AUTH0_CLIENT_SECRET")?)
        .audience(std::env::var("API_AUDIENCE")?) // e.g. https://quickstarts/api
        .dpop(true)
        .build()?;

    // 1. A DPoP token: each token request carries a proof signed with the
    //    key (a server's nonce demand is answered for you).
    let token = client.get_token(&TokenRequest::default()).await?;
    println!(
        "{} token bound to key {}",
        token.token_type(),
        client.dpop_thumbprint().unwrap_or("-")
    );

    // 2. Call your API: `Authorization: DPoP <token>` and a `DPoP` proof of
    //    this very request (method, URL, the token's hash).
    let api = std::env::var("API_URL")?; // e.g. http://localhost:3010/api/private
    let response = client
        .call_api(&TokenRequest::default(), "GET", &api, &[], None)
        .await?;
    println!("API answered {}: {}", response.status, response.text());
    Ok(())
}
