//! `m2m_client_options`: what a client is built from (docs/design.md §1,
//! §9). Every option of the surface's declaration has a setter
//! (`option_setters.rs`), each a call into [`set_option`], which converts by
//! the option's type and hands the value to the engine's builder. Values
//! are checked by `m2m_client_new` (in the engine), which reports the first
//! problem as `M2M_CONFIG`.

use std::ffi::c_char;

use m2m_core::surface::CLIENT_OPTIONS;
use m2m_core::TokenClientBuilder;

use crate::ffi::{guard, guard_void, out_arg, ref_arg, str_arg, write_out};
use crate::option_cell::OptionCell;
use crate::result::{m2m_result, Failure};
use crate::value::{find, CValue};

/// Options for `m2m_client_new`. Create with `m2m_client_options_new`, fill
/// with the `m2m_client_options_set_<name>` / `add_<name>` functions (one
/// per option), `m2m_client_options_set` or `m2m_client_options_from_env`,
/// free with `m2m_client_options_free` (a client keeps its own copy).
/// Thread-safe. The client secret is held in memory that is zeroed when
/// freed.
#[derive(Default)]
pub struct m2m_client_options {
    cell: OptionCell<TokenClientBuilder>,
}

impl m2m_client_options {
    /// The builder of the client these options describe.
    pub(crate) fn builder(&self) -> Result<TokenClientBuilder, Failure> {
        Ok(self.cell.lock().builder.clone().binding("c"))
    }

    /// Sets option `name` to a value that has no C conversion (a callback).
    pub(crate) fn set_value(
        &self,
        name: &str,
        value: m2m_core::OptionValue,
    ) -> Result<(), Failure> {
        self.cell.lock().builder.set(name, value)?;
        Ok(())
    }

    /// Sets every option an `M2M_AUTH_*` variable gives, the engine's way
    /// (`TokenClientBuilder::from_vars`); the first that does not parse is
    /// reported by `m2m_client_new`.
    pub(crate) fn load_env(&self) {
        let mut o = self.cell.lock();
        let builder = std::mem::take(&mut o.builder);
        o.builder = builder.from_vars(|name| std::env::var(name).ok());
    }
}

/// Sets client option `name` (a name of the surface's `CLIENT_OPTIONS`)
/// from what its C setter was given: the one path every
/// `m2m_client_options_set_<name>` / `add_<name>` takes.
pub(crate) fn set_option(
    options: *mut m2m_client_options,
    name: &str,
    value: CValue,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle.
        let o = unsafe { ref_arg(options, "options") }?;
        let item = find(CLIENT_OPTIONS, name, "option")?;
        // SAFETY: the setters pass C strings from their callers.
        unsafe { o.cell.apply(item, value) }
    })
}

/// Creates empty options.
#[no_mangle]
pub extern "C" fn m2m_client_options_new(options_out: *mut *mut m2m_client_options) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        out_arg(options_out, "options_out")?;
        write_out(options_out, Box::into_raw(Box::default()));
        Ok(())
    })
}

/// Frees options (zeroing the secret). NULL does nothing.
#[no_mangle]
pub extern "C" fn m2m_client_options_free(options: *mut m2m_client_options) {
    guard_void(|| {
        if !options.is_null() {
            // SAFETY: a handle from `m2m_client_options_new`, freed once.
            drop(unsafe { Box::from_raw(options) });
        }
    })
}

/// Sets the option called `name` (e.g. `"timeout"`) from text written as
/// in its environment variable `M2M_AUTH_<NAME>`: for apps that read their
/// options from a configuration file. The text is parsed by the option's
/// type: durations in SECONDS (a decimal number, as in the environment;
/// the typed setters take milliseconds), flags `true`/`false`/`1`/`0`,
/// lists separated by spaces or commas (replacing earlier entries), maps as
/// `name=value` pairs separated by `&` or commas. `M2M_CONFIG` for an
/// unknown name or text that does not parse (the options are unchanged).
#[no_mangle]
pub extern "C" fn m2m_client_options_set(
    options: *mut m2m_client_options,
    name: *const c_char,
    text: *const c_char,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle / NUL-terminated string.
        let o = unsafe { ref_arg(options, "options") }?;
        let item = find(CLIENT_OPTIONS, unsafe { str_arg(name, "name") }?, "option")?;
        // SAFETY: `text` is NULL or a NUL-terminated string.
        unsafe { o.cell.apply(item, CValue::Text(text)) }
    })
}

/// Sets every option that an environment variable gives
/// (`M2M_AUTH_<NAME>`, the option's name in upper case, e.g.
/// `M2M_AUTH_TOKEN_URL`, `M2M_AUTH_CLIENT_SECRET`, `M2M_AUTH_TIMEOUT` in
/// seconds), over what was set before; empty variables are ignored. A
/// variable that does not parse makes `m2m_client_new` fail with
/// `M2M_CONFIG`, naming the option.
#[no_mangle]
pub extern "C" fn m2m_client_options_from_env(options: *mut m2m_client_options) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle.
        unsafe { ref_arg(options, "options") }?.load_env();
        Ok(())
    })
}
