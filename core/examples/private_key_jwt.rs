use m2m_auth::{TokenClient, TokenRequest};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Your Auth0 application's domain and client id, the private key whose
    // public half you registered with it, and your API's identifier. No
    // secret: each token request carries a new assertion signed with the key.
    let client = TokenClient::builder()
        .domain(std::env::var("AUTH0_DOMAIN")?) // e.g. your-tenant.us.auth0.com
        .client_id(std::env::var("AUTH0_CLIENT_ID")?)
        .private_key_file(std::env::var("AUTH0_PRIVATE_KEY_FILE")?) // PEM, re-read when it changes
        .key_id(std::env::var("AUTH0_KEY_ID")?) // the credential's kid in the dashboard
        .signing_alg("RS256") // the credential's algorithm
        .audience(std::env::var("API_AUDIENCE")?) // e.g. https://quickstarts/api
        .build()?;

    // 1. Request a token (cached and refreshed for you from then on).
    let token = client.get_token(&TokenRequest::default()).await?;
    println!(
        "{} token, expires in {} s",
        token.token_type(),
        token.expires_in().as_secs()
    );

    // 2. Call your API with it: `Authorization: Bearer <token>`.
    let api = std::env::var("API_URL")?; // e.g. http://localhost:3010/api/private
    let response = client
        .call_api(&TokenRequest::default(), "GET", &api, &[], None)
        .await?;
    println!("API answered {}: {}", response.status, response.text());
    Ok(())
}
