#![deny(clippy::all)]
//! tdln-in: natural language → intent, driven by the versioned grammar `grammars/tdln-in.v1.toml`.

mod normalize;

use logline::{Span, Value as LL};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use tdln_core::{sha256_hex, EngineError};

pub use normalize::normalize;

/// The grammar source, embedded at build time.
pub const GRAMMAR_SOURCE: &str = include_str!("../../../grammars/tdln-in.v1.toml");

/// Longest input accepted (characters); longer input is an error, not a slow parse.
pub const MAX_INPUT_CHARS: usize = 4000;

/// The ten operations an intent can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Fix a defect.
    BugFix,
    /// Add new behaviour.
    Feature,
    /// Read and explain (read-only).
    Analyze,
    /// Review changes or code (read-only).
    Review,
    /// Restructure without changing behaviour.
    Refactor,
    /// Write or run tests.
    Test,
    /// Write documentation.
    Document,
    /// Create a file.
    FileCreate,
    /// Delete a file.
    FileDelete,
    /// Rename or move a file.
    FileRename,
}

impl Operation {
    /// The snake_case name used in grammar and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::BugFix => "bug_fix",
            Operation::Feature => "feature",
            Operation::Analyze => "analyze",
            Operation::Review => "review",
            Operation::Refactor => "refactor",
            Operation::Test => "test",
            Operation::Document => "document",
            Operation::FileCreate => "file_create",
            Operation::FileDelete => "file_delete",
            Operation::FileRename => "file_rename",
        }
    }

    /// True for operations that never write.
    pub fn read_only(self) -> bool {
        matches!(self, Operation::Analyze | Operation::Review)
    }
}

/// Execution mode: `mechanic` for small targeted work, `genius` for features, refactors, large jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Small, targeted, cheap.
    Mechanic,
    /// Large or open-ended.
    Genius,
}

impl Mode {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Mechanic => "mechanic",
            Mode::Genius => "genius",
        }
    }
}

/// Why the parser declined to produce an intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbstainReason {
    /// Recognised, but not specific enough to act on.
    TooVague,
    /// Two different operations fit equally well.
    Ambiguous,
    /// The request would destroy work or bypass safeguards.
    Dangerous,
    /// Nothing in the grammar fits.
    NoMatch,
}

/// A constraint extracted from the request (e.g. "don't touch tests").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    /// Constraint id from the grammar (e.g. `no_test_changes`).
    pub id: String,
    /// The phrase it was extracted from (normalised).
    pub text: String,
}

/// Byte span of a slot inside `proof.matchedText`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotSpan {
    /// Slot name.
    pub name: String,
    /// Start byte offset (inclusive).
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
}

/// Evidence of how the intent was derived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Proof {
    /// SHA-256 hex of the normalised input.
    pub input_hash: String,
    /// SHA-256 hex of the grammar file's content.
    pub grammar_hash: String,
    /// Grammar version.
    pub grammar_version: String,
    /// Winning rule id.
    pub rule_id: String,
    /// Winning pattern (grammar source form).
    pub pattern: String,
    /// The normalised input.
    pub normalized: String,
    /// The text the pattern ran on (normalised input with constraint phrases removed).
    pub matched_text: String,
    /// Slot spans as byte offsets into `matched_text`.
    pub slot_spans: Vec<SlotSpan>,
}

/// A parsed intent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    /// The operation.
    pub operation: Operation,
    /// Slot values by name (`target`, `description`, `new_path`...).
    pub slots: BTreeMap<String, String>,
    /// Every path named in the request, in order of appearance.
    pub targets: Vec<String>,
    /// Execution mode.
    pub mode: Mode,
    /// True for analyze and review.
    pub read_only: bool,
    /// Extracted constraints.
    pub constraints: Vec<Constraint>,
    /// Confidence 0..1.
    pub confidence: f64,
    /// The intent as a LogLine span.
    pub span: String,
    /// Derivation proof.
    pub proof: Proof,
}

/// Why and how to ask the user again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Abstain {
    /// The reason.
    pub reason: AbstainReason,
    /// A question to ask the user.
    pub clarification: String,
    /// Example phrasings that would parse.
    pub suggestions: Vec<String>,
    /// Operations that were considered, best first.
    pub candidates: Vec<Operation>,
    /// Confidence of the best candidate (0 when none).
    pub confidence: f64,
    /// For `dangerous`: ids of the dangerous patterns found.
    pub matched_dangers: Vec<String>,
}

