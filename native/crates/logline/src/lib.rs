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

use serde_json::{Map, Number, Value as Json};
use std::collections::BTreeMap;

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

struct Cursor<'a> {
    chars: Vec<char>,
    pos: usize,
    _src: &'a str,
}

type PResult<T> = Result<T, (usize, String)>;

impl<'a> Cursor<'a> {
    fn new(src: &'a str) -> Self {
        Self {
            chars: src.chars().collect(),
            pos: 0,
            _src: src,
        }
    }
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek();
        self.pos += 1;
        c
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ') | Some('\t')) {
            self.pos += 1;
        }
    }
    fn err<T>(&self, msg: impl Into<String>) -> PResult<T> {
        Err((self.pos.min(self.chars.len()) + 1, msg.into()))
    }
    fn at_end_or_comment(&mut self) -> bool {
        self.skip_ws();
        matches!(self.peek(), None | Some('#'))
    }
    fn ident(&mut self) -> PResult<String> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                self.pos += 1;
            } else {
                break;
            }
        }
        let s: String = self.chars[start..self.pos].iter().collect();
        if !is_ident(&s) {
            self.pos = start;
            return self.err("expected an identifier");
        }
        Ok(s)
    }
    fn string(&mut self) -> PResult<String> {
        if self.bump() != Some('"') {
            return self.err("expected '\"'");
        }
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return self.err("unterminated string"),
                Some('"') => return Ok(out),
                Some('\\') => match self.bump() {
                    Some('"') => out.push('"'),
                    Some('\\') => out.push('\\'),
                    Some('/') => out.push('/'),
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some('t') => out.push('\t'),
                    Some('b') => out.push('\u{8}'),
                    Some('f') => out.push('\u{c}'),
                    Some('u') => {
                        let hi = self.hex4()?;
                        let code = if (0xD800..0xDC00).contains(&hi) {
                            if self.bump() != Some('\\') || self.bump() != Some('u') {
                                return self.err("unpaired surrogate in \\u escape");
                            }
                            let lo = self.hex4()?;
                            if !(0xDC00..0xE000).contains(&lo) {
                                return self.err("invalid low surrogate in \\u escape");
                            }
                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                        } else {
                            hi
                        };
                        match char::from_u32(code) {
                            Some(c) => out.push(c),
                            None => return self.err("invalid \\u escape"),
                        }
                    }
                    _ => return self.err("invalid escape sequence"),
                },
                Some(c) => out.push(c),
            }
        }
    }
    fn hex4(&mut self) -> PResult<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            match self.bump().and_then(|c| c.to_digit(16)) {
                Some(d) => v = v * 16 + d,
                None => return self.err("expected four hex digits"),
            }
        }
        Ok(v)
    }
    fn number(&mut self) -> PResult<Value> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        let digits = |c: &mut Self| {
            let s = c.pos;
            while matches!(c.peek(), Some('0'..='9')) {
                c.pos += 1;
            }
            c.pos - s
        };
        if digits(self) == 0 {
            return self.err("expected a digit");
        }
        let mut is_float = false;
        if self.peek() == Some('.') {
            is_float = true;
            self.pos += 1;
            if digits(self) == 0 {
                return self.err("expected a digit after '.'");
            }
        }
        if matches!(self.peek(), Some('e') | Some('E')) {
            is_float = true;
            self.pos += 1;
            if matches!(self.peek(), Some('+') | Some('-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return self.err("expected a digit in exponent");
            }
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        if is_float {
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Value::Float(f)),
                _ => {
                    self.pos = start;
                    self.err("number out of range")
                }
            }
        } else {
            match text.parse::<i64>() {
                Ok(i) => Ok(Value::Int(i)),
                Err(_) => {
                    self.pos = start;
                    self.err("integer out of range")
                }
            }
        }
    }
    fn word(&mut self) -> String {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || "_.:/-".contains(c)) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }
    fn value(&mut self, depth: usize) -> PResult<Value> {
        if depth > MAX_DEPTH {
            return self.err("nesting too deep");
        }
        self.skip_ws();
        match self.peek() {
            None => self.err("expected a value"),
            Some('"') => Ok(Value::Str(self.string()?)),
            Some('@') => {
                self.pos += 1;
                let name = self.word();
                if !is_ref_name(&name) {
                    return self.err("expected a reference name after '@'");
                }
                Ok(Value::Ref(name))
            }
            Some('[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == Some(']') {
                    self.pos += 1;
                    return Ok(Value::List(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.skip_ws();
                    match self.bump() {
                        Some(',') => continue,
                        Some(']') => return Ok(Value::List(items)),
                        _ => {
                            self.pos = self.pos.saturating_sub(1);
                            return self.err("expected ',' or ']'");
                        }
                    }
                }
            }
            Some('{') => {
                self.pos += 1;
                let mut map = BTreeMap::new();
                self.skip_ws();
                if self.peek() == Some('}') {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                loop {
                    self.skip_ws();
                    let key_pos = self.pos;
                    let key = if self.peek() == Some('"') {
                        self.string()?
                    } else {
                        self.ident()?
                    };
                    self.skip_ws();
                    if self.bump() != Some(':') {
                        self.pos = self.pos.saturating_sub(1);
                        return self.err("expected ':' after object key");
                    }
                    let v = self.value(depth + 1)?;
                    if map.insert(key.clone(), v).is_some() {
                        return Err((key_pos + 1, format!("duplicate object key {key:?}")));
                    }
                    self.skip_ws();
                    match self.bump() {
                        Some(',') => continue,
                        Some('}') => return Ok(Value::Object(map)),
                        _ => {
                            self.pos = self.pos.saturating_sub(1);
                            return self.err("expected ',' or '}'");
                        }
                    }
                }
            }
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(_) => {
                let start = self.pos;
                let w = self.word();
                match w.as_str() {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    "null" => Ok(Value::Null),
                    _ => {
                        self.pos = start;
                        self.err("expected a value (string, number, boolean, null, @ref, [list] or {object})")
                    }
                }
            }
        }
    }
}

