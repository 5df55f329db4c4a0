//! `m2m_verifier_options`: what a verifier is built from (docs/design.md
//! §10). Every option of the surface's declaration
//! (`m2m_auth::surface::VERIFIER_OPTIONS`) has a setter
//! (`verifier_option_setters.rs`), each a call into [`set_verifier_option`],
//! which converts by the option's type (as the client's options do, through
//! [`Entries::convert`]) and hands the value to the engine's
//! `VerifierBuilder`. Values are checked by `m2m_verifier_new` (in the
//! engine), which reports the first problem as `M2M_CONFIG`.

use std::ffi::c_char;

use m2m_core::surface::VERIFIER_OPTIONS;
use m2m_core::VerifierBuilder;

use crate::ffi::{guard, guard_void, out_arg, ref_arg, str_arg, write_out};
use crate::option_cell::OptionCell;
use crate::result::m2m_result;
use crate::value::{find, CValue};

/// Options for `m2m_verifier_new`. Create with `m2m_verifier_options_new`,
/// fill with the `m2m_verifier_options_set_<name>` / `add_<name>` functions
/// (one per option) or `m2m_verifier_options_set`, free with
/// `m2m_verifier_options_free` (a verifier keeps its own copy, so the
/// options may be freed or reused once it is built). Thread-safe.
#[derive(Default)]
pub struct m2m_verifier_options {
    cell: OptionCell<VerifierBuilder>,
}

impl m2m_verifier_options {
    /// The builder of the verifier these options describe.
    pub(crate) fn builder(&self) -> VerifierBuilder {
        self.cell.lock().builder.clone().user_agent_language("c")
    }
}

/// Sets verifier option `name` (a name of the surface's `VERIFIER_OPTIONS`)
/// from what its C setter was given: the one path every
/// `m2m_verifier_options_set_<name>` / `add_<name>` takes.
pub(crate) fn set_verifier_option(
    options: *mut m2m_verifier_options,
    name: &str,
    value: CValue,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle.
        let o = unsafe { ref_arg(options, "options") }?;
        let item = find(VERIFIER_OPTIONS, name, "verifier option")?;
        // SAFETY: the setters pass C strings from their callers.
        unsafe { o.cell.apply(item, value) }
    })
}

/// Creates options with every option at its default (no issuer, no
/// audience: both must be set). Free with `m2m_verifier_options_free`.
#[no_mangle]
pub extern "C" fn m2m_verifier_options_new(
    options_out: *mut *mut m2m_verifier_options,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        out_arg(options_out, "options_out")?;
        write_out(options_out, Box::into_raw(Box::default()));
        Ok(())
    })
}

/// Frees options. NULL does nothing.
#[no_mangle]
pub extern "C" fn m2m_verifier_options_free(options: *mut m2m_verifier_options) {
    guard_void(|| {
        if !options.is_null() {
            // SAFETY: a handle from `m2m_verifier_options_new`, freed once.
            drop(unsafe { Box::from_raw(options) });
        }
    })
}

/// Sets the verifier option called `name` (e.g. `"leeway"`) from text: for
/// apps that read their options from a configuration file. The text is
/// parsed by the option's type: durations in SECONDS (a decimal number; the
/// typed setters take milliseconds), flags `true`/`false`/`1`/`0`, lists
/// separated by spaces or commas (replacing earlier entries); text options
/// (`jwks`, `ca_certs` included) are taken whole. `M2M_CONFIG` for an
/// unknown name or text that does not parse (the options are unchanged).
/// `options`, `name` and `text` stay the caller's.
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set(
    options: *mut m2m_verifier_options,
    name: *const c_char,
    text: *const c_char,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle / NUL-terminated string.
        let o = unsafe { ref_arg(options, "options") }?;
        let name = unsafe { str_arg(name, "name") }?;
        let item = find(VERIFIER_OPTIONS, name, "verifier option")?;
        // SAFETY: `text` is NULL or a NUL-terminated string.
        unsafe { o.cell.apply(item, CValue::Text(text)) }
    })
}