/// Result of [`parse_intent`]: exactly one of `intent` / `abstain` when `ok`, errors otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParseResult {
    /// True when an intent was produced.
    pub ok: bool,
    /// The intent.
    pub intent: Option<Intent>,
    /// The abstention.
    pub abstain: Option<Abstain>,
    /// Input or option errors.
    pub errors: Vec<EngineError>,
}

/// Options for [`parse_intent`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ParseOptions {
    /// Minimum confidence; defaults to the grammar's threshold.
    pub threshold: Option<f64>,
}

#[derive(Deserialize)]
struct GrammarFile {
    id: String,
    version: String,
    threshold: f64,
    slot_types: BTreeMap<String, SlotTypeDef>,
    rules: Vec<RuleDef>,
    large: LargeDef,
    dangerous: Vec<DangerDef>,
    constraints: Vec<ConstraintDef>,
}

#[derive(Deserialize)]
struct SlotTypeDef {
    regex: String,
    weight: f64,
}

#[derive(Deserialize)]
struct RuleDef {
    id: String,
    operation: Operation,
    mode: Mode,
    target_expected: bool,
    examples: Vec<String>,
    patterns: Vec<String>,
}

#[derive(Deserialize)]
struct LargeDef {
    patterns: Vec<String>,
}

#[derive(Deserialize)]
struct DangerDef {
    id: String,
    pattern: String,
}

#[derive(Deserialize)]
struct ConstraintDef {
    id: String,
    patterns: Vec<String>,
}

struct CompiledPattern {
    source: String,
    regex: Regex,
    slots: Vec<(String, f64)>, // slot name -> weight
}

struct CompiledRule {
    id: String,
    operation: Operation,
    mode: Mode,
    target_expected: bool,
    examples: Vec<String>,
    patterns: Vec<CompiledPattern>,
}

/// The compiled grammar.
pub struct Grammar {
    /// Grammar id.
    pub id: String,
    /// Grammar version.
    pub version: String,
    /// SHA-256 hex of the grammar source.
    pub hash: String,
    /// Default confidence threshold.
    pub threshold: f64,
    rules: Vec<CompiledRule>,
    large: Vec<Regex>,
    dangerous: Vec<(String, Regex)>,
    constraints: Vec<(String, Regex)>,
    path_regex: Regex,
}

const DET: &str = "(?:(?:the|a|an|this|that|these|those|my|our|some|all the|every) )?";
const IN: &str = "(?:in|inside|within|from|of|on|at|to|for)";

fn expand(
    pattern: &str,
    types: &BTreeMap<String, SlotTypeDef>,
) -> Result<(String, Vec<(String, f64)>), String> {
    let placeholder = Regex::new(r"\{(\w+)(?::(\w+))?\}").map_err(|e| e.to_string())?;
    let mut out = String::new();
    let mut slots = Vec::new();
    let mut last = 0;
    for caps in placeholder.captures_iter(pattern) {
        let m = caps.get(0).ok_or("placeholder")?;
        out.push_str(&pattern[last..m.start()]);
        last = m.end();
        let name = &caps[1];
        match (name, caps.get(2)) {
            ("det", None) => out.push_str(DET),
            ("in", None) => out.push_str(IN),
            (_, Some(ty)) => {
                let def = types
                    .get(ty.as_str())
                    .ok_or_else(|| format!("unknown slot type {}", ty.as_str()))?;
                out.push_str(&format!("(?P<{name}>{})", def.regex));
                slots.push((name.to_string(), def.weight));
            }
            _ => return Err(format!("unknown placeholder {{{name}}}")),
        }
    }
    out.push_str(&pattern[last..]);
    Ok((out, slots))
}

