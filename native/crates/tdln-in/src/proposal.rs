//! A model's proposed intent, read into the engine's own intent shape and checked the way the
//! grammar's intents are: known operation, known constraints, targets inside the repository. The
//! model may only add caution: constraints the text carries stay, and read-only wins.

use crate::{
    accept, grammar, suggest, AbstainReason, Intent, IntentSource, Missing, Mode, Operation,
    ParseOptions, ParseResult, Proof, SourceKind, OPERATIONS,
};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tdln_core::{sha256_hex, EngineError};

/// The most targets a proposal may name.
const MAX_TARGETS: usize = 20;
const MAX_PATH: usize = 300;
const MAX_DESCRIPTION: usize = 2_000;
const MAX_QUESTION: usize = 500;

/// Who proposed an intent: the model, the provider's request id, and the hash of the prompt.
#[cfg_attr(feature = "napi", napi_derive::napi(object))]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelSource {
    /// Model name.
    pub model: String,
    /// The provider's request id.
    pub request_id: String,
    /// SHA-256 of the prompt (system, tools and message) the model was given.
    pub prompt_hash: String,
}

/// What a model may propose: an intent, or a clarifying question.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Proposal {
    understood: bool,
    #[serde(default)]
    operation: Option<String>,
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    constraints: Vec<String>,
    #[serde(default)]
    read_only: Option<bool>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    clarification: Option<Clarification>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Clarification {
    question: String,
    missing: String,
    #[serde(default)]
    suggestions: Vec<String>,
}

/// The JSON schema of a proposal: the input schema of the one tool the model must call. Built
/// from the engine's own operations and constraint ids, so the two cannot drift apart.
pub fn proposal_schema() -> Value {
    let constraints: Vec<String> = grammar()
        .map(|g| g.constraint_ids().to_vec())
        .unwrap_or_default();
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["understood"],
        "properties": {
            "understood": {"type": "boolean", "description": "true when the request asks for a change or an analysis you can name precisely; false when a person must say more"},
            "operation": {"type": "string", "enum": OPERATIONS.iter().map(|o| o.as_str()).collect::<Vec<_>>(), "description": "the kind of work"},
            "targets": {"type": "array", "maxItems": MAX_TARGETS, "items": {"type": "string", "maxLength": MAX_PATH}, "description": "repository-relative paths from the file list (a new path only to create a file); empty when none is named or implied"},
            "description": {"type": "string", "maxLength": MAX_DESCRIPTION, "description": "what should change or be found out, in one sentence"},
            "constraints": {"type": "array", "items": {"type": "string", "enum": constraints}, "description": "limits the person set"},
            "readOnly": {"type": "boolean", "description": "true when nothing may be changed (analysis, review)"},
            "mode": {"type": "string", "enum": ["mechanic", "genius"], "description": "mechanic for a small, targeted change; genius for a feature, a refactor or a large change"},
            "clarification": {
                "type": "object",
                "additionalProperties": false,
                "required": ["question", "missing"],
                "description": "when understood is false: one specific question and up to three rephrasings",
                "properties": {
                    "question": {"type": "string", "maxLength": MAX_QUESTION},
                    "missing": {"type": "string", "enum": ["operation", "target", "behaviour", "choice"]},
                    "suggestions": {"type": "array", "maxItems": 3, "items": {"type": "string", "maxLength": MAX_PATH}}
                }
            }
        }
    })
}

fn invalid(path: &str, message: impl Into<String>) -> ParseResult {
    ParseResult {
        ok: false,
        intent: None,
        abstain: None,
        errors: vec![EngineError::at("invalid_proposal", message, path)],
    }
}

/// Why a proposed path is not a path inside the repository, if it is not.
fn outside_repository(path: &str) -> Option<&'static str> {
    if path.trim().is_empty() {
        return Some("is empty");
    }
    if path.len() > MAX_PATH {
        return Some("is too long");
    }
    if path.chars().any(|c| c.is_control() || c == '\\') {
        return Some("has control characters or backslashes");
    }
    if path.starts_with('/') || path.starts_with('~') || path.chars().nth(1) == Some(':') {
        return Some("is absolute");
    }
    if path.contains("://") {
        return Some("is a URL");
    }
    let segments: Vec<&str> = path.split('/').collect();
    if segments.contains(&"..") {
        return Some("leaves the repository");
    }
    if segments.contains(&".git") {
        return Some("is inside .git");
    }
    None
}

