//! The vector format (`tests/conformance/FORMAT.md`): a vector's top-level
//! shape, and the typed reads of its JSON fields.

use m2m_auth::TokenRequest;
use serde_json::{Map, Value};

use crate::Res;

/// The top-level fields a vector may have, and that it names itself.
pub(crate) fn check_shape(v: &Value, stem: &str) -> Res {
    let obj = v.as_object().ok_or("not a JSON object")?;
    for k in obj.keys() {
        if ![
            "name",
            "design",
            "description",
            "server",
            "client",
            "steps",
            "skip",
        ]
        .contains(&k.as_str())
        {
            return Err(format!("unknown field {k:?}"));
        }
    }
    if obj.get("name").and_then(Value::as_str) != Some(stem) {
        return Err("`name` must equal the file name".into());
    }
    for k in ["design", "description"] {
        if !obj.get(k).is_some_and(Value::is_string) {
            return Err(format!("`{k}` (a string) is required"));
        }
    }
    if !obj.get("steps").is_some_and(Value::is_array) {
        return Err("`steps` (an array) is required".into());
    }
    if let Some(skip) = obj.get("skip") {
        let skip = skip.as_object().ok_or("`skip` must be an object")?;
        for (lang, why) in skip {
            if !["rust", "python", "node", "c", "go", "java"].contains(&lang.as_str()) {
                return Err(format!("skip: unknown language {lang:?}"));
            }
            if why.as_str().is_none_or(|s| s.trim().is_empty()) {
                return Err(format!("skip.{lang} must say why"));
            }
        }
    }
    Ok(())
}

pub(crate) fn token_request(r: &Value) -> Res<TokenRequest> {
    let r = r.as_object().ok_or("request: an object")?;
    let mut out = TokenRequest::default();
    for (k, v) in r {
        match k.as_str() {
            "audience" => out.audience = Some(v.as_str().ok_or("audience: a string")?.into()),
            "organization" => {
                out.organization = Some(v.as_str().ok_or("organization: a string")?.into())
            }
            "scope" => out.scope = Some(vec![v.as_str().ok_or("scope: a string")?.into()]),
            "resource" => out.resource = Some(str_list(v, "resource")?),
            "extra" => out.extra = Some(str_map(v, "extra")?.into_iter().collect()),
            other => return Err(format!("request: unknown field {other:?}")),
        }
    }
    Ok(out)
}

pub(crate) fn range_of(v: &Value, what: &str) -> Res<(f64, f64)> {
    match v.as_array().map(|a| a.as_slice()) {
        Some([lo, hi]) => match (lo.as_f64(), hi.as_f64()) {
            (Some(lo), Some(hi)) => Ok((lo, hi)),
            _ => Err(format!("{what}: two numbers")),
        },
        _ => Err(format!("{what}: [lo, hi]")),
    }
}

pub(crate) fn str_list(v: &Value, what: &str) -> Res<Vec<String>> {
    v.as_array()
        .and_then(|a| {
            a.iter()
                .map(|x| x.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| format!("{what}: a list of strings"))
}

pub(crate) fn str_map(v: &Value, what: &str) -> Res<Vec<(String, String)>> {
    v.as_object()
        .and_then(|m| {
            m.iter()
                .map(|(k, x)| x.as_str().map(|x| (k.clone(), x.to_string())))
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| format!("{what}: a map of strings"))
}

pub(crate) fn opt_str<'a>(o: &'a Map<String, Value>, k: &str) -> Res<Option<&'a str>> {
    match o.get(k) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{k}: a string")),
    }
}

pub(crate) fn opt_u64(o: &Map<String, Value>, k: &str) -> Res<Option<u64>> {
    match o.get(k) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{k}: a non-negative integer")),
    }
}

pub(crate) fn req_u64(o: &Map<String, Value>, k: &str) -> Res<u64> {
    opt_u64(o, k)?.ok_or_else(|| format!("{k}: required"))
}

pub(crate) fn opt_bool(o: &Map<String, Value>, k: &str) -> Res<Option<bool>> {
    match o.get(k) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(format!("{k}: true or false")),
    }
}
