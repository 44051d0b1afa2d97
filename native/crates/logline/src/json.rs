//! LogLine values and spans as JSON (`@ref` as `{"$ref": "name"}`).

use crate::{Span, Value};
use serde_json::{Map, Number, Value as Json};

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