/// Reads a model's proposal (the JSON the forced tool call carried) for a request: an intent with
/// the model as its source, an abstention with the model's question, or errors that say what in
/// the proposal is wrong.
pub fn intent_from_proposal(text: &str, proposal: &Value, source: &ModelSource) -> ParseResult {
    let g = match grammar() {
        Ok(g) => g,
        Err(e) => {
            return ParseResult {
                ok: false,
                intent: None,
                abstain: None,
                errors: vec![e],
            }
        }
    };
    let p: Proposal = match serde_json::from_value(proposal.clone()) {
        Ok(p) => p,
        Err(e) => {
            return invalid(
                "proposal",
                format!("the proposal does not fit the intent schema: {e}"),
            )
        }
    };
    let normalized = g.normalize(crate::cut_at_word(text, 20_000));
    if !p.understood {
        let Some(c) = p.clarification else {
            return invalid(
                "clarification",
                "a proposal that is not understood must carry a clarification",
            );
        };
        let question = c.question.trim();
        if question.is_empty() || question.len() > MAX_QUESTION {
            return invalid(
                "clarification.question",
                "the question must be 1 to 500 characters",
            );
        }
        let missing = match c.missing.as_str() {
            "operation" => Missing::Operation,
            "target" => Missing::Target,
            "behaviour" => Missing::Behaviour,
            "choice" => Missing::Choice,
            other => {
                return invalid(
                    "clarification.missing",
                    format!("unknown missing part {other:?}"),
                )
            }
        };
        let mut result = suggest::abstain(
            g,
            &ParseOptions::default(),
            &normalized,
            None,
            AbstainReason::TooVague,
            missing,
            question.to_string(),
            vec![],
            0.0,
        );
        if let Some(a) = result.abstain.as_mut() {
            let mut theirs: Vec<String> = c
                .suggestions
                .into_iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty() && s.len() <= MAX_PATH)
                .take(3)
                .collect();
            theirs.append(&mut a.suggestions);
            theirs.dedup();
            theirs.truncate(3);
            a.suggestions = theirs;
        }
        return result;
    }

    let Some(name) = p.operation.as_deref() else {
        return invalid("operation", "an understood proposal must name an operation");
    };
    let Some(operation) = Operation::from_name(name) else {
        return invalid("operation", format!("unknown operation {name:?}"));
    };
    if p.targets.len() > MAX_TARGETS {
        return invalid("targets", format!("at most {MAX_TARGETS} targets"));
    }
    let mut targets: Vec<String> = Vec::new();
    for (i, t) in p.targets.iter().enumerate() {
        if let Some(why) = outside_repository(t) {
            return invalid(
                &format!("targets[{i}]"),
                format!("{t:?} {why}: targets must be paths inside the repository"),
            );
        }
        let t = t.trim().trim_start_matches("./").to_string();
        if !targets.contains(&t) {
            targets.push(t);
        }
    }
    let description = p.description.unwrap_or_default().trim().to_string();
    if description.len() > MAX_DESCRIPTION {
        return invalid(
            "description",
            "the description is longer than 2000 characters",
        );
    }
    // The text's own constraints always hold; the model may add known ones, never remove them.
    let (mut constraints, _) = g.constraints_in(&normalized);
    for (i, id) in p.constraints.iter().enumerate() {
        if !g.constraint_ids().contains(id) {
            return invalid(
                &format!("constraints[{i}]"),
                format!("unknown constraint {id:?}"),
            );
        }
        if !constraints.iter().any(|c| &c.id == id) {
            constraints.push(crate::Constraint {
                id: id.clone(),
                text: "(model)".into(),
            });
        }
    }
    let rule = g.rule_for(operation);
    let mut mode = match p.mode.as_deref() {
        Some("mechanic") => Mode::Mechanic,
        Some("genius") => Mode::Genius,
        Some(other) => return invalid("mode", format!("unknown mode {other:?}")),
        None => rule.map_or(Mode::Mechanic, |r| r.mode),
    };
    if targets.len() > 3 || g.large.iter().any(|r| r.is_match(&normalized)) {
        mode = Mode::Genius;
    }
    let read_only = operation.read_only() || p.read_only == Some(true);
    let mut slots = BTreeMap::new();
    if !description.is_empty() {
        slots.insert("description".to_string(), description);
    }
    if let Some(first) = targets.first() {
        slots.insert("target".to_string(), first.clone());
    }
    let intent_source = IntentSource {
        kind: SourceKind::Model,
        rule_id: "model".into(),
        grammar_hash: g.hash.clone(),
        grammar_version: g.version.clone(),
        model: Some(source.model.clone()),
        request_id: Some(source.request_id.clone()),
        prompt_hash: Some(source.prompt_hash.clone()),
    };
    let confidence = 0.8;
    accept(
        g,
        Intent {
            operation,
            slots,
            targets,
            mode,
            read_only,
            constraints,
            confidence,
            span: String::new(),
            proof: Proof {
                input_hash: sha256_hex(&normalized),
                grammar_hash: g.hash.clone(),
                grammar_version: g.version.clone(),
                rule_id: "model".into(),
                pattern: String::new(),
                matched_text: normalized.clone(),
                normalized,
                slot_spans: Vec::new(),
            },
            source: intent_source,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> ModelSource {
        ModelSource {
            model: "claude-haiku-4-5".into(),
            request_id: "req_1".into(),
            prompt_hash: "ab".repeat(32),
        }
    }

    #[test]
    fn a_valid_proposal_becomes_an_intent_with_the_model_as_its_source() {
        let r = intent_from_proposal(
            "make the login page faster, and don't touch the tests",
            &json!({"understood": true, "operation": "performance", "targets": ["src/login.ts"], "description": "speed up the login page", "mode": "mechanic"}),
            &source(),
        );
        let i = r.intent.expect("intent");
        assert_eq!(i.operation, Operation::Performance);
        assert_eq!(i.targets, vec!["src/login.ts"]);
        assert_eq!(i.source.kind, SourceKind::Model);
        assert_eq!(i.source.model.as_deref(), Some("claude-haiku-4-5"));
        assert!(
            i.constraints.iter().any(|c| c.id == "no_test_changes"),
            "the text's constraint stays"
        );
        assert!(
            i.span.contains("source: \"model\"") || i.span.contains("source: model"),
            "{}",
            i.span
        );
    }

    #[test]
    fn a_model_cannot_make_an_analysis_writable() {
        let r = intent_from_proposal(
            "why is it slow",
            &json!({"understood": true, "operation": "analyze", "readOnly": false}),
            &source(),
        );
        assert!(r.intent.unwrap().read_only);
    }

    #[test]
    fn bad_proposals_are_errors_that_name_the_problem() {
        for (p, path) in [
            (
                json!({"understood": true, "operation": "deploy"}),
                "operation",
            ),
            (
                json!({"understood": true, "operation": "bug_fix", "targets": ["../../etc/passwd"]}),
                "targets[0]",
            ),
            (
                json!({"understood": true, "operation": "bug_fix", "targets": ["/etc/passwd"]}),
                "targets[0]",
            ),
            (
                json!({"understood": true, "operation": "bug_fix", "targets": [".git/config"]}),
                "targets[0]",
            ),
            (
                json!({"understood": true, "operation": "bug_fix", "constraints": ["no_rules"]}),
                "constraints[0]",
            ),
            (
                json!({"understood": true, "operation": "bug_fix", "extra": 1}),
                "proposal",
            ),
            (json!({"understood": false}), "clarification"),
            (json!("bug_fix"), "proposal"),
        ] {
            let r = intent_from_proposal("do the thing", &p, &source());
            assert!(!r.ok, "{p}");
            assert_eq!(r.errors[0].path.as_deref(), Some(path), "{p}");
        }
    }

    #[test]
    fn a_clarification_keeps_the_question_and_adds_rephrasings() {
        let r = intent_from_proposal(
            "make it better",
            &json!({"understood": false, "clarification": {"question": "Which page is slow?", "missing": "target", "suggestions": ["speed up the login page in src/login.ts"]}}),
            &source(),
        );
        let a = r.abstain.unwrap();
        assert_eq!(a.clarification, "Which page is slow?");
        assert_eq!(a.missing, Missing::Target);
        assert_eq!(a.suggestions[0], "speed up the login page in src/login.ts");
    }

    #[test]
    fn the_schema_lists_every_operation() {
        let schema = proposal_schema();
        assert_eq!(
            schema["properties"]["operation"]["enum"]
                .as_array()
                .unwrap()
                .len(),
            OPERATIONS.len()
        );
    }
}
