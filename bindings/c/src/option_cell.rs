//! What `m2m_client_options` and `m2m_verifier_options` share: an engine
//! builder and the C values given so far, behind one lock, set by the
//! surface's option names (one conversion path, `Entries::convert`, for
//! both).

use std::sync::{Mutex, MutexGuard};

use m2m_core::surface::Item;
use m2m_core::{OptionValue, TokenClientBuilder, VerifierBuilder};

use crate::result::Failure;
use crate::value::{CValue, Entries};

/// An engine builder that takes options by name.
pub(crate) trait SetByName: Default {
    /// Sets option `name` to `value` (the engine checks it).
    fn set_by_name(&mut self, name: &str, value: OptionValue) -> m2m_core::Result<()>;
}

impl SetByName for TokenClientBuilder {
    fn set_by_name(&mut self, name: &str, value: OptionValue) -> m2m_core::Result<()> {
        self.set(name, value)
    }
}

impl SetByName for VerifierBuilder {
    fn set_by_name(&mut self, name: &str, value: OptionValue) -> m2m_core::Result<()> {
        self.set(name, value)
    }
}

/// A builder and the C values its options were given. Thread-safe.
#[derive(Default)]
pub(crate) struct OptionCell<B> {
    inner: Mutex<Options<B>>,
}

/// The locked content of an [`OptionCell`].
#[derive(Default)]
pub(crate) struct Options<B> {
    /// The engine builder the options go to.
    pub(crate) builder: B,
    entries: Entries,
}

impl<B: SetByName> OptionCell<B> {
    /// The options, locked (a poisoned lock is taken over: the values stay
    /// consistent, each set is one assignment).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Options<B>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets the option `item` to `value`.
    ///
    /// # Safety
    /// As [`Entries::convert`].
    pub(crate) unsafe fn apply(&self, item: &'static Item, value: CValue) -> Result<(), Failure> {
        let mut o = self.lock();
        // SAFETY: per this function's contract.
        let v = unsafe { o.entries.convert(item, value) }?;
        o.builder.set_by_name(item.name, v)?;
        Ok(())
    }
}
