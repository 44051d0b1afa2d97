#![deny(clippy::all)]
//! Node binding for the TDLN engine. The JS types of the engine's results are the engine's own
//! types (derived with the engine crates' `napi` feature); this crate holds the exported functions,
//! the few input shapes that are looser in JS than in the engine, and the error mapping: every
//! function catches panics and returns them as `errors` (or throws for plain-string results).

use napi::bindgen_prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

pub use tdln_core::EngineError;

pub mod engine;
pub mod intent;
pub mod logline;
pub mod out;
pub mod policy;
pub mod quality;
pub mod truthpack;

/// An error value with a code, a message and an optional path.
pub(crate) fn error(code: &str, message: impl Into<String>, path: Option<String>) -> EngineError {
    EngineError {
        code: code.into(),
        message: message.into(),
        path,
    }
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

fn panic_error(p: Box<dyn std::any::Any + Send>) -> EngineError {
    error(
        "panic",
        format!("engine panicked: {}", panic_message(p)),
        None,
    )
}

/// Runs `f`, turning a panic into `on_panic(error)`.
pub(crate) fn guard<T>(f: impl FnOnce() -> T, on_panic: impl FnOnce(EngineError) -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(p) => on_panic(panic_error(p)),
    }
}

/// Runs `f`, turning a panic into a thrown JS error (for functions with plain results).
pub(crate) fn guard_throw<T>(f: impl FnOnce() -> T) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|p| Error::new(Status::GenericFailure, panic_error(p).message))
}

/// Parses a JSON array of provenance items.
pub(crate) fn parse_items(
    items_json: &str,
) -> std::result::Result<Vec<serde_json::Value>, EngineError> {
    match serde_json::from_str::<serde_json::Value>(items_json) {
        Ok(serde_json::Value::Array(a)) => Ok(a),
        Ok(_) => Err(error("invalid_items", "items must be a JSON array", None)),
        Err(e) => Err(error("invalid_json", e.to_string(), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_an_engine_call_becomes_an_error_value() {
        let r = guard(|| -> Vec<EngineError> { panic!("boom") }, |e| vec![e]);
        assert_eq!(r[0].code, "panic");
        assert!(r[0].message.contains("boom"));
    }
}