/// Parses LogLine text. Never panics; errors carry 1-based line and column.
pub fn parse(text: &str) -> ParseOutput {
    let mut out = ParseOutput::default();
    let mut current: Option<(Span, bool, usize)> = None; // span, has_error, header line
    for (idx, raw) in text.split('\n').enumerate() {
        let line_no = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let mut cur = Cursor::new(line);
        if cur.at_end_or_comment() {
            continue;
        }
        let lead = cur.pos;
        if cur.chars[lead..].iter().collect::<String>().trim_end() == "END" {
            match current.take() {
                Some((span, false, _)) => out.spans.push(span),
                Some((_, true, _)) => {}
                None => out.errors.push(ParseError {
                    line: line_no,
                    column: lead + 1,
                    message: "END without an open span".into(),
                }),
            }
            continue;
        }
        let res: PResult<()> = (|| {
            let key = cur.ident()?;
            cur.skip_ws();
            if cur.bump() != Some(':') {
                cur.pos = cur.pos.saturating_sub(1);
                return cur.err("expected ':'");
            }
            cur.skip_ws();
            match current.as_mut() {
                None => {
                    let name = if cur.peek() == Some('"') {
                        cur.string()?
                    } else {
                        let start = cur.pos;
                        while matches!(cur.peek(), Some(c) if c.is_ascii_alphanumeric() || "_.:/@-".contains(c))
                        {
                            cur.pos += 1;
                        }
                        if cur.pos == start {
                            return cur.err("expected a span name");
                        }
                        cur.chars[start..cur.pos].iter().collect()
                    };
                    if !cur.at_end_or_comment() {
                        return cur.err("unexpected characters after span name");
                    }
                    current = Some((Span::new(key, name), false, line_no));
                }
                Some((span, _, _)) => {
                    if span.get(&key).is_some() {
                        return Err((lead + 1, format!("duplicate property {key:?}")));
                    }
                    let v = cur.value(0)?;
                    if !cur.at_end_or_comment() {
                        return cur.err("unexpected characters after value");
                    }
                    span.properties.push((key, v));
                }
            }
            Ok(())
        })();
        if let Err((column, message)) = res {
            out.errors.push(ParseError {
                line: line_no,
                column,
                message,
            });
            if let Some(c) = current.as_mut() {
                c.1 = true;
            }
        }
    }
    if let Some((span, _, header)) = current {
        out.errors.push(ParseError {
            line: header,
            column: 1,
            message: format!("span {}: {} is not closed by END", span.kind, span.name),
        });
    }
    out
}

