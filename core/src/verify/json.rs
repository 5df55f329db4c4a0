//! Reading a token's JSON objects (header, claims) into only the members
//! the rules look at, without building a `serde_json::Value` per member:
//! the other members are parsed and dropped. The members read are those
//! the verifier checks; everything else stays text until asked for
//! (`Claims::json`).
//!
//! What is accepted is exactly what `serde_json::Map<String, Value>`
//! accepts: every member, read or skipped, goes through serde_json's
//! `deserialize_any` (numbers parsed and range-checked, strings and their
//! escapes checked, the same nesting limit), and a repeated member is read
//! as its last occurrence, as the `Map` keeps it. So the claims parsed
//! again later into a `Map` always parse, to the same values.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One member's value, as far as the rules need it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Member<'a> {
    /// A string.
    Str(Cow<'a, str>),
    /// A number (integers as `f64`, as `Value::as_f64` reads them).
    Num(f64),
    /// An array whose items are all strings.
    Strs(Vec<Cow<'a, str>>),
    /// An array holding something other than a string.
    Array,
    /// An object, with its member `jkt` when that is a string (the one
    /// nested member the rules read: `cnf.jkt`, RFC 9449 §6.1).
    Object { jkt: Option<Cow<'a, str>> },
    /// Null or a boolean.
    Other,
}

/// A JSON value parsed and dropped.
pub(crate) struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

impl<'de> Deserialize<'de> for Member<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MemberVisitor)
    }
}

struct MemberVisitor;

impl<'de> Visitor<'de> for MemberVisitor {
    type Value = Member<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Member<'de>, E> {
        Ok(Member::Other)
    }
    fn visit_i64<E>(self, v: i64) -> Result<Member<'de>, E> {
        Ok(Member::Num(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Member<'de>, E> {
        Ok(Member::Num(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Member<'de>, E> {
        Ok(Member::Num(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Member<'de>, E> {
        Ok(Member::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Member<'de>, E> {
        Ok(Member::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Member<'de>, E> {
        Ok(Member::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Member<'de>, E> {
        Ok(Member::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Member<'de>, A::Error> {
        let mut strings = Some(Vec::new());
        while let Some(item) = seq.next_element::<Member<'de>>()? {
            match (item, &mut strings) {
                (Member::Str(s), Some(v)) => v.push(s),
                _ => strings = None,
            }
        }
        Ok(strings.map_or(Member::Array, Member::Strs))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Member<'de>, A::Error> {
        let mut jkt = None;
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            if name == "jkt" {
                // The last `jkt` counts, as in a `Map`.
                jkt = match map.next_value::<Member<'de>>()? {
                    Member::Str(s) => Some(s),
                    _ => None,
                };
            } else {
                map.next_value::<Skip>()?;
            }
        }
        Ok(Member::Object { jkt })
    }
}

/// A member name.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Reads a JSON object (and nothing else) from `text`, handing each member
/// whose name is in `names` to `read` as a [`Member`] (in order; a repeated
/// name again), skipping the others. `read` gets the name's index in
/// `names`.
pub(crate) fn object<'a>(
    text: &'a str,
    names: &[&str],
    mut read: impl FnMut(usize, Member<'a>),
) -> serde_json::Result<()> {
    struct ObjectVisitor<'n, F> {
        names: &'n [&'n str],
        read: F,
    }
    impl<'de, F: FnMut(usize, Member<'de>)> Visitor<'de> for ObjectVisitor<'_, F> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
            while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
                match self.names.iter().position(|n| *n == name) {
                    Some(i) => (self.read)(i, map.next_value::<Member<'de>>()?),
                    None => {
                        map.next_value::<Skip>()?;
                    }
                }
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de::Deserializer::deserialize_map(
        &mut de,
        ObjectVisitor {
            names,
            read: &mut read,
        },
    )?;
    de.end()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value};

    /// What `object` reads of `names`, as the `Map` would give it.
    fn read(text: &str, names: &[&str]) -> Option<Vec<Option<Member<'static>>>> {
        let mut got = vec![None; names.len()];
        object(text, names, |i, m| got[i] = Some(owned(m))).ok()?;
        Some(got)
    }

    fn owned(m: Member<'_>) -> Member<'static> {
        let own = |s: Cow<'_, str>| Cow::Owned(s.into_owned());
        match m {
            Member::Str(s) => Member::Str(own(s)),
            Member::Num(n) => Member::Num(n),
            Member::Strs(v) => Member::Strs(v.into_iter().map(own).collect()),
            Member::Array => Member::Array,
            Member::Object { jkt } => Member::Object { jkt: jkt.map(own) },
            Member::Other => Member::Other,
        }
    }

    /// The same reading, done on a `Map` (the reference).
    fn reference(text: &str, names: &[&str]) -> Option<Vec<Option<Member<'static>>>> {
        let map: Map<String, Value> = serde_json::from_str(text).ok()?;
        let member = |v: &Value| match v {
            Value::String(s) => Member::Str(Cow::Owned(s.clone())),
            Value::Number(n) => Member::Num(n.as_f64().unwrap()),
            Value::Array(a) => match a.iter().map(Value::as_str).collect::<Option<Vec<_>>>() {
                Some(v) => Member::Strs(v.into_iter().map(|s| Cow::Owned(s.into())).collect()),
                None => Member::Array,
            },
            Value::Object(o) => Member::Object {
                jkt: o
                    .get("jkt")
                    .and_then(Value::as_str)
                    .map(|s| s.to_owned().into()),
            },
            Value::Null | Value::Bool(_) => Member::Other,
        };
        Some(names.iter().map(|n| map.get(*n).map(member)).collect())
    }

    #[test]
    fn reads_what_a_map_reads_and_accepts_what_it_accepts() {
        let deep = format!("{{\"x\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        let texts = [
            r#"{"exp":1,"iss":"a","aud":["x","y"],"cnf":{"jkt":"k"}}"#,
            r#"{"exp":1,"exp":"later"}"#,
            r#"{"exp":"later","exp":2.5}"#,
            r#"{"\u0065xp":3,"iss":"\u00e9\n"}"#,
            r#"{"aud":["x",1],"scp":[],"cnf":{"jkt":1,"jkt":"last"}}"#,
            r#"{"cnf":{"jkt":"first","jkt":2},"other":{"a":[1,{"b":null}]}}"#,
            r#"{"cnf":"not an object","iat":-7,"nbf":18446744073709551615}"#,
            r#"{"big":1e400,"exp":1}"#,
            r#"{"exp":1} trailing"#,
            r#"{"exp":1,}"#,
            r#"{"s":"\ud800"}"#,
            r#"{"s":"bad \x escape"}"#,
            "null",
            "[]",
            "{}",
            " { \"sub\" : true , \"jti\" : null } ",
            &deep,
        ];
        let names = [
            "exp", "iss", "aud", "scp", "cnf", "iat", "nbf", "sub", "jti",
        ];
        for text in texts {
            assert_eq!(read(text, &names), reference(text, &names), "{text}");
        }
    }
}