impl Grammar {
    /// Compiles a grammar from TOML source.
    pub fn compile(source: &str) -> Result<Grammar, EngineError> {
        let file: GrammarFile = toml::from_str(source)
            .map_err(|e| EngineError::new("grammar", format!("grammar does not parse: {e}")))?;
        let bad = |what: &str, e: String| EngineError::new("grammar", format!("{what}: {e}"));
        let mut rules = Vec::new();
        for r in file.rules {
            let mut patterns = Vec::new();
            for p in &r.patterns {
                let (expanded, slots) = expand(p, &file.slot_types).map_err(|e| bad(&r.id, e))?;
                let regex = Regex::new(&format!(r"\b(?:{expanded})(?:\s|$)"))
                    .map_err(|e| bad(&r.id, e.to_string()))?;
                patterns.push(CompiledPattern {
                    source: p.clone(),
                    regex,
                    slots,
                });
            }
            rules.push(CompiledRule {
                id: r.id,
                operation: r.operation,
                mode: r.mode,
                target_expected: r.target_expected,
                examples: r.examples,
                patterns,
            });
        }
        let compile_plain = |p: &str| -> Result<Regex, EngineError> {
            let (expanded, _) = expand(p, &file.slot_types).map_err(|e| bad(p, e))?;
            Regex::new(&expanded).map_err(|e| bad(p, e.to_string()))
        };
        let large = file
            .large
            .patterns
            .iter()
            .map(|p| compile_plain(p))
            .collect::<Result<_, _>>()?;
        let dangerous = file
            .dangerous
            .iter()
            .map(|d| Ok((d.id.clone(), compile_plain(&d.pattern)?)))
            .collect::<Result<_, EngineError>>()?;
        let mut constraints = Vec::new();
        for c in &file.constraints {
            for p in &c.patterns {
                constraints.push((c.id.clone(), compile_plain(&format!(r"\b(?:{p})\b"))?));
            }
        }
        let path_def = file
            .slot_types
            .get("path")
            .ok_or_else(|| EngineError::new("grammar", "slot type path missing"))?;
        let path_regex = Regex::new(&format!(r"^(?:{})$", path_def.regex))
            .map_err(|e| bad("path", e.to_string()))?;
        Ok(Grammar {
            id: file.id,
            version: file.version,
            hash: sha256_hex(source),
            threshold: file.threshold,
            rules,
            large,
            dangerous,
            constraints,
            path_regex,
        })
    }

    /// True when a token is a file path by the grammar's `path` slot type.
    pub fn is_path(&self, token: &str) -> bool {
        self.path_regex.is_match(token)
    }

    /// Number of rules and patterns.
    pub fn counts(&self) -> (usize, usize) {
        (
            self.rules.len(),
            self.rules.iter().map(|r| r.patterns.len()).sum(),
        )
    }
}

static GRAMMAR: LazyLock<Result<Grammar, EngineError>> =
    LazyLock::new(|| Grammar::compile(GRAMMAR_SOURCE));

/// The embedded grammar, compiled once.
pub fn grammar() -> Result<&'static Grammar, EngineError> {
    GRAMMAR.as_ref().map_err(Clone::clone)
}

struct Candidate<'g> {
    rule: &'g CompiledRule,
    pattern: &'g CompiledPattern,
    score: f64,
    coverage: f64,
    literal: f64,
    start: usize,
    slots: BTreeMap<String, (usize, usize, String)>,
}

const VAGUE_WORDS: &[&str] = &[
    "it",
    "this",
    "that",
    "stuff",
    "things",
    "something",
    "anything",
    "bug",
    "bugs",
    "the bug",
    "the bugs",
    "code",
    "the code",
    "issue",
    "the issue",
    "problem",
    "the problem",
    "errors",
    "error",
    "everything",
    "thing",
    "them",
    "all",
    "app",
    "the app",
    "better",
    "more",
    "some",
    "feature",
    "a feature",
    "tests",
    "test",
    "it work",
    "it better",
    "it faster",
    "this file",
    "that file",
    "the file",
    "file",
    "again",
];

fn is_vague(text: &str) -> bool {
    let t = text.trim();
    VAGUE_WORDS.contains(&t) || t.split_whitespace().all(|w| VAGUE_WORDS.contains(&w))
}

fn remove_spans(text: &str, mut spans: Vec<(usize, usize)>) -> String {
    spans.sort();
    let mut out = String::new();
    let mut last = 0;
    for (s, e) in spans {
        if s >= last {
            out.push_str(&text[last..s]);
            out.push(' ');
            last = e;
        }
    }
    out.push_str(&text[last.min(text.len())..]);
    let connectors = [
        "but", "and", "while", "please", "also", "just", "however", "so", "then",
    ];
    let mut words: Vec<&str> = out.split_whitespace().collect();
    while words.last().is_some_and(|w| connectors.contains(w)) {
        words.pop();
    }
    while words.first().is_some_and(|w| connectors.contains(w)) {
        words.remove(0);
    }
    // collapse connector pairs left behind, e.g. "fix x and but" handled above; "x and and y" rare
    words.join(" ")
}

fn examples_for(g: &Grammar, ops: &[Operation], n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for op in ops {
        if let Some(rule) = g.rules.iter().find(|r| r.operation == *op) {
            out.extend(rule.examples.iter().take(n).cloned());
        }
    }
    out
}

fn abstain(
    reason: AbstainReason,
    clarification: String,
    suggestions: Vec<String>,
    candidates: Vec<Operation>,
    confidence: f64,
    dangers: Vec<String>,
) -> ParseResult {
    ParseResult {
        ok: false,
        intent: None,
        abstain: Some(Abstain {
            reason,
            clarification,
            suggestions,
            candidates,
            confidence,
            matched_dangers: dangers,
        }),
        errors: Vec::new(),
    }
}

