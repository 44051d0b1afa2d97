//! Canonical LogLine text: one key per line in key order, values written so they parse back equal.

use crate::{is_bare_name, is_ident, is_ref_name, SerializeError, Span, Value};

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_key(out: &mut String, k: &str) {
    if is_ident(k) {
        out.push_str(k);
    } else {
        write_str(out, k);
    }
}

fn write_value(out: &mut String, v: &Value) -> Result<(), SerializeError> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(SerializeError {
                    message: format!("non-finite float {f}"),
                });
            }
            // Debug is the shortest round-trip form and always has '.' or 'e'.
            out.push_str(&format!("{f:?}"));
        }
        Value::Str(s) => write_str(out, s),
        Value::Ref(r) => {
            if !is_ref_name(r) {
                return Err(SerializeError {
                    message: format!("invalid reference name {r:?}"),
                });
            }
            out.push('@');
            out.push_str(r);
        }
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_key(out, k);
                out.push_str(": ");
                write_value(out, item)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Serialises one value in canonical form.
pub fn serialize_value(v: &Value) -> Result<String, SerializeError> {
    let mut out = String::new();
    write_value(&mut out, v)?;
    Ok(out)
}

/// Serialises spans in canonical form (two-space indented properties, blank line between spans).
pub fn serialize(spans: &[Span]) -> Result<String, SerializeError> {
    let mut out = String::new();
    for (i, span) in spans.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if !is_ident(&span.kind) {
            return Err(SerializeError {
                message: format!("invalid span type {:?}", span.kind),
            });
        }
        out.push_str(&span.kind);
        out.push_str(": ");
        if is_bare_name(&span.name) {
            out.push_str(&span.name);
        } else {
            write_str(&mut out, &span.name);
        }
        out.push('\n');
        let mut seen = std::collections::HashSet::new();
        for (k, v) in &span.properties {
            if !is_ident(k) {
                return Err(SerializeError {
                    message: format!("invalid property key {k:?}"),
                });
            }
            if !seen.insert(k.as_str()) {
                return Err(SerializeError {
                    message: format!("duplicate property key {k:?}"),
                });
            }
            out.push_str("  ");
            out.push_str(k);
            out.push_str(": ");
            write_value(&mut out, v)?;
            out.push('\n');
        }
        out.push_str("END\n");
    }
    Ok(out)
}
