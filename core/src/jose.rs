//! JOSE signature algorithm names (RFC 7518 §3.1, RFC 8037 §3.1): one table
//! for the verifier (which never accepts `none` or HMAC: verify/keys.rs
//! gives those no key family) and the client assertion signer.

/// A JWS algorithm the engine knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alg {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es256,
    Es384,
    EdDsa,
    Hs256,
    Hs384,
    Hs512,
}

/// Every algorithm, by its JOSE name.
const ALL: [(&str, Alg); 12] = [
    ("RS256", Alg::Rs256),
    ("RS384", Alg::Rs384),
    ("RS512", Alg::Rs512),
    ("PS256", Alg::Ps256),
    ("PS384", Alg::Ps384),
    ("PS512", Alg::Ps512),
    ("ES256", Alg::Es256),
    ("ES384", Alg::Es384),
    ("EdDSA", Alg::EdDsa),
    ("HS256", Alg::Hs256),
    ("HS384", Alg::Hs384),
    ("HS512", Alg::Hs512),
];

impl Alg {
    /// The algorithm called `name` (exact JOSE spelling).
    pub(crate) fn parse(name: &str) -> Option<Alg> {
        ALL.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
    }

    /// Its JOSE name.
    pub(crate) fn name(self) -> &'static str {
        ALL.iter().find(|(_, a)| *a == self).map_or("", |(n, _)| n)
    }

    /// True for the HMAC algorithms (client_secret_jwt; never verified).
    pub(crate) fn is_hmac(self) -> bool {
        matches!(self, Alg::Hs256 | Alg::Hs384 | Alg::Hs512)
    }
}