fn error(code: &str, msg: &str) -> ParseResult {
    ParseResult {
        ok: false,
        intent: None,
        abstain: None,
        errors: vec![EngineError::new(code, msg)],
    }
}

/// Parses a natural-language request into an intent, or abstains with a reason.
pub fn parse_intent(text: &str, options: ParseOptions) -> ParseResult {
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
    parse_with(g, text, options)
}

/// Parses with an explicit compiled grammar.
pub fn parse_with(g: &Grammar, text: &str, options: ParseOptions) -> ParseResult {
    let threshold = options.threshold.unwrap_or(g.threshold);
    if !(0.0..=1.0).contains(&threshold) {
        return error("invalid_option", "threshold must be between 0 and 1");
    }
    if text.chars().count() > MAX_INPUT_CHARS {
        return error(
            "input_too_long",
            &format!("input longer than {MAX_INPUT_CHARS} characters"),
        );
    }
    let normalized = normalize(text, |t| g.is_path(t));
    let all_ops: Vec<Operation> = g.rules.iter().map(|r| r.operation).collect();
    if normalized.is_empty() {
        return abstain(
            AbstainReason::TooVague,
            "The request is empty. What should I do, and in which file?".into(),
            examples_for(g, &all_ops[..3], 1),
            vec![],
            0.0,
            vec![],
        );
    }

    let dangers: Vec<String> = g
        .dangerous
        .iter()
        .filter(|(_, r)| r.is_match(&normalized))
        .map(|(id, _)| id.clone())
        .collect();
    if !dangers.is_empty() {
        return abstain(
            AbstainReason::Dangerous,
            format!(
                "This request could destroy work or bypass safeguards ({}). I will not do that without a human. Which specific, reversible change do you want?",
                dangers.join(", ")
            ),
            vec![
                "delete src/legacy/old.ts".into(),
                "review the changes before pushing".into(),
                "revert the last change to src/app.ts".into(),
            ],
            vec![],
            0.0,
            dangers,
        );
    }

    // Constraints: extract, then remove their phrases before matching operations.
    let mut constraints: Vec<Constraint> = Vec::new();
    let mut removed = Vec::new();
    for (id, re) in &g.constraints {
        for m in re.find_iter(&normalized) {
            if !constraints.iter().any(|c| &c.id == id) {
                constraints.push(Constraint {
                    id: id.clone(),
                    text: m.as_str().to_string(),
                });
            }
            removed.push((m.start(), m.end()));
        }
    }
    let matched_text = remove_spans(&normalized, removed);
    let total = matched_text.len().max(1) as f64;

    let mut candidates: Vec<Candidate> = Vec::new();
    for rule in &g.rules {
        for pattern in &rule.patterns {
            // Scan every start position so a later, more specific match is not hidden by an earlier one.
            let mut from = 0;
            while from <= matched_text.len() {
                let Some(caps) = pattern.regex.captures_at(&matched_text, from) else {
                    break;
                };
                let whole = caps.get(0).map(|m| (m.start(), m.end())).unwrap_or((0, 0));
                let whole_text = matched_text[whole.0..whole.1].trim_end();
                let mut slots = BTreeMap::new();
                let mut slot_chars = 0usize;
                let mut weights = 0.0;
                for (name, weight) in &pattern.slots {
                    if let Some(m) = caps.name(name) {
                        slots.insert(name.clone(), (m.start(), m.end(), m.as_str().to_string()));
                        slot_chars += m.len();
                        weights += weight;
                    }
                }
                let literal = whole_text.len().saturating_sub(slot_chars) as f64;
                let coverage = whole_text.len() as f64 / total;
                candidates.push(Candidate {
                    rule,
                    pattern,
                    score: literal + weights + 10.0 * coverage,
                    coverage,
                    literal,
                    start: whole.0,
                    slots,
                });
                // advance to the next word boundary after this match's start
                let next = matched_text[whole.0..].find(' ').map(|i| whole.0 + i + 1);
                match next {
                    Some(n) if n > from => from = n,
                    _ => break,
                }
            }
        }
    }

    if candidates.is_empty() {
        return abstain(
            AbstainReason::NoMatch,
            "I could not map this to a coding task. Should I fix a bug, add a feature, analyze, review, refactor, test, document, or create/delete/rename a file?".into(),
            examples_for(g, &[Operation::BugFix, Operation::Feature, Operation::Analyze], 1),
            vec![],
            0.0,
            vec![],
        );
    }

    candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.start.cmp(&b.start)));
    let best = &candidates[0];
    let mut per_op: Vec<&Candidate> = Vec::new();
    for c in &candidates {
        if !per_op.iter().any(|p| p.rule.operation == c.rule.operation) {
            per_op.push(c);
        }
    }
    let ranked_ops: Vec<Operation> = per_op.iter().map(|c| c.rule.operation).collect();

    let has_or = matched_text.split_whitespace().any(|w| w == "or");
    if let Some(second) = per_op.get(1) {
        let close = second.score >= best.score - 0.5;
        let split_by_or = has_or && second.start != best.start && second.literal >= 3.0;
        if close || split_by_or {
            let a = best.rule.operation.as_str();
            let b = second.rule.operation.as_str();
            return abstain(
                AbstainReason::Ambiguous,
                format!(
                    "Do you want me to {} or to {}? Please pick one.",
                    a.replace('_', " "),
                    b.replace('_', " ")
                ),
                examples_for(g, &[best.rule.operation, second.rule.operation], 1),
                ranked_ops,
                0.5,
                vec![],
            );
        }
    }

    let has_target_slot = best
        .slots
        .keys()
        .any(|k| k == "target" || k == "new_path" || k == "old_symbol");
    let description = best.slots.get("description").map(|s| s.2.as_str());
    let mut targets: Vec<String> = Vec::new();
    for tok in normalized.split_whitespace() {
        if g.is_path(tok) && !targets.iter().any(|t| t == tok) {
            targets.push(tok.to_string());
        }
    }
    let mut confidence = 0.35 + 0.45 * best.coverage + 0.2 * (best.literal / 12.0).min(1.0);
    if has_target_slot || !targets.is_empty() {
        confidence += 0.1;
    } else if best.rule.target_expected {
        confidence -= 0.15;
    }
    confidence = (confidence.clamp(0.0, 0.99) * 1000.0).round() / 1000.0;

    let vague_description = description.is_some_and(is_vague) && targets.is_empty();
    if vague_description || confidence < threshold {
        let op = best.rule.operation.as_str().replace('_', " ");
        return abstain(
            AbstainReason::TooVague,
            format!(
                "I understood \"{op}\" but not what exactly. Which file, function or behaviour is it about? Please name the path (e.g. src/...) and describe the expected result."
            ),
            examples_for(g, &[best.rule.operation], 3),
            ranked_ops,
            confidence,
            vec![],
        );
    }

    let mut mode = best.rule.mode;
    if targets.len() > 3 || g.large.iter().any(|r| r.is_match(&normalized)) {
        mode = Mode::Genius;
    }
    let operation = best.rule.operation;
    let slots: BTreeMap<String, String> = best
        .slots
        .iter()
        .map(|(k, v)| (k.clone(), v.2.trim().to_string()))
        .collect();
    let slot_spans = best
        .slots
        .iter()
        .map(|(k, v)| SlotSpan {
            name: k.clone(),
            start: v.0,
            end: v.1,
        })
        .collect();

    let mut span = Span::new("INTENT", operation.as_str())
        .with("operation", LL::Str(operation.as_str().into()))
        .with("mode", LL::Str(mode.as_str().into()))
        .with("read_only", LL::Bool(operation.read_only()))
        .with(
            "targets",
            LL::List(targets.iter().map(|t| LL::Str(t.clone())).collect()),
        )
        .with(
            "slots",
            LL::Object(
                slots
                    .iter()
                    .map(|(k, v)| (k.clone(), LL::Str(v.clone())))
                    .collect(),
            ),
        )
        .with(
            "constraints",
            LL::List(constraints.iter().map(|c| LL::Str(c.id.clone())).collect()),
        )
        .with("confidence", LL::Float(confidence))
        .with("rule", LL::Str(best.rule.id.clone()));
    span = span.with("grammar", LL::Str(format!("{}@{}", g.id, g.version)));
    let span_text = logline::serialize(&[span]).unwrap_or_default();

    ParseResult {
        ok: true,
        intent: Some(Intent {
            operation,
            slots,
            targets,
            mode,
            read_only: operation.read_only(),
            constraints,
            confidence,
            span: span_text,
            proof: Proof {
                input_hash: sha256_hex(&normalized),
                grammar_hash: g.hash.clone(),
                grammar_version: g.version.clone(),
                rule_id: best.rule.id.clone(),
                pattern: best.pattern.source.clone(),
                normalized,
                matched_text,
                slot_spans,
            },
        }),
        abstain: None,
        errors: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
