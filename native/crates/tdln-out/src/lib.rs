#![deny(clippy::all)]
//! tdln-out: renders structured JSON data to text with templates, citing the data paths used.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::LazyLock;
use tdln_core::{sha256_hex, EngineError};

/// The embedded template file.
pub const TEMPLATES_SOURCE: &str = include_str!("../../../templates/tdln-out.v1.toml");

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Var {
        path: String,
        optional: bool,
        helper: Option<String>,
    },
    If {
        path: String,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    Each {
        path: String,
        body: Vec<Node>,
    },
    /// Rendered between the items of the enclosing `{{#each}}`, never before the first.
    Sep(Vec<Node>),
}

#[derive(Deserialize)]
struct TemplateDef {
    description: String,
    text: String,
}

#[derive(Deserialize)]
struct TemplateFile {
    id: String,
    version: String,
    templates: BTreeMap<String, TemplateDef>,
}

/// A compiled template.
pub struct Template {
    /// Template id.
    pub id: String,
    /// What it is for.
    pub description: String,
    /// Source text.
    pub source: String,
    nodes: Vec<Node>,
}

/// The compiled template set.
pub struct TemplateSet {
    /// File id.
    pub id: String,
    /// File version.
    pub version: String,
    /// SHA-256 of the file.
    pub hash: String,
    /// Templates by id.
    pub templates: BTreeMap<String, Template>,
}

/// An open block while parsing: kind (`if`/`each`), path, enclosing nodes, `then` branch once `{{else}}` was seen.
type OpenBlock = (String, String, Vec<Node>, Option<Vec<Node>>);

fn parse_template(src: &str) -> Result<Vec<Node>, String> {
    let mut stack: Vec<OpenBlock> = Vec::new();
    let mut current: Vec<Node> = Vec::new();
    let mut rest = src;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            current.push(Node::Text(rest[..open].to_string()));
        }
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or("unclosed '{{'")?;
        let tag = after[..close].trim();
        rest = &after[close + 2..];
        if let Some(path) = tag.strip_prefix("#if ") {
            stack.push((
                "if".into(),
                path.trim().into(),
                std::mem::take(&mut current),
                None,
            ));
        } else if tag == "#sep" {
            if !stack.iter().any(|(kind, ..)| kind == "each") {
                return Err("{{#sep}} outside {{#each}}".into());
            }
            stack.push((
                "sep".into(),
                String::new(),
                std::mem::take(&mut current),
                None,
            ));
        } else if let Some(path) = tag.strip_prefix("#each ") {
            stack.push((
                "each".into(),
                path.trim().into(),
                std::mem::take(&mut current),
                None,
            ));
        } else if tag == "else" {
            let top = stack.last_mut().ok_or("{{else}} outside {{#if}}")?;
            if top.0 != "if" || top.3.is_some() {
                return Err("misplaced {{else}}".into());
            }
            top.3 = Some(std::mem::take(&mut current));
        } else if tag == "/if" || tag == "/each" || tag == "/sep" {
            let (kind, path, parent, then) = stack
                .pop()
                .ok_or_else(|| format!("{{{{{tag}}}}} without an opening block"))?;
            if tag[1..] != kind {
                return Err(format!("{{{{{tag}}}}} closes a {kind} block"));
            }
            let body = std::mem::replace(&mut current, parent);
            current.push(match (kind.as_str(), then) {
                ("if", Some(then)) => Node::If {
                    path,
                    then,
                    otherwise: body,
                },
                ("if", None) => Node::If {
                    path,
                    then: body,
                    otherwise: Vec::new(),
                },
                ("sep", _) => Node::Sep(body),
                _ => Node::Each { path, body },
            });
        } else if tag.is_empty() {
            return Err("empty tag".into());
        } else {
            let (helper, path) = match tag.split_once(' ') {
                Some((h @ ("pct" | "count"), p)) => (Some(h.to_string()), p.trim()),
                Some(_) => return Err(format!("unknown helper in {{{{{tag}}}}}")),
                None => (None, tag),
            };
            let (path, optional) = match path.strip_suffix('?') {
                Some(p) => (p, true),
                None => (path, false),
            };
            current.push(Node::Var {
                path: path.to_string(),
                optional,
                helper,
            });
        }
    }
    if !rest.is_empty() {
        current.push(Node::Text(rest.to_string()));
    }
    if let Some((kind, path, ..)) = stack.last() {
        let open = format!("{kind} {path}");
        return Err(format!("unclosed {{{{#{}}}}}", open.trim_end()));
    }
    Ok(current)
}

