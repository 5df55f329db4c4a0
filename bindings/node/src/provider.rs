//! `clientAssertionProvider`: a JS function (sync or returning a Promise) as
//! the engine's [`AssertionProvider`], called on the JS thread of the
//! environment that built the client through a napi threadsafe function,
//! weak (it never keeps the event loop alive, like the logger's).
//!
//! `node/lib/provider.js` wraps the user's function first, so that what
//! reaches here never throws and always returns a Promise of
//! `{ assertion }` or `{ causeId, name }`: the thrown value stays on the JS
//! side under that id (it is not `Send`), the engine's error carries the id
//! as its `source()`, and `node/lib/errors.js` sets it as the `cause` of
//! the `ConfigError` the caller gets.

use std::fmt;
use std::sync::Arc;

use m2m_auth::{AssertionProvider, AssertionRequest, ProviderError, Secret};
use napi::bindgen_prelude::*;
use napi::sys;
use napi::threadsafe_function::ThreadsafeFunction;

use crate::errors::config_error;
use crate::js::JsVal;

/// The request, as `{ clientId, audience, tokenEndpoint }`.
pub struct Request(AssertionRequest);

impl ToNapiValue for Request {
    unsafe fn to_napi_value(raw_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(raw_env);
        let mut obj = Object::new(&env)?;
        obj.set("clientId", val.0.client_id)?;
        obj.set("audience", val.0.audience)?;
        obj.set("tokenEndpoint", val.0.token_endpoint)?;
        // SAFETY: the object was created in this environment.
        unsafe { Object::to_napi_value(raw_env, obj) }
    }
}

/// What the wrapped provider resolved with.
pub struct Outcome {
    assertion: Option<String>,
    cause_id: Option<u32>,
    name: Option<String>,
}

impl FromNapiValue for Outcome {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        // SAFETY: a value of this call's environment.
        let obj = unsafe { Object::from_napi_value(env, value)? };
        Ok(Outcome {
            assertion: obj.get::<String>("assertion")?,
            cause_id: obj.get::<u32>("causeId")?,
            name: obj.get::<String>("name")?,
        })
    }
}

/// The id under which `node/lib/provider.js` keeps what the provider threw:
/// the engine error's `source()`.
#[derive(Debug)]
pub(crate) struct JsCause(pub(crate) u32);

impl fmt::Display for JsCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the provider's error #{}", self.0)
    }
}

impl std::error::Error for JsCause {}

type Call = ThreadsafeFunction<Request, Promise<Outcome>, Request, Status, false, true>;

/// The engine's provider for the (wrapped) JS function `v`.
pub(crate) fn provider(v: JsVal, js: &str) -> Result<AssertionProvider> {
    if v.type_of()? != sys::ValueType::napi_function {
        return Err(config_error(format!(
            "option {js} must be a function returning a string or a Promise of one"
        )));
    }
    // SAFETY: a function value of the current call's environment.
    let f = unsafe { Function::<Request, Promise<Outcome>>::from_napi_value(v.env, v.raw)? };
    let call: Arc<Call> = Arc::new(
        f.build_threadsafe_function::<Request>()
            .weak::<true>()
            .callee_handled::<false>()
            .build()?,
    );
    Ok(AssertionProvider::from_fn(move |request| {
        let call = call.clone();
        Box::pin(async move {
            let unavailable = |_| ProviderError::invalid("the JS environment is gone");
            let promise = call
                .call_async_catch(Request(request))
                .await
                .map_err(unavailable)?;
            let outcome = promise.await.map_err(unavailable)?;
            match (outcome.assertion, outcome.cause_id) {
                (Some(a), _) => Ok(Secret::new(a)),
                (None, id) => Err(ProviderError::new(
                    outcome.name.unwrap_or_else(|| "Error".into()),
                    id.map(|id| Arc::new(JsCause(id)) as Arc<dyn std::error::Error + Send + Sync>),
                )),
            }
        })
    }))
}
