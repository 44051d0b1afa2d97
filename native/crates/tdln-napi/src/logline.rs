//! LogLine: parsing and canonical serialisation of spans. Spans carry their properties as JSON
//! and errors carry 1-based positions, so these shapes belong to the binding.

use crate::{guard, EngineError};
use napi_derive::napi;
use serde_json::Value;

/// A LogLine span: `TYPE: name`, properties, `END`. `@ref` values appear as `{ $ref: "name" }`.
#[napi(object)]
pub struct LogLineSpan {
    /// Span type (e.g. `INTENT`).
    #[napi(js_name = "type")]
    pub kind: String,
    /// Span name.
    pub name: String,
    /// Properties in source order.
    #[napi(ts_type = "Record<string, unknown>")]
    pub properties: Value,
}

/// A LogLine parse error with 1-based line and column.
#[napi(object)]
pub struct LogLineError {
    /// 1-based line.
    pub line: u32,
    /// 1-based column (characters).
    pub column: u32,
    /// What went wrong.
    pub message: String,
}

/// Result of `logLineParse`.
#[napi(object)]
pub struct LogLineParseResult {
    /// Spans that parsed cleanly.
    pub spans: Vec<LogLineSpan>,
    /// Errors (a span with an error is left out of `spans`).
    pub errors: Vec<LogLineError>,
}

/// Parses LogLine text.
#[napi]
pub fn log_line_parse(text: String) -> LogLineParseResult {
    guard(
        || {
            let out = logline::parse(&text);
            LogLineParseResult {
                spans: out
                    .spans
                    .iter()
                    .map(|s| LogLineSpan {
                        kind: s.kind.clone(),
                        name: s.name.clone(),
                        properties: logline::span_to_json(s)
                            .get("properties")
                            .cloned()
                            .unwrap_or(Value::Null),
                    })
                    .collect(),
                errors: out
                    .errors
                    .into_iter()
                    .map(|e| LogLineError {
                        line: e.line as u32,
                        column: e.column as u32,
                        message: e.message,
                    })
                    .collect(),
            }
        },
        |e| LogLineParseResult {
            spans: Vec::new(),
            errors: vec![LogLineError {
                line: 0,
                column: 0,
                message: e.message,
            }],
        },
    )
}

/// Result of `logLineSerialize`.
#[napi(object)]
pub struct LogLineSerializeResult {
    /// Canonical LogLine text (empty when there are errors).
    pub text: String,
    /// Errors (invalid names, non-finite numbers).
    pub errors: Vec<EngineError>,
}

/// Serialises spans to canonical LogLine text.
#[napi]
pub fn log_line_serialize(spans: Vec<LogLineSpan>) -> LogLineSerializeResult {
    guard(
        || {
            let mut parsed = Vec::new();
            for (i, s) in spans.iter().enumerate() {
                let j =
                    serde_json::json!({"type": s.kind, "name": s.name, "properties": s.properties});
                match logline::span_from_json(&j) {
                    Ok(span) => parsed.push(span),
                    Err(m) => {
                        return LogLineSerializeResult {
                            text: String::new(),
                            errors: vec![EngineError {
                                code: "invalid_span".into(),
                                message: m,
                                path: Some(format!("spans[{i}]")),
                            }],
                        }
                    }
                }
            }
            match logline::serialize(&parsed) {
                Ok(text) => LogLineSerializeResult {
                    text,
                    errors: Vec::new(),
                },
                Err(e) => LogLineSerializeResult {
                    text: String::new(),
                    errors: vec![EngineError {
                        code: "serialize".into(),
                        message: e.message,
                        path: None,
                    }],
                },
            }
        },
        |e| LogLineSerializeResult {
            text: String::new(),
            errors: vec![e],
        },
    )
}
