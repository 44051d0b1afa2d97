#![deny(clippy::all)]
//! Shared primitives: RFC 8785 canonical JSON, SHA-256 helpers and the error record used as data.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// An error returned as data (never a panic), with an optional location.
#[cfg_attr(feature = "napi", napi_derive::napi(object))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineError {
    /// Stable machine-readable code, e.g. `invalid_json`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// Optional path (data path, file path or config key) the error refers to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl EngineError {
    /// Builds an error with a code and message.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_string(),
            message: message.into(),
            path: None,
        }
    }

    /// Builds an error that refers to a path.
    pub fn at(code: &str, message: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            code: code.to_string(),
            message: message.into(),
            path: Some(path.into()),
        }
    }
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}: {} ({})", self.code, self.message, p),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

/// Lowercase hex SHA-256 of bytes.
pub fn sha256_hex(data: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(data.as_ref()))
}

/// Raw SHA-256 of bytes.
pub fn sha256(data: impl AsRef<[u8]>) -> [u8; 32] {
    Sha256::digest(data.as_ref()).into()
}

/// Formats a finite double the way ECMAScript `Number.prototype.toString` does (RFC 8785 §3.2.2.3).
pub fn format_number(n: f64) -> Result<String, EngineError> {
    if !n.is_finite() {
        return Err(EngineError::new(
            "invalid_number",
            "NaN and Infinity are not valid JSON numbers",
        ));
    }
    if n == 0.0 {
        return Ok("0".to_string());
    }
    let mut buf = ryu_js::Buffer::new();
    Ok(buf.format_finite(n).to_string())
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_value(out: &mut String, v: &Value) -> Result<(), EngineError> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let f = n.as_f64().ok_or_else(|| {
                EngineError::new("invalid_number", format!("unrepresentable number {n}"))
            })?;
            out.push_str(&format_number(f)?);
        }
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // RFC 8785 §3.2.3: sort by UTF-16 code units.
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (k, val)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, val)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Serialises a JSON value in RFC 8785 (JCS) canonical form.
pub fn canonicalize_value(v: &Value) -> Result<String, EngineError> {
    let mut out = String::new();
    write_value(&mut out, v)?;
    Ok(out)
}

/// Parses JSON text and returns its RFC 8785 canonical form.
pub fn canonical_json(text: &str) -> Result<String, EngineError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| EngineError::new("invalid_json", format!("invalid JSON: {e}")))?;
    canonicalize_value(&v)
}

/// SHA-256 hex of the canonical JSON form of a value.
pub fn content_hash(v: &Value) -> Result<String, EngineError> {
    Ok(sha256_hex(canonicalize_value(v)?))
}

/// Converts any serialisable value into its content hash (SHA-256 of canonical JSON).
pub fn hash_of<T: Serialize>(v: &T) -> Result<String, EngineError> {
    let value =
        serde_json::to_value(v).map_err(|e| EngineError::new("serialize", e.to_string()))?;
    content_hash(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(hex_bits: &str) -> String {
        format_number(f64::from_bits(u64::from_str_radix(hex_bits, 16).unwrap())).unwrap()
    }

    #[test]
    fn numbers_follow_the_rfc_8785_serialization_samples() {
        let samples = [
            ("0000000000000000", "0"),
            ("8000000000000000", "0"),
            ("0000000000000001", "5e-324"),
            ("8000000000000001", "-5e-324"),
            ("7fefffffffffffff", "1.7976931348623157e+308"),
            ("ffefffffffffffff", "-1.7976931348623157e+308"),
            ("4340000000000000", "9007199254740992"),
            ("c340000000000000", "-9007199254740992"),
            ("4430000000000000", "295147905179352830000"),
            ("44b52d02c7e14af5", "9.999999999999997e+22"),
            ("44b52d02c7e14af6", "1e+23"),
            ("44b52d02c7e14af7", "1.0000000000000001e+23"),
            ("444b1ae4d6e2ef4e", "999999999999999700000"),
            ("444b1ae4d6e2ef4f", "999999999999999900000"),
            ("444b1ae4d6e2ef50", "1e+21"),
            ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
            ("3eb0c6f7a0b5ed8d", "0.000001"),
            ("41b3de4355555553", "333333333.3333332"),
            ("41b3de4355555554", "333333333.33333325"),
            ("41b3de4355555555", "333333333.3333333"),
            ("41b3de4355555556", "333333333.3333334"),
            ("41b3de4355555557", "333333333.33333343"),
            ("becbf647612f3696", "-0.0000033333333333333333"),
            ("43143ff3c1cb0959", "1424953923781206.2"),
        ];
        for (bits, expected) in samples {
            assert_eq!(num(bits), expected, "bits {bits}");
        }
    }

    #[test]
    fn nan_and_infinity_are_rejected() {
        assert!(format_number(f64::NAN).is_err());
        assert!(format_number(f64::INFINITY).is_err());
    }

    #[test]
    fn the_rfc_8785_main_example_is_canonicalised_exactly() {
        let input = r#"{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"#;
        let expected = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        assert_eq!(canonical_json(input).unwrap(), expected);
    }

    #[test]
    fn object_keys_sort_by_utf16_code_units_as_in_the_rfc_example() {
        let input = r#"{
   "\u20ac": "Euro Sign",
   "\r": "Carriage Return",
   "\ufb33": "Hebrew Letter Dalet With Dagesh",
   "1": "One",
   "\ud83d\ude00": "Emoji: Grinning Face",
   "\u0080": "Control",
   "\u00f6": "Latin Small Letter O With Diaeresis"
}"#;
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
        assert_eq!(canonical_json(input).unwrap(), expected);
    }

    #[test]
    fn invalid_json_is_an_error_not_a_panic() {
        let err = canonical_json("{\"a\":").unwrap_err();
        assert_eq!(err.code, "invalid_json");
    }

    #[test]
    fn sha256_hex_matches_the_known_digest_of_abc() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    proptest::proptest! {
        #[test]
        fn canonical_form_is_a_fixed_point(v in proptest::collection::btree_map("[a-z\\u{80}-\\u{10ffff}]{0,4}", -1.0e12f64..1.0e12, 0..6)) {
            let value = serde_json::to_value(&v).unwrap();
            let once = canonicalize_value(&value).unwrap();
            let twice = canonical_json(&once).unwrap();
            proptest::prop_assert_eq!(once, twice);
        }
    }
}
