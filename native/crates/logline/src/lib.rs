#![deny(clippy::all)]
//! LogLine: a small line-oriented span dialect.
//!
//! ```text
//! # a comment
//! INTENT: bug_fix
//!   targets: ["src/auth.ts"]
//!   confidence: 0.92
//!   plan: @plan-1
//! END
//! ```
//!
//! Values are strings (JSON-style escapes), integers, floats, booleans, `null`, `@refs`,
//! `[lists]` and `{objects}`. [`serialize`] is canonical and `parse(serialize(x)) == x`.

use std::collections::BTreeMap;

mod json;
mod parse;
mod serialize;

pub use json::{span_from_json, span_to_json, value_from_json, value_to_json};
pub use parse::parse;
pub use serialize::{serialize, serialize_value};

/// Maximum nesting depth of lists and objects, so hostile input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 64;

/// A LogLine value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer without fraction or exponent.
    Int(i64),
    /// A finite float (always written with a `.` or an exponent).
    Float(f64),
    /// A double-quoted string.
    Str(String),
    /// A reference `@name` to another span.
    Ref(String),
    /// `[a, b]`
    List(Vec<Value>),
    /// `{key: value}` with keys kept sorted (canonical order).
    Object(BTreeMap<String, Value>),
}

/// One span: `TYPE: name`, properties, `END`.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The span type (identifier before the colon on the header line).
    pub kind: String,
    /// The span name.
    pub name: String,
    /// Properties in source order; keys are unique.
    pub properties: Vec<(String, Value)>,
}

impl Span {
    /// Creates an empty span.
    pub fn new(kind: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            name: name.into(),
            properties: Vec::new(),
        }
    }

    /// Appends a property (builder style).
    pub fn with(mut self, key: impl Into<String>, value: Value) -> Self {
        self.properties.push((key.into(), value));
        self
    }

    /// Looks a property up by key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

/// A parse error with 1-based line and column (in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column number (characters).
    pub column: usize,
    /// What went wrong.
    pub message: String,
}

/// Result of parsing: the spans that parsed cleanly and every error found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParseOutput {
    /// Complete, error-free spans.
    pub spans: Vec<Span>,
    /// Errors; a span containing an error is not returned.
    pub errors: Vec<ParseError>,
}

/// A serialisation error (non-finite float, invalid identifier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerializeError {
    /// What could not be written.
    pub message: String,
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

fn is_bare_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('"')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.:/@-".contains(c))
}

fn is_ref_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.:/-".contains(c))
}

#[cfg(test)]
mod tests;