/// Converts a LogLine value to JSON (`@ref` becomes `{"$ref": "name"}`).
pub fn value_to_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Number((*i).into()),
        Value::Float(f) => Number::from_f64(*f).map(Json::Number).unwrap_or(Json::Null),
        Value::Str(s) => Json::String(s.clone()),
        Value::Ref(r) => {
            let mut m = Map::new();
            m.insert("$ref".into(), Json::String(r.clone()));
            Json::Object(m)
        }
        Value::List(items) => Json::Array(items.iter().map(value_to_json).collect()),
        Value::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), value_to_json(v)))
                .collect(),
        ),
    }
}

/// Converts JSON to a LogLine value (`{"$ref": "name"}` becomes `@name`).
pub fn value_from_json(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(items) => Value::List(items.iter().map(value_from_json).collect()),
        Json::Object(map) => {
            if map.len() == 1 {
                if let Some(Json::String(r)) = map.get("$ref") {
                    return Value::Ref(r.clone());
                }
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), value_from_json(v)))
                    .collect(),
            )
        }
    }
}

/// Converts a span to JSON `{type, name, properties: {...}}` (property order kept).
pub fn span_to_json(span: &Span) -> Json {
    let mut props = Map::new();
    for (k, v) in &span.properties {
        props.insert(k.clone(), value_to_json(v));
    }
    let mut m = Map::new();
    m.insert("type".into(), Json::String(span.kind.clone()));
    m.insert("name".into(), Json::String(span.name.clone()));
    m.insert("properties".into(), Json::Object(props));
    Json::Object(m)
}

