//! The LogLine parser: spans, properties and values, with 1-based error positions.

use crate::{is_ident, is_ref_name, ParseError, ParseOutput, Span, Value, MAX_DEPTH};
use std::collections::BTreeMap;

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
