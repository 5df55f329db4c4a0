use m2m_auth::{challenge, Verifier};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Your tenant (the tokens' issuer) and your API's identifier (its
    // audience). The keys come from the issuer's JWKS, cached and refreshed.
    let verifier = Verifier::builder()
        .issuer(std::env::var("AUTH0_ISSUER")?) // e.g. https://your-tenant.us.auth0.com/
        .audience(std::env::var("API_AUDIENCE")?) // e.g. https://quickstarts/api
        .build()?;

    // The Authorization header of a request your API received, and the
    // scope this route requires.
    let header = std::env::var("AUTHORIZATION").ok(); // "Bearer eyJ..."
    match verifier
        .verify_request(header.as_deref(), &["read:messages"])
        .await
    {
        Ok(claims) => println!(
            "200: client {} may read messages",
            claims.client_id().unwrap_or("?")
        ),
        // 401 or 403 (RFC 6750), never echoing the token.
        Err(e) => {
            let answer = challenge(&e, None);
            println!(
                "{}: WWW-Authenticate: {}",
                answer.status,
                answer.www_authenticate.unwrap_or_default()
            );
        }
    }
    Ok(())
}
