//! An error's fields by their surface names ([`Error::field`],
//! `surface::ERROR_FIELDS`): what every binding builds its error objects
//! from, so that each language has the same fields.

use std::time::Duration;

use crate::error::{Error, ErrorDetail};

/// The value of one error field ([`Error::field`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue<'a> {
    /// A string field.
    Text(&'a str),
    /// A number field (`status`).
    Count(u64),
    /// A duration field (`retry_after`).
    Duration(Duration),
}

impl Error {
    /// The field called `name` (a name of [`crate::surface::ERROR_FIELDS`]),
    /// or `None` when this error has no such field. Bindings build their
    /// exceptions' attributes from this, so every language has the same ones.
    pub fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        use ErrorDetail as E;
        use FieldValue as F;
        let d = self.detail();
        Some(match (name, d) {
            ("code", _) => F::Text(self.code()),
            ("error", E::OAuth { error, .. }) => F::Text(error),
            (
                "error_description",
                E::OAuth {
                    error_description, ..
                },
            ) => F::Text(error_description.as_deref()?),
            ("error_uri", E::OAuth { error_uri, .. }) => F::Text(error_uri.as_deref()?),
            ("status", E::OAuth { status, .. } | E::Http { status, .. }) => {
                F::Count(*status as u64)
            }
            ("body", E::Http { body, .. }) => F::Text(body),
            ("kind", E::Transport { kind, .. }) => F::Text(kind.as_str()),
            ("reason", E::InvalidResponse { reason } | E::InvalidToken { reason, .. }) => {
                F::Text(reason)
            }
            ("required_scope", E::InsufficientScope { required_scope }) => F::Text(required_scope),
            ("retry_after", E::Throttled { retry_after }) => F::Duration(*retry_after),
            _ => return None,
        })
    }
}