impl TemplateSet {
    /// Compiles a template file.
    pub fn compile(source: &str) -> Result<TemplateSet, EngineError> {
        let file: TemplateFile = toml::from_str(source)
            .map_err(|e| EngineError::new("templates", format!("template file: {e}")))?;
        let mut templates = BTreeMap::new();
        for (id, def) in file.templates {
            let nodes = parse_template(&def.text)
                .map_err(|e| EngineError::at("template_syntax", e, id.clone()))?;
            templates.insert(
                id.clone(),
                Template {
                    id,
                    description: def.description,
                    source: def.text,
                    nodes,
                },
            );
        }
        Ok(TemplateSet {
            id: file.id,
            version: file.version,
            hash: sha256_hex(source),
            templates,
        })
    }
}

static TEMPLATES: LazyLock<Result<TemplateSet, EngineError>> =
    LazyLock::new(|| TemplateSet::compile(TEMPLATES_SOURCE));

/// The embedded templates, compiled once.
pub fn templates() -> Result<&'static TemplateSet, EngineError> {
    TEMPLATES.as_ref().map_err(Clone::clone)
}

/// One value a rendered text cites: its data path and the text it rendered as.
#[cfg_attr(feature = "napi", napi_derive::napi(object, js_name = "CitedValue"))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Data path, e.g. `data.files[0].path`.
    pub path: String,
    /// The value as it appears in the text.
    pub value: String,
}

/// Rendering result.
#[cfg_attr(feature = "napi", napi_derive::napi(object, js_name = "RenderResult"))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rendered {
    /// The text (empty only when `errors` is not).
    pub text: String,
    /// The text with a `[data.path]` citation after every value.
    pub annotated_text: String,
    /// Data paths used, in order, e.g. `data.files[0].path`.
    pub citations: Vec<String>,
    /// What each citation rendered as, in the order of `citations`: the evidence the text rests on.
    pub evidence: Vec<Evidence>,
    /// Template id.
    pub template_id: String,
    /// Errors (missing fields, wrong types, unknown template).
    pub errors: Vec<EngineError>,
}

struct Ctx<'a> {
    root: &'a Value,
    scope: Vec<(&'a Value, String, usize)>, // item, its data path, its index
    text: String,
    annotated: String,
    evidence: Vec<Evidence>,
    errors: Vec<EngineError>,
}

fn lookup<'a>(ctx: &Ctx<'a>, path: &str) -> (Option<&'a Value>, String) {
    let (mut v, mut cited, rest) = if path == "." {
        match ctx.scope.last() {
            Some((item, p, _)) => (Some(*item), p.clone(), ""),
            None => (None, "data".to_string(), ""),
        }
    } else if let Some(rest) = path.strip_prefix('.') {
        match ctx.scope.last() {
            Some((item, p, _)) => (Some(*item), p.clone(), rest),
            None => (None, "data".to_string(), rest),
        }
    } else {
        (Some(ctx.root), "data".to_string(), path)
    };
    for seg in rest.split('.').filter(|s| !s.is_empty()) {
        cited.push('.');
        cited.push_str(seg);
        v = v.and_then(|x| x.get(seg));
    }
    (v.filter(|x| !x.is_null()), cited)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() != 0.0 => format!("{}", (f * 100.0).round() / 100.0),
            _ => n.to_string(),
        }),
        Value::Bool(b) => Some(if *b { "yes".into() } else { "no".into() }),
        _ => None,
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