/// Converts JSON `{type, name, properties}` to a span.
pub fn span_from_json(j: &Json) -> Result<Span, String> {
    let obj = j.as_object().ok_or("a span must be an object")?;
    let kind = obj
        .get("type")
        .and_then(Json::as_str)
        .ok_or("span.type must be a string")?;
    let name = obj
        .get("name")
        .and_then(Json::as_str)
        .ok_or("span.name must be a string")?;
    let mut span = Span::new(kind, name);
    match obj.get("properties") {
        None | Some(Json::Null) => {}
        Some(Json::Object(props)) => {
            for (k, v) in props {
                span.properties.push((k.clone(), value_from_json(v)));
            }
        }
        Some(_) => return Err("span.properties must be an object".into()),
    }
    Ok(span)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_span_with_every_value_kind_parses() {
        let text = r#"# header comment
INTENT: bug_fix
  target: "src/auth.ts" # trailing comment
  count: 3
  ratio: -0.5e-3
  ok: true
  none: null
  plan: @plan-1
  tags: ["a", 1, [false]]
  meta: {b: 2, "a key": "x\n\"y\""}
END
"#;
        let out = parse(text);
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let span = &out.spans[0];
        assert_eq!(span.kind, "INTENT");
        assert_eq!(span.name, "bug_fix");
        assert_eq!(span.get("target"), Some(&Value::Str("src/auth.ts".into())));
        assert_eq!(span.get("count"), Some(&Value::Int(3)));
        assert_eq!(span.get("ratio"), Some(&Value::Float(-0.0005)));
        assert_eq!(span.get("plan"), Some(&Value::Ref("plan-1".into())));
        let Some(Value::Object(meta)) = span.get("meta") else {
            panic!("meta")
        };
        assert_eq!(meta.get("a key"), Some(&Value::Str("x\n\"y\"".into())));
    }

    #[test]
    fn errors_report_line_and_column() {
        let out = parse("TASK: t\n  a: 1\n  b: [1, 2\nEND\n");
        assert!(out.spans.is_empty());
        assert_eq!(out.errors.len(), 1);
        assert_eq!(out.errors[0].line, 3);
        assert_eq!(out.errors[0].column, 11);
        assert!(out.errors[0].message.contains("']'"));
    }

    #[test]
    fn an_unclosed_span_is_an_error() {
        let out = parse("TASK: t\n  a: 1\n");
        assert!(out.spans.is_empty());
        assert!(out.errors[0].message.contains("not closed"));
    }

    #[test]
    fn duplicate_properties_and_stray_end_are_errors() {
        let out = parse("END\nT: x\n a: 1\n a: 2\nEND");
        assert_eq!(out.errors.len(), 2);
        assert_eq!((out.errors[0].line, out.errors[1].line), (1, 4));
    }

    #[test]
    fn serializer_output_is_canonical() {
        let span = Span::new("INTENT", "x y")
            .with(
                "b",
                Value::Object(BTreeMap::from([
                    ("z".into(), Value::Int(1)),
                    ("a b".into(), Value::Null),
                ])),
            )
            .with("f", Value::Float(1.0));
        let text = serialize(&[span]).unwrap();
        assert_eq!(
            text,
            "INTENT: \"x y\"\n  b: {\"a b\": null, z: 1}\n  f: 1.0\nEND\n"
        );
    }

    #[test]
    fn non_finite_floats_cannot_be_serialized() {
        let span = Span::new("T", "n").with("x", Value::Float(f64::NAN));
        assert!(serialize(&[span]).is_err());
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::Float),
            any::<String>().prop_map(Value::Str),
            "[a-zA-Z0-9_.:/-]{1,12}".prop_map(Value::Ref),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::List),
                prop::collection::btree_map(any::<String>(), inner, 0..5).prop_map(Value::Object),
            ]
        })
    }

    fn arb_span() -> impl Strategy<Value = Span> {
        (
            "[A-Za-z_][A-Za-z0-9_.-]{0,10}",
            any::<String>(),
            prop::collection::btree_map("[A-Za-z_][A-Za-z0-9_.-]{0,10}", arb_value(), 0..6),
        )
            .prop_map(|(kind, name, props)| Span {
                kind,
                name,
                properties: props.into_iter().collect(),
            })
    }

    proptest! {
        #[test]
        fn parse_of_serialize_is_identity(spans in prop::collection::vec(arb_span(), 0..4)) {
            let text = serialize(&spans).unwrap();
            let out = parse(&text);
            prop_assert!(out.errors.is_empty(), "{:?}\n{}", out.errors, text);
            prop_assert_eq!(out.spans, spans);
        }

        #[test]
        fn arbitrary_strings_never_panic(s in any::<String>()) {
            let _ = parse(&s);
        }

        #[test]
        fn logline_shaped_noise_never_panics(s in "[A-Z:a-z \"\\\\@#\\[\\]{},0-9.eE+\\-\n]{0,200}") {
            let out = parse(&s);
            for e in out.errors {
                prop_assert!(e.line >= 1 && e.column >= 1);
            }
        }

        #[test]
        fn json_conversion_round_trips_spans(span in arb_span()) {
            let back = span_from_json(&span_to_json(&span)).unwrap();
            prop_assert_eq!(back.kind, span.kind);
            prop_assert_eq!(back.properties.len(), span.properties.len());
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("T: x\n a: {}\nEND", "[".repeat(100_000));
        let out = parse(&text);
        assert!(out.errors[0].message.contains("too deep"));
    }
}
