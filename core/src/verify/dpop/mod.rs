//! DPoP, the API side (RFC 9449 §4.3, §7; docs/design.md §11): a token
//! bound to a key (`cnf.jkt`) is accepted only as `Authorization: DPoP`
//! with a proof of the request signed by that key; a proof is used once;
//! nonces when asked for. The verifier's options for it are here.

mod nonce;
mod proof;
mod replay;

use std::time::Duration;

use url::Url;

use super::keys::Alg;
use super::reason;
use super::{Claims, HttpRequest, VerifierBuilder};
use crate::error::{Error, Result};
use crate::options::OptionValue;
use crate::secret::Secret;
use nonce::Nonces;
use proof::{invalid, ProofRules, Target};
use replay::ReplayCache;

/// How a verifier treats DPoP (option `dpop`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DpopMode {
    /// Bearer tokens as `Bearer`, DPoP-bound tokens as `DPoP` with a proof
    /// (the default).
    #[default]
    Allowed,
    /// Only DPoP-bound tokens, as `DPoP` with a proof.
    Required,
    /// No DPoP: the `DPoP` scheme is not accepted (nor, then, any bound token).
    Off,
}

impl DpopMode {
    /// The option's word for it.
    pub fn name(self) -> &'static str {
        match self {
            DpopMode::Allowed => "allowed",
            DpopMode::Required => "required",
            DpopMode::Off => "off",
        }
    }

    /// `allowed`, `required` or `off`.
    pub fn parse(name: &str) -> Result<DpopMode> {
        match name.to_ascii_lowercase().as_str() {
            "allowed" => Ok(DpopMode::Allowed),
            "required" => Ok(DpopMode::Required),
            "off" => Ok(DpopMode::Off),
            _ => Err(Error::config(format!(
                "dpop must be allowed, required or off, not {:?}",
                super::jws::scrub(name)
            ))),
        }
    }
}

/// The DPoP options of a [`VerifierBuilder`], as set.
#[derive(Debug, Clone)]
pub(crate) struct DpopSettings {
    /// As set: checked by `build` (like every option).
    mode: String,
    algorithms: Vec<String>,
    max_age: Duration,
    replay_cache_size: u64,
    nonce: bool,
    nonce_secret: Option<Secret>,
}

impl Default for DpopSettings {
    fn default() -> Self {
        DpopSettings {
            mode: "allowed".into(),
            algorithms: ["ES256", "ES384", "EdDSA", "RS256", "PS256"]
                .map(String::from)
                .to_vec(),
            max_age: Duration::from_secs(60),
            replay_cache_size: 100_000,
            nonce: false,
            nonce_secret: None,
        }
    }
}

impl VerifierBuilder {
    /// How DPoP is treated: [`DpopMode::Allowed`] (default),
    /// [`DpopMode::Required`] or [`DpopMode::Off`].
    pub fn dpop(mut self, mode: DpopMode) -> Self {
        self.dpop.mode = mode.name().into();
        self
    }

    /// Algorithms a DPoP proof may be signed with (default ES256 ES384
    /// EdDSA RS256 PS256; never none or HMAC).
    pub fn dpop_algorithms<S: Into<String>>(mut self, v: impl IntoIterator<Item = S>) -> Self {
        self.dpop.algorithms = v.into_iter().map(Into::into).collect();
        self
    }

    /// How old a proof's `iat` may be (default 60 s; plus `leeway`).
    pub fn dpop_max_age(mut self, v: Duration) -> Self {
        self.dpop.max_age = v;
        self
    }

    /// How many recent proofs are remembered to refuse a replay (default
    /// 100,000; the oldest leave first when full).
    pub fn dpop_replay_cache_size(mut self, v: u64) -> Self {
        self.dpop.replay_cache_size = v;
        self
    }

    /// Whether proofs must carry a nonce this API gave (RFC 9449 §9): a
    /// proof without a current one is answered `use_dpop_nonce` with the
    /// nonce to use (default off).
    pub fn dpop_nonce(mut self, on: bool) -> Self {
        self.dpop.nonce = on;
        self
    }

    /// The secret nonces are made with: give every process of the API the
    /// same one (at least 32 bytes) so that they accept each other's
    /// nonces; without it each verifier has its own.
    pub fn dpop_nonce_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.dpop.nonce_secret = Some(secret.into());
        self
    }
}