fn render_nodes<'a>(ctx: &mut Ctx<'a>, nodes: &'a [Node]) {
    for node in nodes {
        match node {
            Node::Text(t) => {
                ctx.text.push_str(t);
                ctx.annotated.push_str(t);
            }
            Node::Var {
                path,
                optional,
                helper,
            } => {
                let (v, cited) = lookup(ctx, path);
                let out = match (v, helper.as_deref()) {
                    (None, _) if *optional => continue,
                    (None, _) => Err(format!("missing field {cited}")),
                    (Some(Value::Array(a)), Some("count")) => Ok(a.len().to_string()),
                    (Some(_), Some("count")) => Err(format!("{cited} is not a list")),
                    (Some(x), Some("pct")) => match x.as_f64() {
                        Some(f) => Ok(format!("{}%", (f * 100.0).round())),
                        None => Err(format!("{cited} is not a number")),
                    },
                    (Some(Value::Array(a)), _) => {
                        let parts: Option<Vec<String>> = a.iter().map(scalar).collect();
                        parts
                            .map(|p| p.join(", "))
                            .ok_or_else(|| format!("{cited} contains non-scalar items"))
                    }
                    (Some(x), _) => {
                        scalar(x).ok_or_else(|| format!("{cited} is an object, not a value"))
                    }
                };
                match out {
                    Ok(s) => {
                        ctx.text.push_str(&s);
                        ctx.annotated.push_str(&format!("{s} [{cited}]"));
                        if !ctx.evidence.iter().any(|e| e.path == cited) {
                            ctx.evidence.push(Evidence {
                                path: cited,
                                value: s,
                            });
                        }
                    }
                    Err(e) => ctx.errors.push(EngineError::at("template_data", e, cited)),
                }
            }
            Node::Sep(body) => {
                if matches!(ctx.scope.last(), Some((_, _, i)) if *i > 0) {
                    render_nodes(ctx, body);
                }
            }
            Node::If {
                path,
                then,
                otherwise,
            } => {
                let (v, _) = lookup(ctx, path);
                render_nodes(ctx, if truthy(v) { then } else { otherwise });
            }
            Node::Each { path, body } => {
                let (v, cited) = lookup(ctx, path);
                match v {
                    Some(Value::Array(items)) => {
                        for (i, item) in items.iter().enumerate() {
                            ctx.scope.push((item, format!("{cited}[{i}]"), i));
                            render_nodes(ctx, body);
                            ctx.scope.pop();
                        }
                    }
                    None => ctx.errors.push(EngineError::at(
                        "template_data",
                        format!("missing list {cited}"),
                        cited,
                    )),
                    Some(_) => ctx.errors.push(EngineError::at(
                        "template_data",
                        format!("{cited} is not a list"),
                        cited,
                    )),
                }
            }
        }
    }
}

/// Renders a template with JSON data. Any missing field is an error and the text is then empty.
pub fn render(template_id: &str, data: &Value) -> Rendered {
    let fail = |e: EngineError| failed(template_id, vec![e]);
    let set = match templates() {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let Some(t) = set.templates.get(template_id) else {
        return fail(EngineError::new(
            "unknown_template",
            format!(
                "no template {template_id:?}; known: {}",
                set.templates.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        ));
    };
    if !data.is_object() {
        return fail(EngineError::new(
            "invalid_data",
            "template data must be a JSON object",
        ));
    }
    let mut ctx = Ctx {
        root: data,
        scope: Vec::new(),
        text: String::new(),
        annotated: String::new(),
        evidence: Vec::new(),
        errors: Vec::new(),
    };
    render_nodes(&mut ctx, &t.nodes);
    if !ctx.errors.is_empty() {
        return failed(template_id, ctx.errors);
    }
    Rendered {
        text: ctx.text,
        annotated_text: ctx.annotated,
        citations: ctx.evidence.iter().map(|e| e.path.clone()).collect(),
        evidence: ctx.evidence,
        template_id: template_id.into(),
        errors: Vec::new(),
    }
}

/// A rendering that failed: no text, only the errors.
fn failed(template_id: &str, errors: Vec<EngineError>) -> Rendered {
    Rendered {
        text: String::new(),
        annotated_text: String::new(),
        citations: Vec::new(),
        evidence: Vec::new(),
        template_id: template_id.into(),
        errors,
    }
}

/// Renders from JSON text.
pub fn render_json(template_id: &str, data_json: &str) -> Rendered {
    match serde_json::from_str::<Value>(data_json) {
        Ok(v) => render(template_id, &v),
        Err(e) => failed(
            template_id,
            vec![EngineError::new("invalid_json", e.to_string())],
        ),
    }
}

#[cfg(test)]
mod tests;
