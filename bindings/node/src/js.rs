//! Reading plain JS values (own keys, strings, numbers, arrays, byte
//! arrays) through raw N-API calls, for the generic option extractors in
//! `options.rs`. Every function takes a value of the current call's
//! environment; none keeps it past the call.

use napi::bindgen_prelude::*;
use napi::{sys, JsValue};

/// A JS value of the current call: its environment and handle.
#[derive(Clone, Copy)]
pub(crate) struct JsVal {
    /// The environment of the call.
    pub env: sys::napi_env,
    /// The value.
    pub raw: sys::napi_value,
}

impl JsVal {
    /// The value behind an argument.
    pub(crate) fn of(v: &Unknown<'_>) -> JsVal {
        let v = v.value();
        JsVal {
            env: v.env,
            raw: v.value,
        }
    }

    fn with(self, raw: sys::napi_value) -> JsVal {
        JsVal { env: self.env, raw }
    }

    fn check(status: sys::napi_status, what: &str) -> Result<()> {
        if status == sys::Status::napi_ok {
            Ok(())
        } else {
            Err(Error::new(Status::GenericFailure, format!("N-API: {what}")))
        }
    }

    /// `typeof`, as an N-API value type.
    pub(crate) fn type_of(self) -> Result<sys::napi_valuetype> {
        let mut t = 0;
        // SAFETY: a value of the current call's environment.
        Self::check(
            unsafe { sys::napi_typeof(self.env, self.raw, &mut t) },
            "typeof",
        )?;
        Ok(t)
    }

    /// `undefined` or `null`: an option left out.
    pub(crate) fn is_nullish(self) -> Result<bool> {
        let t = self.type_of()?;
        Ok(t == sys::ValueType::napi_undefined || t == sys::ValueType::napi_null)
    }

    /// A plain object (not `null`, not an array).
    pub(crate) fn is_object(self) -> Result<bool> {
        Ok(self.type_of()? == sys::ValueType::napi_object && !self.is_array()?)
    }

    /// `Array.isArray`.
    pub(crate) fn is_array(self) -> Result<bool> {
        let mut b = false;
        // SAFETY: as above.
        Self::check(
            unsafe { sys::napi_is_array(self.env, self.raw, &mut b) },
            "isArray",
        )?;
        Ok(b)
    }

    /// The object's own enumerable string keys (`Object.keys`).
    pub(crate) fn own_keys(self) -> Result<Vec<String>> {
        let mut names = std::ptr::null_mut();
        // SAFETY: `self` is an object of the current call (callers check).
        Self::check(
            unsafe {
                sys::napi_get_all_property_names(
                    self.env,
                    self.raw,
                    sys::KeyCollectionMode::own_only,
                    sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
                    sys::KeyConversion::numbers_to_strings,
                    &mut names,
                )
            },
            "own keys",
        )?;
        let names = self.with(names);
        let mut keys = Vec::new();
        for i in 0..names.len()? {
            if let Some(key) = names.element(i)?.string() {
                keys.push(key?);
            }
        }
        Ok(keys)
    }

    /// The property `key` of an object.
    pub(crate) fn get(self, key: &str) -> Result<JsVal> {
        let mut k = std::ptr::null_mut();
        let mut v = std::ptr::null_mut();
        // SAFETY: `key` is valid UTF-8 of the given length; `self` an object.
        unsafe {
            Self::check(
                sys::napi_create_string_utf8(
                    self.env,
                    key.as_ptr().cast(),
                    key.len() as isize,
                    &mut k,
                ),
                "key",
            )?;
            Self::check(sys::napi_get_property(self.env, self.raw, k, &mut v), "get")?;
        }
        Ok(self.with(v))
    }

    /// The length of an array.
    pub(crate) fn len(self) -> Result<u32> {
        let mut n = 0;
        // SAFETY: `self` is an array (callers check).
        Self::check(
            unsafe { sys::napi_get_array_length(self.env, self.raw, &mut n) },
            "length",
        )?;
        Ok(n)
    }

    /// Element `i` of an array.
    pub(crate) fn element(self, i: u32) -> Result<JsVal> {
        let mut v = std::ptr::null_mut();
        // SAFETY: `self` is an array (callers check).
        Self::check(
            unsafe { sys::napi_get_element(self.env, self.raw, i, &mut v) },
            "element",
        )?;
        Ok(self.with(v))
    }

    /// The string, or `None` if the value is not one.
    pub(crate) fn string(self) -> Option<Result<String>> {
        match self.type_of() {
            Ok(sys::ValueType::napi_string) => {
                // SAFETY: a string of the current call.
                Some(unsafe { String::from_napi_value(self.env, self.raw) })
            }
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// The number, or `None` if the value is not one.
    pub(crate) fn number(self) -> Option<f64> {
        match self.type_of() {
            // SAFETY: a number of the current call.
            Ok(sys::ValueType::napi_number) => {
                unsafe { f64::from_napi_value(self.env, self.raw) }.ok()
            }
            _ => None,
        }
    }

    /// The boolean, or `None` if the value is not one.
    pub(crate) fn boolean(self) -> Option<bool> {
        match self.type_of() {
            // SAFETY: a boolean of the current call.
            Ok(sys::ValueType::napi_boolean) => {
                unsafe { bool::from_napi_value(self.env, self.raw) }.ok()
            }
            _ => None,
        }
    }

    /// The bytes of a `Buffer` or `Uint8Array`, or `None` if the value is
    /// neither.
    pub(crate) fn bytes(self) -> Option<Vec<u8>> {
        let mut is = false;
        // SAFETY: any value of the current call.
        let status = unsafe { sys::napi_is_typedarray(self.env, self.raw, &mut is) };
        if status != sys::Status::napi_ok || !is {
            return None;
        }
        let (mut ty, mut len, mut data) = (0, 0usize, std::ptr::null_mut());
        let (mut buffer, mut offset) = (std::ptr::null_mut(), 0usize);
        // SAFETY: `self` is a typed array; the data pointer is read at once.
        let status = unsafe {
            sys::napi_get_typedarray_info(
                self.env,
                self.raw,
                &mut ty,
                &mut len,
                &mut data,
                &mut buffer,
                &mut offset,
            )
        };
        if status != sys::Status::napi_ok || ty != sys::TypedarrayType::uint8_array {
            return None;
        }
        if len == 0 || data.is_null() {
            return Some(Vec::new());
        }
        // SAFETY: N-API gave `len` readable bytes at `data`.
        Some(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) }.to_vec())
    }
}
