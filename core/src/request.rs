//! What to ask for: per-call request parameters, and their merge with the
//! client's defaults into one normalized form (the basis of the cache key).

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// Parameter names the engine sets itself; `extra` may not use them.
const RESERVED: &[&str] = &[
    "grant_type",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "audience",
    "scope",
    "organization",
    "resource",
];

/// Request parameters for one call. Every field left `None` takes the
/// client's default; `Some` replaces it (an empty string or list clears it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenRequest {
    /// The API the token is for (Auth0's `audience`).
    pub audience: Option<String>,
    /// Scopes; each entry may itself hold several space-separated scopes.
    pub scope: Option<Vec<String>>,
    /// Auth0 organization id or name.
    pub organization: Option<String>,
    /// RFC 8707 resource indicators (absolute URIs).
    pub resource: Option<Vec<String>>,
    /// Further form parameters sent with the request.
    pub extra: Option<BTreeMap<String, String>>,
}

impl TokenRequest {
    /// An empty request: every parameter from the client's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the audience.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Sets the scopes (a space-separated string or several).
    pub fn scope<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scope = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the organization.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    /// Sets the RFC 8707 resource indicators.
    pub fn resource<I, S>(mut self, resources: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.resource = Some(resources.into_iter().map(Into::into).collect());
        self
    }

    /// Adds one extra form parameter.
    pub fn extra(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra
            .get_or_insert_with(BTreeMap::new)
            .insert(name.into(), value.into());
        self
    }

    /// True when nothing is overridden (the call uses the client's defaults).
    pub fn is_default(&self) -> bool {
        self.audience.is_none()
            && self.scope.is_none()
            && self.organization.is_none()
            && self.resource.is_none()
            && self.extra.is_none()
    }
}

/// A request after merging with the defaults and normalizing: scopes split,
/// deduplicated and sorted; resources sorted; empty values dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Resolved {
    pub audience: Option<String>,
    pub scopes: Vec<String>,
    pub organization: Option<String>,
    pub resources: Vec<String>,
    pub extra: BTreeMap<String, String>,
}

impl Resolved {
    /// Normalizes a request that has no defaults under it.
    pub(crate) fn from_request(req: &TokenRequest) -> Result<Resolved> {
        Resolved::default().merge(req)
    }

    /// `self` (the defaults) overridden by `req`.
    pub(crate) fn merge(&self, req: &TokenRequest) -> Result<Resolved> {
        let audience = match &req.audience {
            Some(a) => non_empty(a),
            None => self.audience.clone(),
        };
        let organization = match &req.organization {
            Some(o) => non_empty(o),
            None => self.organization.clone(),
        };
        let scopes = match &req.scope {
            Some(s) => normalize_scopes(s),
            None => self.scopes.clone(),
        };
        let resources = match &req.resource {
            Some(r) => normalize_resources(r)?,
            None => self.resources.clone(),
        };
        let extra = match &req.extra {
            Some(e) => check_extra(e)?,
            None => self.extra.clone(),
        };
        Ok(Resolved {
            audience,
            scopes,
            organization,
            resources,
            extra,
        })
    }

    /// The scopes as the space-separated `scope` parameter, if any.
    pub(crate) fn scope_string(&self) -> Option<String> {
        (!self.scopes.is_empty()).then(|| self.scopes.join(" "))
    }

    /// Appends this request's parameters to a form body.
    pub(crate) fn append_form(&self, form: &mut crate::secret::SecretBytes) {
        if let Some(a) = &self.audience {
            form.append_pair("audience", a);
        }
        if let Some(s) = self.scope_string() {
            form.append_pair("scope", &s);
        }
        if let Some(o) = &self.organization {
            form.append_pair("organization", o);
        }
        for r in &self.resources {
            form.append_pair("resource", r);
        }
        for (k, v) in &self.extra {
            form.append_pair(k, v);
        }
    }
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Splits on white space, deduplicates and sorts.
pub(crate) fn normalize_scopes(scopes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = scopes
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn normalize_resources(resources: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(resources.len());
    for r in resources.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        let url = url::Url::parse(r).map_err(|_| {
            Error::config(format!("resource {r:?} is not an absolute URI (RFC 8707)"))
        })?;
        if url.fragment().is_some() {
            return Err(Error::config(format!(
                "resource {r:?} must not have a fragment (RFC 8707)"
            )));
        }
        out.push(r.to_string());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn check_extra(extra: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>> {
    for name in extra.keys() {
        if name.is_empty() {
            return Err(Error::config("extra parameter with an empty name"));
        }
        if RESERVED.contains(&name.as_str()) {
            return Err(Error::config(format!(
                "extra parameter {name:?} is set by m2m-auth itself; use its own option"
            )));
        }
    }
    Ok(extra.clone())
}
