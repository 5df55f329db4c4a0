//! Values from C, converted by the surface's declaration (docs/design.md §9).
//!
//! Every `m2m_client_options_set_<name>`/`add_<name>` and
//! `m2m_request_set_<name>`/`add_<name>` is one line that names its item and
//! passes what C gave it as a [`CValue`]; [`Entries::convert`] turns that
//! into the engine's [`OptionValue`] by the item's [`ValueType`] alone (no
//! per-option code), and the engine's `set` does the rest.

use std::collections::BTreeMap;
use std::ffi::c_char;
use std::time::Duration;

use m2m_core::surface::{Item, ValueType};
use m2m_core::{OptionValue, Secret};

use crate::ffi::str_arg;
use crate::result::Failure;

/// What a C setter was given.
#[derive(Clone, Copy)]
pub(crate) enum CValue {
    /// `const char *`: Text, Secret, Pem.
    Str(*const c_char),
    /// `bool`: Flag.
    Flag(bool),
    /// `uint64_t`: Count.
    Count(u64),
    /// `uint64_t` milliseconds: Duration.
    Millis(u64),
    /// `double`: Fraction.
    Fraction(f64),
    /// `const char *` for `add_<name>`: one more entry of a List.
    Entry(*const c_char),
    /// `name`, `value` for `add_<name>`: one more pair of a Map.
    Pair(*const c_char, *const c_char),
    /// Text for the generic `set(name, text)`: parsed by the item's type as
    /// an environment variable is (durations in seconds).
    Text(*const c_char),
}

/// The lists and maps built up by `add_<name>` calls: each call hands the
/// engine the whole value again (the engine's `set` replaces a list).
#[derive(Clone, Default)]
pub(crate) struct Entries {
    lists: BTreeMap<&'static str, Vec<String>>,
    maps: BTreeMap<&'static str, BTreeMap<String, String>>,
}

/// The item called `name` in `items`; a `config` failure naming `what`
/// otherwise.
pub(crate) fn find(
    items: &'static [Item],
    name: &str,
    what: &str,
) -> Result<&'static Item, Failure> {
    items
        .iter()
        .find(|i| i.name == name)
        .ok_or_else(|| Failure::config(format!("unknown {what} {name:?}")))
}

impl Entries {
    /// What C gave for `item`, as the engine's value.
    ///
    /// # Safety
    /// Every pointer in `value` is NULL or a NUL-terminated string.
    pub(crate) unsafe fn convert(
        &mut self,
        item: &'static Item,
        value: CValue,
    ) -> Result<OptionValue, Failure> {
        use ValueType as T;
        let name = item.name;
        // SAFETY (every `str_arg` below): per this function's contract.
        Ok(match (item.ty, value) {
            (ty, CValue::Text(p)) => {
                let text = unsafe { str_arg(p, name) }?;
                let v = OptionValue::parse(ty, name, text)?;
                match &v {
                    OptionValue::List(l) => {
                        self.lists.insert(name, l.clone());
                    }
                    OptionValue::Map(m) => {
                        self.maps.insert(name, m.clone());
                    }
                    _ => {}
                }
                v
            }
            (T::Text | T::Pem, CValue::Str(p)) => {
                OptionValue::Text(unsafe { str_arg(p, name) }?.into())
            }
            (T::Secret, CValue::Str(p)) => {
                OptionValue::Secret(Secret::new(unsafe { str_arg(p, name) }?))
            }
            (T::Flag, CValue::Flag(b)) => OptionValue::Flag(b),
            (T::Count, CValue::Count(n)) => OptionValue::Count(n),
            (T::Duration, CValue::Millis(ms)) => OptionValue::Duration(Duration::from_millis(ms)),
            (T::Fraction, CValue::Fraction(f)) => OptionValue::Fraction(f),
            (T::List, CValue::Entry(p)) => {
                let entry = unsafe { str_arg(p, name) }?;
                let list = self.lists.entry(name).or_default();
                list.push(entry.into());
                OptionValue::List(list.clone())
            }
            (T::Map, CValue::Pair(k, v)) => {
                let (k, v) = unsafe { (str_arg(k, "name")?, str_arg(v, "value")?) };
                let map = self.maps.entry(name).or_default();
                map.insert(k.into(), v.into());
                OptionValue::Map(map.clone())
            }
            // A setter of the wrong shape: a bug in this crate (the tests
            // call every setter).
            (ty, _) => return Err(Failure::invalid(format!("{name} takes a {ty:?} value"))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use m2m_core::surface::CLIENT_OPTIONS;

    fn item(name: &str) -> &'static Item {
        find(CLIENT_OPTIONS, name, "option").unwrap()
    }

    #[test]
    fn entries_accumulate_and_text_replaces_them() {
        let mut e = Entries::default();
        let v = unsafe { e.convert(item("resource"), CValue::Entry(c"https://a".as_ptr())) };
        assert!(matches!(v, Ok(OptionValue::List(l)) if l == ["https://a"]));
        let v = unsafe { e.convert(item("resource"), CValue::Entry(c"https://b".as_ptr())) };
        assert!(matches!(v, Ok(OptionValue::List(l)) if l.len() == 2));
        let v = unsafe { e.convert(item("resource"), CValue::Text(c"https://c".as_ptr())) };
        assert!(matches!(v, Ok(OptionValue::List(l)) if l == ["https://c"]));
        let v = unsafe { e.convert(item("resource"), CValue::Entry(c"https://d".as_ptr())) };
        assert!(matches!(v, Ok(OptionValue::List(l)) if l == ["https://c", "https://d"]));
        let v = unsafe { e.convert(item("extra"), CValue::Pair(c"a".as_ptr(), c"1".as_ptr())) };
        assert!(matches!(v, Ok(OptionValue::Map(m)) if m.len() == 1));
    }

    #[test]
    fn durations_are_milliseconds_and_text_is_seconds() {
        let mut e = Entries::default();
        let v = unsafe { e.convert(item("timeout"), CValue::Millis(1500)) };
        assert!(matches!(v, Ok(OptionValue::Duration(d)) if d == Duration::from_millis(1500)));
        let v = unsafe { e.convert(item("timeout"), CValue::Text(c"1.5".as_ptr())) };
        assert!(matches!(v, Ok(OptionValue::Duration(d)) if d == Duration::from_millis(1500)));
    }

    #[test]
    fn wrong_shapes_and_unknown_names_fail() {
        let mut e = Entries::default();
        assert!(unsafe { e.convert(item("timeout"), CValue::Count(1)) }.is_err());
        assert!(unsafe { e.convert(item("client_id"), CValue::Str(std::ptr::null())) }.is_err());
        let f = find(CLIENT_OPTIONS, "nope", "option").unwrap_err();
        assert_eq!(f.code, crate::result::m2m_result::M2M_CONFIG);
    }
}