impl VerifierBuilder {
    /// The DPoP options by name ([`VerifierBuilder::set`]).
    pub(super) fn set_dpop(&mut self, name: &str, value: OptionValue) -> Result<()> {
        use OptionValue as V;
        let d = &mut self.dpop;
        match (name, value) {
            ("dpop", V::Text(v)) => d.mode = v,
            ("dpop_algorithms", V::Text(v)) => d.algorithms = words(&[v]),
            ("dpop_algorithms", V::List(v)) => d.algorithms = words(&v),
            ("dpop_max_age", V::Duration(v)) => d.max_age = v,
            ("dpop_replay_cache_size", V::Count(v)) => d.replay_cache_size = v,
            ("dpop_nonce", V::Flag(v)) => d.nonce = v,
            ("dpop_nonce_secret", V::Text(v)) => d.nonce_secret = Some(Secret::new(v)),
            ("dpop_nonce_secret", V::Secret(v)) => d.nonce_secret = Some(v),
            (_, _) => {
                return Err(Error::config(format!(
                    "option {name} takes a value of another type"
                )))
            }
        }
        Ok(())
    }
}

fn words(v: &[String]) -> Vec<String> {
    v.iter()
        .flat_map(|s| s.split([' ', ',']))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A verifier's DPoP state: the checked options, the replay memory, nonces.
pub(crate) struct DpopVerifier {
    pub(crate) mode: DpopMode,
    algorithms: Vec<Alg>,
    /// `algs` of the challenges (RFC 9449 §7.1).
    pub(crate) algs: String,
    max_age: f64,
    replay: ReplayCache,
    nonces: Option<Nonces>,
}

impl DpopSettings {
    pub(crate) fn build(self) -> Result<DpopVerifier> {
        let mode = DpopMode::parse(&self.mode)?;
        let mut algorithms = Vec::new();
        for name in &self.algorithms {
            let alg = Alg::parse(name).filter(|a| !a.is_hmac()).ok_or_else(|| {
                Error::config(format!(
                    "dpop_algorithms: {name:?} is not an asymmetric algorithm"
                ))
            })?;
            if !algorithms.contains(&alg) {
                algorithms.push(alg);
            }
        }
        if algorithms.is_empty() && mode != DpopMode::Off {
            return Err(Error::config("dpop_algorithms must name at least one"));
        }
        if self.max_age.is_zero() {
            return Err(Error::config("dpop_max_age must be positive"));
        }
        if self
            .nonce_secret
            .as_ref()
            .is_some_and(|s| s.expose().len() < 32)
        {
            return Err(Error::config("dpop_nonce_secret must be at least 32 bytes"));
        }
        let algs = algorithms
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>()
            .join(" ");
        let nonces = if self.nonce {
            Some(Nonces::new(self.nonce_secret.as_ref())?)
        } else {
            None
        };
        Ok(DpopVerifier {
            mode,
            algorithms,
            algs,
            max_age: self.max_age.as_secs_f64(),
            replay: ReplayCache::new(usize::try_from(self.replay_cache_size).unwrap_or(usize::MAX)),
            nonces,
        })
    }
}

/// The token's `cnf.jkt`, when it is bound to a DPoP key.
pub(crate) fn bound_key(claims: &Claims) -> Option<&str> {
    claims.bound_key()
}

impl DpopVerifier {
    /// The nonce to send now, in nonce mode.
    pub(crate) fn nonce(&self, now: f64) -> Option<String> {
        self.nonces.as_ref().map(|n| n.current(now))
    }

    /// Checks the proof of `request`, which presented `token` as `DPoP`;
    /// `claims` are the token's, already verified.
    pub(crate) fn check(
        &self,
        claims: &Claims,
        token: &str,
        request: &HttpRequest<'_>,
        leeway: f64,
        now: f64,
    ) -> Result<()> {
        let (proof, method, url) = (request.dpop, request.method, request.url);
        let jkt = bound_key(claims).ok_or_else(|| {
            Error::invalid_token(
                reason::DPOP_BOUND,
                "the token is not bound to a DPoP key (no cnf.jkt)",
            )
        })?;
        let proof = proof
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| invalid("a DPoP token needs a DPoP proof header"))?;
        let url = Url::parse(url).map_err(|_| {
            Error::config("verify_http_request: url must be the absolute URL of the request")
        })?;
        let target = Target {
            method,
            url: &url,
            access_token: token,
        };
        let rules = ProofRules {
            algorithms: &self.algorithms,
            max_age: self.max_age,
            leeway,
        };
        let p = proof::check(proof, &target, &rules, now)?;
        if p.jkt != jkt {
            return Err(invalid(
                "the proof is not signed by the token's key (cnf.jkt)",
            ));
        }
        if let Some(nonces) = &self.nonces {
            if !p.nonce.as_deref().is_some_and(|n| nonces.accepts(n, now)) {
                return Err(Error::invalid_token(
                    reason::DPOP_NONCE,
                    "the proof has no current nonce of this API",
                ));
            }
        }
        let until = p.iat + self.max_age + 2.0 * leeway;
        if !self.replay.first_use(&p.jkt, &p.jti, until, now) {
            return Err(Error::invalid_token(
                reason::DPOP_REPLAY,
                "the proof was used before",
            ));
        }
        Ok(())
    }
}
