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
        } else if tag == "/if" || tag == "/each" {
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
        return Err(format!("unclosed {{{{#{kind} {path}}}}}"));
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

/// Rendering result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rendered {
    /// The text (empty only when `errors` is not).
    pub text: String,
    /// The text with a `[data.path]` citation after every value.
    pub annotated_text: String,
    /// Data paths used, in order, e.g. `data.files[0].path`.
    pub citations: Vec<String>,
    /// Template id.
    pub template_id: String,
    /// Errors (missing fields, wrong types, unknown template).
    pub errors: Vec<EngineError>,
}

struct Ctx<'a> {
    root: &'a Value,
    scope: Vec<(&'a Value, String)>, // item, its data path
    text: String,
    annotated: String,
    citations: Vec<String>,
    errors: Vec<EngineError>,
}

fn lookup<'a>(ctx: &Ctx<'a>, path: &str) -> (Option<&'a Value>, String) {
    let (mut v, mut cited, rest) = if path == "." {
        match ctx.scope.last() {
            Some((item, p)) => (Some(*item), p.clone(), ""),
            None => (None, "data".to_string(), ""),
        }
    } else if let Some(rest) = path.strip_prefix('.') {
        match ctx.scope.last() {
            Some((item, p)) => (Some(*item), p.clone(), rest),
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
                        if !ctx.citations.contains(&cited) {
                            ctx.citations.push(cited);
                        }
                    }
                    Err(e) => ctx.errors.push(EngineError::at("template_data", e, cited)),
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
                            ctx.scope.push((item, format!("{cited}[{i}]")));
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
    let fail = |e: EngineError| Rendered {
        text: String::new(),
        annotated_text: String::new(),
        citations: Vec::new(),
        template_id: template_id.into(),
        errors: vec![e],
    };
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
        citations: Vec::new(),
        errors: Vec::new(),
    };
    render_nodes(&mut ctx, &t.nodes);
    if !ctx.errors.is_empty() {
        return Rendered {
            text: String::new(),
            annotated_text: String::new(),
            citations: Vec::new(),
            template_id: template_id.into(),
            errors: ctx.errors,
        };
    }
    Rendered {
        text: ctx.text,
        annotated_text: ctx.annotated,
        citations: ctx.citations,
        template_id: template_id.into(),
        errors: Vec::new(),
    }
}

/// Renders from JSON text.
pub fn render_json(template_id: &str, data_json: &str) -> Rendered {
    match serde_json::from_str::<Value>(data_json) {
        Ok(v) => render(template_id, &v),
        Err(e) => Rendered {
            text: String::new(),
            annotated_text: String::new(),
            citations: Vec::new(),
            template_id: template_id.into(),
            errors: vec![EngineError::new("invalid_json", e.to_string())],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn samples() -> Vec<(&'static str, Value)> {
        vec![
            (
                "job_started",
                json!({"job": {"id": "J-1", "title": "Fix login"}, "intent": {"operation": "bug_fix"}, "mode": "mechanic", "targets": ["src/auth.ts"]}),
            ),
            (
                "job_progress",
                json!({"job": {"id": "J-1"}, "stage": "build", "step": 2, "total": 5}),
            ),
            (
                "job_succeeded",
                json!({"job": {"id": "J-1"}, "summary": "null check added", "files": [{"path": "src/auth.ts", "added": 3, "removed": 1}], "tests": {"passed": 12, "failed": 0}, "commit": "abc123"}),
            ),
            (
                "job_failed",
                json!({"job": {"id": "J-2"}, "reason": "tests failed", "next_step": "inspect src/auth.test.ts"}),
            ),
            (
                "needs_clarification",
                json!({"question": "Which file?", "suggestions": ["fix the bug in src/auth.ts"]}),
            ),
            (
                "needs_approval",
                json!({"job": {"id": "J-3"}, "action": "edit .github/workflows/ci.yml", "reasons": ["CI config is protected"], "risk": {"level": "high", "score": 65}}),
            ),
            (
                "review_approved",
                json!({"target": "PR 42", "summary": "looks good."}),
            ),
            (
                "review_changes_requested",
                json!({"target": "PR 42", "issues": [{"file": "src/a.ts", "message": "missing null check"}]}),
            ),
            (
                "evaluation",
                json!({"job": {"id": "J-1"}, "verdict": "OK", "score": 100, "failing": []}),
            ),
            (
                "insight",
                json!({"title": "Flaky test", "body": "auth.test.ts times out under load.", "sources": ["job J-1", "job J-4"]}),
            ),
            ("chat_reply", json!({"text": "Hello!"})),
            (
                "status",
                json!({"jobs": {"running": 1, "queued": 2, "failed": 0}, "budget": {"used": 0.425}}),
            ),
        ]
    }

    #[test]
    fn every_template_renders_its_sample_data() {
        let set = templates().unwrap();
        assert_eq!(set.templates.len(), samples().len());
        for (id, data) in samples() {
            let r = render(id, &data);
            assert!(r.errors.is_empty(), "{id}: {:?}", r.errors);
            assert!(!r.text.is_empty() && !r.citations.is_empty(), "{id}");
        }
    }

    #[test]
    fn job_succeeded_lists_files_and_tests_with_citations() {
        let r = render("job_succeeded", &samples()[2].1);
        assert_eq!(r.text, "Job J-1 succeeded: null check added\nChanged 1 file(s):\n- src/auth.ts (+3 -1)\nTests: 12 passed, 0 failed.\nCommit: abc123");
        assert!(r.citations.contains(&"data.files".to_string()));
        assert!(r.citations.contains(&"data.files[0].path".to_string()));
        assert!(r
            .annotated_text
            .contains("src/auth.ts [data.files[0].path]"));
    }

    #[test]
    fn a_missing_field_is_an_error_not_empty_output() {
        let r = render("job_failed", &json!({"job": {"id": "J-2"}, "reason": "x"}));
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].path.as_deref(), Some("data.next_step"));
        assert!(r.text.is_empty());
    }

    #[test]
    fn wrong_types_unknown_templates_and_bad_json_are_errors() {
        assert_eq!(
            render("chat_reply", &json!({"text": {"a": 1}})).errors[0].code,
            "template_data"
        );
        assert_eq!(
            render("nope", &json!({})).errors[0].code,
            "unknown_template"
        );
        assert_eq!(
            render_json("chat_reply", "{").errors[0].code,
            "invalid_json"
        );
        assert_eq!(
            render("chat_reply", &json!([1])).errors[0].code,
            "invalid_data"
        );
    }

    #[test]
    fn else_branches_and_percentages_render() {
        let r = render("evaluation", &samples()[8].1);
        assert!(r.text.ends_with("All checks passed."), "{}", r.text);
        let r = render("status", &samples()[11].1);
        assert_eq!(r.text, "1 running, 2 queued, 0 failed. Budget used: 43%.");
    }

    #[test]
    fn template_syntax_errors_are_reported() {
        assert!(parse_template("{{#if a}}x").is_err());
        assert!(parse_template("{{/each}}").is_err());
        assert!(parse_template("{{a").is_err());
        assert!(parse_template("{{shout a}}").is_err());
    }
}
