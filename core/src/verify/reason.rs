//! The stable `reason` codes of `invalid_token` errors (docs/design.md
//! §10, §11): the same words in every language.

/// No token: no `Authorization` header, another scheme, or empty.
pub const MISSING: &str = "missing";
/// Not a compact JWS, bad base64url or JSON, a header of wrong types.
pub const MALFORMED: &str = "malformed";
/// Longer than `max_token_bytes` (checked before any parsing).
pub const TOO_LARGE: &str = "too_large";
/// `alg` not on the allowlist, or not one the key may be used with.
pub const DISALLOWED_ALGORITHM: &str = "disallowed_algorithm";
/// No key of the JWKS has the token's `kid`.
pub const UNKNOWN_KEY: &str = "unknown_key";
/// The key is an RSA key shorter than 2048 bits.
pub const WEAK_KEY: &str = "weak_key";
/// The signature does not verify.
pub const BAD_SIGNATURE: &str = "bad_signature";
/// `typ` is not `at+jwt` (under `strict_typ`).
pub const BAD_TYP: &str = "bad_typ";
/// The header has `crit`.
pub const CRIT: &str = "crit";
/// `iss` is not exactly the configured issuer.
pub const WRONG_ISSUER: &str = "wrong_issuer";
/// `aud` names none of the configured audiences.
pub const WRONG_AUDIENCE: &str = "wrong_audience";
/// Past `exp` (plus leeway).
pub const EXPIRED: &str = "expired";
/// Before `nbf` or `iat` (minus leeway).
pub const NOT_YET_VALID: &str = "not_yet_valid";
/// `exp`, `iss` or `aud` is absent.
pub const MISSING_CLAIM: &str = "missing_claim";
/// A claim has the wrong JSON type (e.g. `exp` as a string).
pub const BAD_CLAIM_TYPE: &str = "bad_claim_type";
/// DPoP: no proof, several, or one that fails a check of RFC 9449
/// §4.3 (typ, alg, jwk, signature, htm, htu, iat, ath, the key not the
/// token's `cnf.jkt`).
pub const DPOP_PROOF: &str = "dpop_proof";
/// DPoP: the proof was used before.
pub const DPOP_REPLAY: &str = "dpop_replay";
/// DPoP: the proof has no current nonce of this API (nonce mode).
pub const DPOP_NONCE: &str = "dpop_nonce";
/// DPoP: a bound token (`cnf.jkt`) sent as `Bearer`, an unbound one
/// sent as `DPoP`, or a `Bearer` token where DPoP is required.
pub const DPOP_BOUND: &str = "dpop_bound";
