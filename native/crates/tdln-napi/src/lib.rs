#![deny(clippy::all)]
//! Node binding for the TDLN engine. Only converts between JS and the engine crates; every
//! function catches panics and returns them as `errors` (or throws for plain-string results).

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;
use std::panic::{catch_unwind, AssertUnwindSafe};

// ---------------------------------------------------------------------------------------------
// Shared

/// An engine error returned as data.
#[napi(object)]
#[derive(Clone)]
pub struct EngineError {
    /// Stable code, e.g. `invalid_json`, `panic`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// Data path, file path or config key the error refers to.
    pub path: Option<String>,
}

impl From<tdln_core::EngineError> for EngineError {
    fn from(e: tdln_core::EngineError) -> Self {
        Self {
            code: e.code,
            message: e.message,
            path: e.path,
        }
    }
}

fn errs(v: Vec<tdln_core::EngineError>) -> Vec<EngineError> {
    v.into_iter().map(EngineError::from).collect()
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

fn panic_error(p: Box<dyn std::any::Any + Send>) -> EngineError {
    EngineError {
        code: "panic".into(),
        message: format!("engine panicked: {}", panic_message(p)),
        path: None,
    }
}

/// Runs `f`, turning a panic into `on_panic(error)`.
fn guard<T>(f: impl FnOnce() -> T, on_panic: impl FnOnce(EngineError) -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(p) => on_panic(panic_error(p)),
    }
}

/// Runs `f`, turning a panic into a thrown JS error (for functions with plain results).
fn guard_throw<T>(f: impl FnOnce() -> T) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|p| Error::new(Status::GenericFailure, panic_error(p).message))
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

// ---------------------------------------------------------------------------------------------
// LogLine

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

// ---------------------------------------------------------------------------------------------
// tdln-in

/// The operations an intent can have.
#[napi(string_enum = "snake_case")]
pub enum Operation {
    /// Fix a defect.
    BugFix,
    /// Add new behaviour.
    Feature,
    /// Read and explain (read-only).
    Analyze,
    /// Review (read-only).
    Review,
    /// Restructure.
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
    /// Deliberately alter existing behaviour, defaults or configuration.
    Change,
    /// Add, upgrade, pin or remove a dependency, or the runtime version required.
    DependencyUpdate,
    /// Make something faster or smaller.
    Performance,
}

impl From<tdln_in::Operation> for Operation {
    fn from(o: tdln_in::Operation) -> Self {
        use tdln_in::Operation as O;
        match o {
            O::BugFix => Self::BugFix,
            O::Feature => Self::Feature,
            O::Analyze => Self::Analyze,
            O::Review => Self::Review,
            O::Refactor => Self::Refactor,
            O::Test => Self::Test,
            O::Document => Self::Document,
            O::FileCreate => Self::FileCreate,
            O::FileDelete => Self::FileDelete,
            O::FileRename => Self::FileRename,
            O::Change => Self::Change,
            O::DependencyUpdate => Self::DependencyUpdate,
            O::Performance => Self::Performance,
        }
    }
}

/// Execution mode.
#[napi(string_enum = "snake_case")]
pub enum Mode {
    /// Small, targeted work.
    Mechanic,
    /// Features, refactors, large jobs.
    Genius,
}

/// Why the parser abstained.
#[napi(string_enum = "snake_case")]
pub enum AbstainReason {
    /// Recognised but not specific enough.
    TooVague,
    /// Two operations fit equally well.
    Ambiguous,
    /// Nothing fits.
    NoMatch,
}

/// What an abstention is missing.
#[napi(string_enum = "snake_case")]
pub enum Missing {
    /// Which kind of change.
    Operation,
    /// Which file, function or component.
    Target,
    /// Which behaviour is wrong or wanted.
    Behaviour,
    /// Which of two readings.
    Choice,
}

/// Where an intent came from.
#[napi(string_enum = "snake_case")]
pub enum SourceKind {
    /// The deterministic grammar.
    Grammar,
    /// A model's proposal, validated by the engine.
    Model,
}

/// Provenance of an intent.
#[napi(object)]
pub struct IntentSource {
    /// `grammar` or `model`.
    pub kind: SourceKind,
    /// Winning grammar rule, or `model`.
    pub rule_id: String,
    /// SHA-256 of the grammar (for a model intent: the grammar that abstained).
    pub grammar_hash: String,
    /// Grammar version.
    pub grammar_version: String,
    /// Model that proposed the intent.
    pub model: Option<String>,
    /// The provider's request id.
    pub request_id: Option<String>,
    /// SHA-256 of the prompt the model was given.
    pub prompt_hash: Option<String>,
}

/// Options for `parseIntent`.
#[napi(object)]
pub struct ParseIntentOptions {
    /// Minimum confidence (0..1); defaults to the grammar's threshold.
    pub threshold: Option<f64>,
    /// Paths of the repository, so suggestions name real files.
    pub files: Option<Vec<String>>,
}

/// A constraint extracted from the request.
#[napi(object)]
pub struct IntentConstraint {
    /// Constraint id, e.g. `no_test_changes`, `keep_public_api`.
    pub id: String,
    /// The phrase it came from.
    pub text: String,
}

/// Byte span of a slot in `proof.matchedText`.
#[napi(object)]
pub struct SlotSpan {
    /// Slot name.
    pub name: String,
    /// Start byte offset.
    pub start: u32,
    /// End byte offset (exclusive).
    pub end: u32,
}

/// How an intent was derived.
#[napi(object)]
pub struct IntentProof {
    /// SHA-256 hex of the normalised input.
    pub input_hash: String,
    /// SHA-256 hex of the grammar file.
    pub grammar_hash: String,
    /// Grammar version.
    pub grammar_version: String,
    /// Winning rule id.
    pub rule_id: String,
    /// Winning pattern.
    pub pattern: String,
    /// Normalised input.
    pub normalized: String,
    /// Text the pattern ran on (constraint phrases removed).
    pub matched_text: String,
    /// Slot spans.
    pub slot_spans: Vec<SlotSpan>,
}

/// A parsed intent.
#[napi(object)]
pub struct Intent {
    /// Operation.
    pub operation: Operation,
    /// Slot values (`target`, `description`, `new_path`, ...).
    #[napi(ts_type = "Record<string, string>")]
    pub slots: Value,
    /// Every path named in the request.
    pub targets: Vec<String>,
    /// Execution mode.
    pub mode: Mode,
    /// True for analyze and review.
    pub read_only: bool,
    /// Extracted constraints.
    pub constraints: Vec<IntentConstraint>,
    /// Confidence 0..1.
    pub confidence: f64,
    /// The intent as LogLine text.
    pub span: String,
    /// Derivation proof.
    pub proof: IntentProof,
    /// Where the intent came from.
    pub source: IntentSource,
}

/// An abstention.
#[napi(object)]
pub struct Abstain {
    /// Reason.
    pub reason: AbstainReason,
    /// What is missing.
    pub missing: Missing,
    /// Question to ask the user, naming what is missing.
    pub clarification: String,
    /// Rephrasings the grammar accepts.
    pub suggestions: Vec<String>,
    /// Operations considered, best first.
    pub candidates: Vec<Operation>,
    /// Confidence of the best candidate.
    pub confidence: f64,
}

/// Result of `parseIntent`.
#[napi(object)]
pub struct ParseIntentResult {
    /// True when `intent` is set.
    pub ok: bool,
    /// The intent.
    pub intent: Option<Intent>,
    /// The abstention.
    pub abstain: Option<Abstain>,
    /// Input or option errors.
    pub errors: Vec<EngineError>,
}

fn convert_intent(i: tdln_in::Intent) -> Intent {
    Intent {
        operation: i.operation.into(),
        slots: to_json(&i.slots),
        targets: i.targets,
        mode: match i.mode {
            tdln_in::Mode::Mechanic => Mode::Mechanic,
            tdln_in::Mode::Genius => Mode::Genius,
        },
        read_only: i.read_only,
        constraints: i
            .constraints
            .into_iter()
            .map(|c| IntentConstraint {
                id: c.id,
                text: c.text,
            })
            .collect(),
        confidence: i.confidence,
        span: i.span,
        proof: IntentProof {
            input_hash: i.proof.input_hash,
            grammar_hash: i.proof.grammar_hash,
            grammar_version: i.proof.grammar_version,
            rule_id: i.proof.rule_id,
            pattern: i.proof.pattern,
            normalized: i.proof.normalized,
            matched_text: i.proof.matched_text,
            slot_spans: i
                .proof
                .slot_spans
                .into_iter()
                .map(|s| SlotSpan {
                    name: s.name,
                    start: s.start as u32,
                    end: s.end as u32,
                })
                .collect(),
        },
        source: IntentSource {
            kind: match i.source.kind {
                tdln_in::SourceKind::Grammar => SourceKind::Grammar,
                tdln_in::SourceKind::Model => SourceKind::Model,
            },
            rule_id: i.source.rule_id,
            grammar_hash: i.source.grammar_hash,
            grammar_version: i.source.grammar_version,
            model: i.source.model,
            request_id: i.source.request_id,
            prompt_hash: i.source.prompt_hash,
        },
    }
}

fn convert_parse(r: tdln_in::ParseResult) -> ParseIntentResult {
    ParseIntentResult {
        ok: r.ok,
        intent: r.intent.map(convert_intent),
        abstain: r.abstain.map(|a| Abstain {
            reason: match a.reason {
                tdln_in::AbstainReason::TooVague => AbstainReason::TooVague,
                tdln_in::AbstainReason::Ambiguous => AbstainReason::Ambiguous,
                tdln_in::AbstainReason::NoMatch => AbstainReason::NoMatch,
            },
            missing: match a.missing {
                tdln_in::Missing::Operation => Missing::Operation,
                tdln_in::Missing::Target => Missing::Target,
                tdln_in::Missing::Behaviour => Missing::Behaviour,
                tdln_in::Missing::Choice => Missing::Choice,
            },
            clarification: a.clarification,
            suggestions: a.suggestions,
            candidates: a.candidates.into_iter().map(Operation::from).collect(),
            confidence: a.confidence,
        }),
        errors: errs(r.errors),
    }
}

impl TryFrom<ParseIntentOptions> for tdln_in::ParseOptions {
    type Error = EngineError;
    fn try_from(o: ParseIntentOptions) -> std::result::Result<Self, EngineError> {
        let threshold = o.threshold;
        if let Some(t) = threshold {
            if !(0.0..=1.0).contains(&t) {
                return Err(EngineError {
                    code: "invalid_option".into(),
                    message: "threshold must be between 0 and 1".into(),
                    path: Some("options.threshold".into()),
                });
            }
        }
        Ok(tdln_in::ParseOptions {
            threshold,
            files: o.files.unwrap_or_default(),
        })
    }
}

/// Parses a natural-language request into an intent, or abstains with a reason and a question.
#[napi]
pub fn parse_intent(text: String, options: Option<ParseIntentOptions>) -> ParseIntentResult {
    let fail = |e: EngineError| ParseIntentResult {
        ok: false,
        intent: None,
        abstain: None,
        errors: vec![e],
    };
    guard(
        || {
            let opts =
                match tdln_in::ParseOptions::try_from(options.unwrap_or(ParseIntentOptions {
                    threshold: None,
                    files: None,
                })) {
                    Ok(o) => o,
                    Err(e) => return fail(e),
                };
            convert_parse(tdln_in::parse_intent(&text, opts))
        },
        fail,
    )
}

/// Who proposed an intent: the model, the provider's request id and the prompt's hash.
#[napi(object)]
pub struct ModelSource {
    /// Model name.
    pub model: String,
    /// The provider's request id.
    pub request_id: String,
    /// SHA-256 of the prompt the model was given.
    pub prompt_hash: String,
}

/// Reads a model's proposal (the input of its forced tool call) for a request into an intent
/// with the model as its source, or an abstention with the model's question; a proposal that
/// does not fit the schema, names an unknown operation or constraint, or points outside the
/// repository comes back as `errors` (code `invalid_proposal`, `path` the field).
#[napi]
pub fn intent_from_proposal(
    text: String,
    #[napi(ts_arg_type = "Record<string, unknown>")] proposal: Value,
    source: ModelSource,
) -> ParseIntentResult {
    let fail = |e: EngineError| ParseIntentResult {
        ok: false,
        intent: None,
        abstain: None,
        errors: vec![e],
    };
    guard(
        || {
            convert_parse(tdln_in::intent_from_proposal(
                &text,
                &proposal,
                &tdln_in::ModelSource {
                    model: source.model.clone(),
                    request_id: source.request_id.clone(),
                    prompt_hash: source.prompt_hash.clone(),
                },
            ))
        },
        fail,
    )
}

/// The JSON schema of an intent proposal: the input schema of the tool a model must call to
/// propose an intent, built from the engine's own operations and constraints.
#[napi(ts_return_type = "Record<string, unknown>")]
pub fn intent_proposal_schema() -> Value {
    tdln_in::proposal_schema()
}

// ---------------------------------------------------------------------------------------------
// tdln-policy

/// Kind of a proposed action.
#[napi(string_enum = "snake_case")]
pub enum ActionType {
    /// A file change (`path`, `kind`, `added`, `removed`).
    FileChange,
    /// A shell command (`command`).
    Command,
    /// A commit (`message`).
    Commit,
    /// A push (`force`, `branch`).
    Push,
}

/// Kind of file change.
#[napi(string_enum = "snake_case")]
pub enum ChangeKind {
    /// New file.
    Create,
    /// Modified file.
    Edit,
    /// Deleted file.
    Delete,
}

/// How git records a file (its mode in the tree).
#[napi(string_enum = "snake_case")]
pub enum FileMode {
    /// A regular file (100644).
    Regular,
    /// An executable file (100755).
    Executable,
    /// A symbolic link (120000).
    Symlink,
    /// A gitlink (160000): a submodule pointer.
    Gitlink,
}

/// A proposed action (fields used depend on `type`).
#[napi(object)]
pub struct PolicyAction {
    /// Action type.
    #[napi(js_name = "type")]
    pub action_type: ActionType,
    /// File path (file_change).
    pub path: Option<String>,
    /// Change kind (file_change).
    pub kind: Option<ChangeKind>,
    /// Lines added (file_change).
    pub added: Option<u32>,
    /// Lines removed (file_change).
    pub removed: Option<u32>,
    /// The file's mode as git will write it (file_change; absent when not known yet).
    pub mode: Option<FileMode>,
    /// Where a symlink points, as written in the link (file_change with mode `symlink`).
    pub link_target: Option<String>,
    /// The change alters what defines a green test run, e.g. package.json's test scripts (file_change).
    pub defines_tests: Option<bool>,
    /// Command line (command).
    pub command: Option<String>,
    /// Commit message (commit).
    pub message: Option<String>,
    /// Force push (push).
    pub force: Option<bool>,
    /// Branch (push).
    pub branch: Option<String>,
}

/// The part of the intent the policy looks at.
#[napi(object)]
pub struct PolicyIntent {
    /// Operation name.
    pub operation: Option<String>,
    /// Read-only intent.
    pub read_only: Option<bool>,
    /// Target paths.
    pub targets: Option<Vec<String>>,
    /// Constraint ids the request stated (`no_test_changes`, `no_commit`, ...).
    pub constraints: Option<Vec<String>>,
}

/// Changes already made in this job.
#[napi(object)]
pub struct PolicyCumulative {
    /// Distinct files changed so far.
    pub files: Option<Vec<String>>,
    /// Lines changed so far.
    pub lines_changed: Option<u32>,
}

/// Input to `evaluatePolicy`.
#[napi(object)]
pub struct PolicyInput {
    /// Job mode; selects the preset when no policy text is given.
    pub mode: Option<Mode>,
    /// The intent.
    pub intent: Option<PolicyIntent>,
    /// Actions proposed now.
    pub actions: Option<Vec<PolicyAction>>,
    /// State before these actions.
    pub cumulative: Option<PolicyCumulative>,
    /// Did the test suite pass after the last edit?
    pub last_test_passed_after_last_edit: Option<bool>,
    /// Rule ids a human already approved for this job.
    pub approved_rules: Option<Vec<String>>,
    /// The request as its author wrote it, judged by the request rules whatever parsed it.
    pub request: Option<String>,
}

impl TryFrom<PolicyInput> for tdln_policy::PolicyInput {
    type Error = EngineError;
    fn try_from(i: PolicyInput) -> std::result::Result<Self, EngineError> {
        use tdln_policy::Action as A;
        let mut actions = Vec::new();
        for (n, a) in i.actions.unwrap_or_default().into_iter().enumerate() {
            let missing = |f: &str| EngineError {
                code: "invalid_input".into(),
                message: format!("action needs `{f}`"),
                path: Some(format!("actions[{n}].{f}")),
            };
            actions.push(match a.action_type {
                ActionType::FileChange => A::FileChange {
                    path: a.path.ok_or_else(|| missing("path"))?,
                    kind: match a.kind.ok_or_else(|| missing("kind"))? {
                        ChangeKind::Create => tdln_policy::ChangeKind::Create,
                        ChangeKind::Edit => tdln_policy::ChangeKind::Edit,
                        ChangeKind::Delete => tdln_policy::ChangeKind::Delete,
                    },
                    added: a.added.unwrap_or(0),
                    removed: a.removed.unwrap_or(0),
                    mode: a.mode.map(|m| match m {
                        FileMode::Regular => tdln_policy::FileMode::Regular,
                        FileMode::Executable => tdln_policy::FileMode::Executable,
                        FileMode::Symlink => tdln_policy::FileMode::Symlink,
                        FileMode::Gitlink => tdln_policy::FileMode::Gitlink,
                    }),
                    link_target: a.link_target,
                    defines_tests: a.defines_tests.unwrap_or(false),
                },
                ActionType::Command => A::Command {
                    command: a.command.ok_or_else(|| missing("command"))?,
                },
                ActionType::Commit => A::Commit {
                    message: a.message.unwrap_or_default(),
                },
                ActionType::Push => A::Push {
                    force: a.force.unwrap_or(false),
                    branch: a.branch.unwrap_or_default(),
                },
            });
        }
        Ok(tdln_policy::PolicyInput {
            mode: match i.mode {
                Some(Mode::Genius) => tdln_policy::Mode::Genius,
                _ => tdln_policy::Mode::Mechanic,
            },
            intent: i.intent.map(|t| tdln_policy::IntentSummary {
                operation: t.operation.unwrap_or_default(),
                read_only: t.read_only.unwrap_or(false),
                targets: t.targets.unwrap_or_default(),
                constraints: t.constraints.unwrap_or_default(),
            }),
            actions,
            cumulative: i
                .cumulative
                .map(|c| tdln_policy::Cumulative {
                    files: c.files.unwrap_or_default(),
                    lines_changed: c.lines_changed.unwrap_or(0),
                })
                .unwrap_or_default(),
            last_test_passed_after_last_edit: i.last_test_passed_after_last_edit,
            approved_rules: i.approved_rules.unwrap_or_default(),
            request: i.request,
        })
    }
}

/// Policy verdict.
#[napi(string_enum = "snake_case")]
pub enum PolicyVerdict {
    /// Go ahead.
    Allow,
    /// Go ahead and report.
    Warn,
    /// A human must approve.
    RequireApproval,
    /// Not allowed.
    Block,
}

impl From<tdln_policy::Verdict> for PolicyVerdict {
    fn from(v: tdln_policy::Verdict) -> Self {
        match v {
            tdln_policy::Verdict::Allow => Self::Allow,
            tdln_policy::Verdict::Warn => Self::Warn,
            tdln_policy::Verdict::RequireApproval => Self::RequireApproval,
            tdln_policy::Verdict::Block => Self::Block,
        }
    }
}

/// Risk level.
#[napi(string_enum = "snake_case")]
pub enum RiskLevel {
    /// 0-24
    Low,
    /// 25-49
    Medium,
    /// 50-79
    High,
    /// 80-100
    Critical,
}

/// A rule violation.
#[napi(object)]
pub struct PolicyViolation {
    /// Rule id (e.g. `forbidden_path`, `max_files`, `commit_requires_green_tests`).
    pub rule_id: String,
    /// Verdict this violation calls for.
    pub severity: PolicyVerdict,
    /// What happened.
    pub message: String,
    /// Path or command concerned.
    pub path: Option<String>,
    /// What to do.
    pub remediation: String,
    /// The words of the request that fired a request rule.
    pub evidence: Option<String>,
}

/// Change totals after the proposed actions.
#[napi(object)]
pub struct PolicyTotals {
    /// Distinct files changed.
    pub files: u32,
    /// Lines changed.
    pub lines: u32,
    /// File limit.
    pub max_files: u32,
    /// Line limit.
    pub max_lines: u32,
}

/// A policy decision.
#[napi(object)]
pub struct PolicyDecision {
    /// Verdict (fails closed to `block` on invalid input or policy).
    pub verdict: PolicyVerdict,
    /// Risk 0-100.
    pub risk_score: u32,
    /// Risk level.
    pub risk_level: RiskLevel,
    /// Violations, most severe first.
    pub violations: Vec<PolicyViolation>,
    /// Remediation steps.
    pub remediation: Vec<String>,
    /// Policy id.
    pub policy_id: String,
    /// Policy version.
    pub policy_version: String,
    /// SHA-256 of the policy's canonical JSON.
    pub policy_hash: String,
    /// SHA-256 of the request rules, when a request text was judged.
    pub request_rules_hash: Option<String>,
    /// Totals.
    pub totals: PolicyTotals,
    /// Errors.
    pub errors: Vec<EngineError>,
}

fn convert_decision(d: tdln_policy::Decision) -> PolicyDecision {
    PolicyDecision {
        verdict: d.verdict.into(),
        risk_score: d.risk_score,
        risk_level: match d.risk_level {
            tdln_policy::RiskLevel::Low => RiskLevel::Low,
            tdln_policy::RiskLevel::Medium => RiskLevel::Medium,
            tdln_policy::RiskLevel::High => RiskLevel::High,
            tdln_policy::RiskLevel::Critical => RiskLevel::Critical,
        },
        violations: d
            .violations
            .into_iter()
            .map(|v| PolicyViolation {
                rule_id: v.rule_id,
                severity: v.severity.into(),
                message: v.message,
                path: v.path,
                remediation: v.remediation,
                evidence: v.evidence,
            })
            .collect(),
        remediation: d.remediation,
        policy_id: d.policy_id,
        policy_version: d.policy_version,
        policy_hash: d.policy_hash,
        request_rules_hash: d.request_rules_hash,
        totals: PolicyTotals {
            files: d.totals.files,
            lines: d.totals.lines,
            max_files: d.totals.max_files,
            max_lines: d.totals.max_lines,
        },
        errors: errs(d.errors),
    }
}

fn failed_decision(e: EngineError) -> PolicyDecision {
    PolicyDecision {
        verdict: PolicyVerdict::Block,
        risk_score: 100,
        risk_level: RiskLevel::Critical,
        violations: Vec::new(),
        remediation: vec!["Fix the policy input; decisions fail closed.".into()],
        policy_id: String::new(),
        policy_version: String::new(),
        policy_hash: String::new(),
        request_rules_hash: None,
        totals: PolicyTotals {
            files: 0,
            lines: 0,
            max_files: 0,
            max_lines: 0,
        },
        errors: vec![e],
    }
}

/// Evaluates proposed actions against a policy (TOML or JSON text) or the mode's preset.
#[napi]
pub fn evaluate_policy(input: PolicyInput, policy_text: Option<String>) -> PolicyDecision {
    guard(
        || {
            let input = match tdln_policy::PolicyInput::try_from(input) {
                Ok(i) => i,
                Err(e) => return failed_decision(e),
            };
            match tdln_policy::compiled(policy_text.as_deref(), input.mode) {
                Ok(policy) => convert_decision(tdln_policy::evaluate_compiled(&input, &policy)),
                Err(e) => failed_decision(e.into()),
            }
        },
        failed_decision,
    )
}

/// Returns the preset policy text (TOML) for a mode.
#[napi]
pub fn policy_preset(mode: Mode) -> String {
    match mode {
        Mode::Mechanic => tdln_policy::MECHANIC_POLICY.to_string(),
        Mode::Genius => tdln_policy::GENIUS_POLICY.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// tdln-quality

/// Test results.
#[napi(object)]
pub struct QualityTests {
    /// Did the suite run?
    pub ran: bool,
    /// Passed.
    pub passed: u32,
    /// Failed.
    pub failed: u32,
}

/// Lint results.
#[napi(object)]
pub struct QualityLint {
    /// Did lint run?
    pub ran: bool,
    /// Errors.
    pub errors: u32,
    /// The repository has no linter (lint is then "not configured", not missing).
    pub not_configured: Option<bool>,
}

/// Change size.
#[napi(object)]
pub struct QualityChange {
    /// Files changed.
    pub files: u32,
    /// Lines changed.
    pub lines: u32,
}

/// Evidence paths.
#[napi(object)]
pub struct QualityEvidence {
    /// Files changed.
    pub touched: Vec<String>,
    /// Files read.
    pub read: Vec<String>,
}

/// Input to `checkQuality`.
#[napi(object)]
pub struct QualityInput {
    /// Tests.
    pub tests: QualityTests,
    /// Lint.
    pub lint: QualityLint,
    /// Change size.
    pub change: QualityChange,
    /// Budget use as fractions by dimension, e.g. `{ tokens: 0.4, time: 0.7 }`.
    pub budget: Option<std::collections::HashMap<String, f64>>,
    /// The final answer text.
    pub final_answer: String,
    /// Evidence.
    pub evidence: QualityEvidence,
    /// Read-only job (tests/lint not required).
    pub read_only: Option<bool>,
    /// The lines the change adds (from the commit's diff), where unfinished-work markers are looked for.
    pub added_lines: Option<Vec<String>>,
}

/// Gate verdict.
#[napi(string_enum)]
pub enum GateVerdict {
    /// All checks passed.
    #[napi(value = "OK")]
    Ok,
    /// Passed with warnings.
    #[napi(value = "WARN")]
    Warn,
    /// Must not ship.
    #[napi(value = "BLOCK")]
    Block,
}

/// Status of one check.
#[napi(string_enum = "snake_case")]
pub enum CheckStatus {
    /// Fine.
    Pass,
    /// Warning.
    Warn,
    /// Blocking.
    Fail,
}

/// One check.
#[napi(object)]
pub struct QualityCheck {
    /// Check id.
    pub id: String,
    /// Status.
    pub status: CheckStatus,
    /// Explanation.
    pub message: String,
}

/// Result of `checkQuality`.
#[napi(object)]
pub struct QualityVerdict {
    /// OK / WARN / BLOCK.
    pub verdict: GateVerdict,
    /// 0-100.
    pub score: u32,
    /// Profile used.
    pub profile: String,
    /// Every check.
    pub checks: Vec<QualityCheck>,
    /// Ids of checks that did not pass.
    pub failing: Vec<String>,
    /// Paths claimed by the answer but absent from the evidence.
    pub unverified_paths: Vec<String>,
    /// Errors.
    pub errors: Vec<EngineError>,
}

/// Runs the end-of-job quality gate with a profile (`mechanic` or `genius`).
#[napi]
pub fn check_quality(input: QualityInput, profile: String) -> QualityVerdict {
    let blocked = |e: EngineError, profile: String| QualityVerdict {
        verdict: GateVerdict::Block,
        score: 0,
        profile,
        checks: Vec::new(),
        failing: Vec::new(),
        unverified_paths: Vec::new(),
        errors: vec![e],
    };
    let p2 = profile.clone();
    guard(
        move || {
            let i = tdln_quality::QualityInput {
                tests: tdln_quality::TestsInfo {
                    ran: input.tests.ran,
                    passed: input.tests.passed,
                    failed: input.tests.failed,
                },
                lint: tdln_quality::LintInfo {
                    ran: input.lint.ran,
                    errors: input.lint.errors,
                    not_configured: input.lint.not_configured.unwrap_or(false),
                },
                change: tdln_quality::ChangeSize {
                    files: input.change.files,
                    lines: input.change.lines,
                },
                budget: input.budget.unwrap_or_default().into_iter().collect(),
                final_answer: input.final_answer,
                evidence: tdln_quality::Evidence {
                    touched: input.evidence.touched,
                    read: input.evidence.read,
                },
                read_only: input.read_only.unwrap_or(false),
                added_lines: input.added_lines.unwrap_or_default(),
            };
            let q = tdln_quality::check_quality(&i, &profile);
            QualityVerdict {
                verdict: match q.verdict {
                    tdln_quality::GateVerdict::Ok => GateVerdict::Ok,
                    tdln_quality::GateVerdict::Warn => GateVerdict::Warn,
                    tdln_quality::GateVerdict::Block => GateVerdict::Block,
                },
                score: q.score,
                profile: q.profile,
                checks: q
                    .checks
                    .into_iter()
                    .map(|c| QualityCheck {
                        id: c.id,
                        status: match c.status {
                            tdln_quality::CheckStatus::Pass => CheckStatus::Pass,
                            tdln_quality::CheckStatus::Warn => CheckStatus::Warn,
                            tdln_quality::CheckStatus::Fail => CheckStatus::Fail,
                        },
                        message: c.message,
                    })
                    .collect(),
                failing: q.failing,
                unverified_paths: q.unverified_paths,
                errors: errs(q.errors),
            }
        },
        |e| blocked(e, p2),
    )
}

/// The paths a text claims, and those the evidence does not back.
#[napi(object)]
pub struct ClaimCheck {
    /// Path-like tokens of the text, in order of appearance.
    pub claimed: Vec<String>,
    /// Claimed paths that are not in the evidence.
    pub unverified: Vec<String>,
}

/// The quality gate's `claimed_paths` check on its own: the paths a text names that the evidence
/// (paths touched, read or listed) does not contain.
#[napi]
pub fn check_claims(text: String, evidence: Vec<String>) -> Result<ClaimCheck> {
    guard_throw(move || {
        let c = tdln_quality::check_claims(&text, &evidence);
        ClaimCheck {
            claimed: c.claimed,
            unverified: c.unverified,
        }
    })
}

// ---------------------------------------------------------------------------------------------
// tdln-out

/// One value a rendered text cites: its data path and the text it rendered as.
#[napi(object)]
pub struct CitedValue {
    /// Data path, e.g. `data.files[0].path`.
    pub path: String,
    /// The value as it appears in the text.
    pub value: String,
}

/// Result of `renderTemplate`.
#[napi(object)]
pub struct RenderResult {
    /// Rendered text (empty only when `errors` is not).
    pub text: String,
    /// Text with a `[data.path]` citation after every value.
    pub annotated_text: String,
    /// Data paths used, e.g. `data.files[0].path`.
    pub citations: Vec<String>,
    /// What each citation rendered as, in the order of `citations`.
    pub evidence: Vec<CitedValue>,
    /// Template id.
    pub template_id: String,
    /// Errors (missing field, wrong type, unknown template).
    pub errors: Vec<EngineError>,
}

/// Renders a template with data (an object, or JSON text of an object).
#[napi]
pub fn render_template(
    template_id: String,
    #[napi(ts_arg_type = "Record<string, unknown> | string")] data: Value,
) -> RenderResult {
    let id2 = template_id.clone();
    guard(
        move || {
            let r = match &data {
                Value::String(s) => tdln_out::render_json(&template_id, s),
                v => tdln_out::render(&template_id, v),
            };
            RenderResult {
                text: r.text,
                annotated_text: r.annotated_text,
                citations: r.citations,
                evidence: r
                    .evidence
                    .into_iter()
                    .map(|e| CitedValue {
                        path: e.path,
                        value: e.value,
                    })
                    .collect(),
                template_id: r.template_id,
                errors: errs(r.errors),
            }
        },
        |e| RenderResult {
            text: String::new(),
            annotated_text: String::new(),
            citations: Vec::new(),
            evidence: Vec::new(),
            template_id: id2,
            errors: vec![e],
        },
    )
}

/// Ids of all templates.
#[napi]
pub fn template_ids() -> Result<Vec<String>> {
    guard_throw(|| {
        tdln_out::templates()
            .map(|t| t.templates.keys().cloned().collect())
            .unwrap_or_default()
    })
}

// ---------------------------------------------------------------------------------------------
// tdln-truthpack

/// An Ed25519 key pair as hex.
#[napi(object)]
pub struct SigningKeyPair {
    /// 32-byte secret seed, hex.
    pub secret_key: String,
    /// 32-byte public key, hex.
    pub public_key: String,
}

/// Generates a new Ed25519 signing key pair.
#[napi]
pub fn generate_signing_key() -> Result<SigningKeyPair> {
    guard_throw(tdln_truthpack::generate_key)?
        .map(|k| SigningKeyPair {
            secret_key: k.secret_key,
            public_key: k.public_key,
        })
        .map_err(|e| Error::new(Status::GenericFailure, e.message))
}

/// One leaf of a pack.
#[napi(object)]
pub struct PackLeaf {
    /// Position.
    pub index: u32,
    /// SHA-256 hex of the item's canonical JSON.
    pub item_hash: String,
    /// RFC 6962 leaf hash hex.
    pub leaf_hash: String,
    /// The item's `kind` field when present.
    pub kind: Option<String>,
}

/// The statement a pack's signature covers (RFC 8785 canonical JSON of these fields).
#[napi(object)]
pub struct TruthPackStatement {
    /// `tdln-truthpack-statement/1`.
    #[napi(js_name = "type")]
    pub statement_type: String,
    /// The job's id.
    pub job_id: String,
    /// The repository the job ran on.
    pub repository: String,
    /// Commit the job started from.
    pub base_commit: String,
    /// Commit the job's work ends at.
    pub head_commit: String,
    /// Merkle root hex.
    pub root: String,
    /// Number of items.
    pub item_count: u32,
    /// When the pack was sealed (RFC 3339, UTC).
    pub sealed_at: String,
    /// Id of the signing key.
    pub key_id: String,
}

impl From<tdln_truthpack::Statement> for TruthPackStatement {
    fn from(s: tdln_truthpack::Statement) -> Self {
        Self {
            statement_type: s.statement_type,
            job_id: s.job_id,
            repository: s.repository,
            base_commit: s.base_commit,
            head_commit: s.head_commit,
            root: s.root,
            item_count: s.item_count as u32,
            sealed_at: s.sealed_at,
            key_id: s.key_id,
        }
    }
}

/// What a pack is bound to: its job, repository, base and head commits, and the time it is sealed.
#[napi(object)]
pub struct TruthPackBinding {
    /// The job's id.
    pub job_id: String,
    /// The repository the job ran on (server path or URL).
    pub repository: String,
    /// Commit the job started from (40 or 64 hex digits).
    pub base_commit: String,
    /// Commit the job's work ends at (the base commit when nothing changed).
    pub head_commit: String,
    /// RFC 3339 time in UTC, like `2026-12-05T10:15:00.000Z`.
    pub sealed_at: String,
}

impl From<TruthPackBinding> for tdln_truthpack::Binding {
    fn from(b: TruthPackBinding) -> Self {
        Self {
            job_id: b.job_id,
            repository: b.repository,
            base_commit: b.base_commit,
            head_commit: b.head_commit,
            sealed_at: b.sealed_at,
        }
    }
}

/// A signed truth pack.
#[napi(object)]
pub struct TruthPack {
    /// Format version: `tdln-truthpack/2` (bound to its job) or `tdln-truthpack/1` (legacy).
    pub version: String,
    /// `ed25519`.
    pub algorithm: String,
    /// Merkle root hex.
    pub root: String,
    /// Number of leaves.
    pub size: u32,
    /// Leaves.
    pub leaves: Vec<PackLeaf>,
    /// The provenance items.
    pub items: Vec<Value>,
    /// Public key hex.
    pub public_key: String,
    /// Id of the public key (absent in legacy packs).
    pub key_id: Option<String>,
    /// What the signature covers (absent in legacy packs).
    pub statement: Option<TruthPackStatement>,
    /// Signature hex over the statement's canonical JSON (legacy: over `tdln-truthpack/1:<root>`).
    pub signature: String,
}

/// Result of `buildTruthPack`.
#[napi(object)]
pub struct TruthPackResult {
    /// The pack.
    pub pack: Option<TruthPack>,
    /// The pack as JSON text (pass this to `verifyTruthPack`).
    pub pack_json: Option<String>,
    /// Errors.
    pub errors: Vec<EngineError>,
}

fn parse_items(items_json: &str) -> std::result::Result<Vec<Value>, EngineError> {
    match serde_json::from_str::<Value>(items_json) {
        Ok(Value::Array(a)) => Ok(a),
        Ok(_) => Err(EngineError {
            code: "invalid_items".into(),
            message: "items must be a JSON array".into(),
            path: None,
        }),
        Err(e) => Err(EngineError {
            code: "invalid_json".into(),
            message: e.to_string(),
            path: None,
        }),
    }
}

/// Builds a truth pack from a JSON array of provenance items and signs the statement that binds it to
/// its job, with a secret key (hex or base64).
#[napi]
pub fn build_truth_pack(
    items_json: String,
    binding: TruthPackBinding,
    secret_key: String,
) -> TruthPackResult {
    let fail = |e: EngineError| TruthPackResult {
        pack: None,
        pack_json: None,
        errors: vec![e],
    };
    guard(
        || {
            let items = match parse_items(&items_json) {
                Ok(i) => i,
                Err(e) => return fail(e),
            };
            match tdln_truthpack::build_pack(items, &binding.into(), &secret_key) {
                Err(e) => fail(e.into()),
                Ok(p) => TruthPackResult {
                    pack_json: serde_json::to_string(&p).ok(),
                    pack: Some(TruthPack {
                        version: p.version,
                        algorithm: p.algorithm,
                        root: p.root,
                        size: p.size as u32,
                        leaves: p
                            .leaves
                            .into_iter()
                            .map(|l| PackLeaf {
                                index: l.index as u32,
                                item_hash: l.item_hash,
                                leaf_hash: l.leaf_hash,
                                kind: l.kind,
                            })
                            .collect(),
                        items: p.items,
                        public_key: p.public_key,
                        key_id: p.key_id,
                        statement: p.statement.map(Into::into),
                        signature: p.signature,
                    }),
                    errors: Vec::new(),
                },
            }
        },
        fail,
    )
}

/// Result of a verification.
#[napi(object)]
pub struct VerifyResult {
    /// True when nothing is wrong.
    pub valid: bool,
    /// Every problem found.
    pub errors: Vec<EngineError>,
}

/// What a pack's signature proves.
#[napi(string_enum = "snake_case")]
pub enum PackFormat {
    /// The signature covers the statement: job, repository, commits, root, item count, time, key id.
    Bound,
    /// The signature covers the Merkle root alone: not bound to a job.
    Legacy,
}

/// Whose key a pack's signature was checked against.
#[napi(string_enum = "snake_case")]
pub enum KeyTrust {
    /// The trusted key given signed the pack.
    Trusted,
    /// Another key than the trusted one signed the pack.
    OtherKey,
    /// No trusted key was given: only the key inside the pack was used (self-consistency).
    Unchecked,
}

/// The verdict on a truth pack.
#[napi(object)]
pub struct TruthPackVerification {
    /// Intact and signed by the trusted key; false whenever no trusted key was given.
    pub valid: bool,
    /// Items, leaves, root, size and statement agree, and the signature verifies under the pack's own key.
    pub intact: bool,
    /// `bound` to a job, or `legacy` (root signature only).
    pub format: PackFormat,
    /// Whether the signer is the trusted key.
    pub key_trust: KeyTrust,
    /// The key the pack names (hex).
    pub public_key: String,
    /// Its key id.
    pub key_id: String,
    /// The signed statement (bound packs).
    pub statement: Option<TruthPackStatement>,
    /// Every problem found.
    pub errors: Vec<EngineError>,
}

/// Verifies a truth pack (JSON text) offline: consistency and signature under the key it names, and,
/// when `trustedKey` (hex or base64) is given, that this key is the one that signed it.
#[napi]
pub fn verify_truth_pack(pack_json: String, trusted_key: Option<String>) -> TruthPackVerification {
    guard(
        || {
            let v = tdln_truthpack::verify_pack_json(&pack_json, trusted_key.as_deref());
            TruthPackVerification {
                valid: v.valid,
                intact: v.intact,
                format: match v.format {
                    tdln_truthpack::PackFormat::Bound => PackFormat::Bound,
                    tdln_truthpack::PackFormat::Legacy => PackFormat::Legacy,
                },
                key_trust: match v.key_trust {
                    tdln_truthpack::KeyTrust::Trusted => KeyTrust::Trusted,
                    tdln_truthpack::KeyTrust::OtherKey => KeyTrust::OtherKey,
                    tdln_truthpack::KeyTrust::Unchecked => KeyTrust::Unchecked,
                },
                public_key: v.public_key,
                key_id: v.key_id,
                statement: v.statement.map(Into::into),
                errors: errs(v.errors),
            }
        },
        |e| TruthPackVerification {
            valid: false,
            intact: false,
            format: PackFormat::Legacy,
            key_trust: KeyTrust::Unchecked,
            public_key: String::new(),
            key_id: String::new(),
            statement: None,
            errors: vec![e],
        },
    )
}

/// Result of `truthPackRoot`.
#[napi(object)]
pub struct TruthPackRootResult {
    /// Merkle root hex.
    pub root: Option<String>,
    /// Errors.
    pub errors: Vec<EngineError>,
}

/// The Merkle root a pack of these items (a JSON array) carries, before anything is signed.
#[napi]
pub fn truth_pack_root(items_json: String) -> TruthPackRootResult {
    let fail = |e: EngineError| TruthPackRootResult {
        root: None,
        errors: vec![e],
    };
    guard(
        || match parse_items(&items_json)
            .and_then(|items| tdln_truthpack::items_root(&items).map_err(Into::into))
        {
            Ok(root) => TruthPackRootResult {
                root: Some(root),
                errors: Vec::new(),
            },
            Err(e) => fail(e),
        },
        fail,
    )
}

/// Result of `truthPackKeyId`.
#[napi(object)]
pub struct KeyIdResult {
    /// The key id: the first 16 hex digits of SHA-256 of the 32-byte public key.
    pub key_id: Option<String>,
    /// Errors (not a 32-byte key).
    pub errors: Vec<EngineError>,
}

/// The key id of an Ed25519 public key (hex or base64), as packs name their signer.
#[napi]
pub fn truth_pack_key_id(public_key: String) -> KeyIdResult {
    let fail = |e: EngineError| KeyIdResult {
        key_id: None,
        errors: vec![e],
    };
    guard(
        || match tdln_truthpack::key_id(&public_key) {
            Ok(id) => KeyIdResult {
                key_id: Some(id),
                errors: Vec::new(),
            },
            Err(e) => fail(e.into()),
        },
        fail,
    )
}

/// An RFC 6962 inclusion proof.
#[napi(object)]
pub struct InclusionProof {
    /// Leaf index.
    pub index: u32,
    /// Tree size.
    pub size: u32,
    /// Leaf hash hex.
    pub leaf_hash: String,
    /// Sibling hashes hex, leaf to root.
    pub path: Vec<String>,
    /// Root hex.
    pub root: String,
}

/// Result of `inclusionProof`.
#[napi(object)]
pub struct InclusionProofResult {
    /// The proof.
    pub proof: Option<InclusionProof>,
    /// Errors.
    pub errors: Vec<EngineError>,
}

/// Computes the inclusion proof for item `index` of a JSON array of items.
#[napi]
pub fn inclusion_proof(items_json: String, index: u32) -> InclusionProofResult {
    let fail = |e: EngineError| InclusionProofResult {
        proof: None,
        errors: vec![e],
    };
    guard(
        || {
            let items = match parse_items(&items_json) {
                Ok(i) => i,
                Err(e) => return fail(e),
            };
            match tdln_truthpack::inclusion_proof(&items, index as usize) {
                Ok(p) => InclusionProofResult {
                    proof: Some(InclusionProof {
                        index: p.index as u32,
                        size: p.size as u32,
                        leaf_hash: p.leaf_hash,
                        path: p.path,
                        root: p.root,
                    }),
                    errors: Vec::new(),
                },
                Err(e) => fail(e.into()),
            }
        },
        fail,
    )
}

/// Verifies that an item (JSON text) is included under `root` with the given proof.
#[napi]
pub fn verify_inclusion(item_json: String, proof: InclusionProof, root: String) -> VerifyResult {
    let fail = |e: EngineError| VerifyResult {
        valid: false,
        errors: vec![e],
    };
    guard(
        || {
            let item: Value = match serde_json::from_str(&item_json) {
                Ok(v) => v,
                Err(e) => {
                    return fail(EngineError {
                        code: "invalid_json".into(),
                        message: e.to_string(),
                        path: None,
                    })
                }
            };
            let p = tdln_truthpack::InclusionProof {
                index: proof.index as usize,
                size: proof.size as usize,
                leaf_hash: proof.leaf_hash,
                path: proof.path,
                root: proof.root,
            };
            match tdln_truthpack::verify_inclusion(&item, &p, &root) {
                Ok(true) => VerifyResult {
                    valid: true,
                    errors: Vec::new(),
                },
                Ok(false) => VerifyResult {
                    valid: false,
                    errors: vec![EngineError {
                        code: "not_included".into(),
                        message: "the proof does not lead to the root".into(),
                        path: None,
                    }],
                },
                Err(e) => fail(e.into()),
            }
        },
        fail,
    )
}

// ---------------------------------------------------------------------------------------------
// Core, registry, stages

/// Result of `canonicalJson`.
#[napi(object)]
pub struct CanonicalJsonResult {
    /// RFC 8785 canonical JSON.
    pub json: Option<String>,
    /// Errors (invalid JSON).
    pub errors: Vec<EngineError>,
}

/// Canonicalises JSON text per RFC 8785 (JCS).
#[napi]
pub fn canonical_json(text: String) -> CanonicalJsonResult {
    guard(
        || match tdln_core::canonical_json(&text) {
            Ok(j) => CanonicalJsonResult {
                json: Some(j),
                errors: Vec::new(),
            },
            Err(e) => CanonicalJsonResult {
                json: None,
                errors: vec![e.into()],
            },
        },
        |e| CanonicalJsonResult {
            json: None,
            errors: vec![e],
        },
    )
}

/// Lowercase hex SHA-256 of the UTF-8 bytes of `text`.
#[napi]
pub fn sha256_hex(text: String) -> Result<String> {
    guard_throw(|| tdln_core::sha256_hex(text.as_bytes()))
}

/// A versioned, content-addressed artefact.
#[napi(object)]
pub struct Artefact {
    /// `grammar`, `templates`, `policy`, `quality_profiles` or `stages`.
    pub kind: String,
    /// Id.
    pub id: String,
    /// Version.
    pub version: String,
    /// SHA-256 hex of the source.
    pub sha256: String,
}

/// Result of `registryList`.
#[napi(object)]
pub struct RegistryListResult {
    /// Artefacts.
    pub artefacts: Vec<Artefact>,
    /// Errors.
    pub errors: Vec<EngineError>,
}

/// Lists every artefact embedded in the engine with id, version and SHA-256.
#[napi]
pub fn registry_list() -> RegistryListResult {
    guard(
        || match tdln_registry::registry_list() {
            Ok(a) => RegistryListResult {
                artefacts: a
                    .into_iter()
                    .map(|a| Artefact {
                        kind: a.kind,
                        id: a.id,
                        version: a.version,
                        sha256: a.sha256,
                    })
                    .collect(),
                errors: Vec::new(),
            },
            Err(e) => RegistryListResult {
                artefacts: Vec::new(),
                errors: vec![e.into()],
            },
        },
        |e| RegistryListResult {
            artefacts: Vec::new(),
            errors: vec![e],
        },
    )
}

/// One pipeline stage.
#[napi(object)]
pub struct PipelineStage {
    /// Stage name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Tool allow-list.
    pub tools: Vec<String>,
    /// Budget share (0..1].
    pub budget_share: f64,
    /// Skipped for read-only jobs.
    pub skip_when_read_only: bool,
}

/// Result of `validateStages` / `defaultStages`.
#[napi(object)]
pub struct StagesResult {
    /// True when valid.
    pub ok: bool,
    /// Config id.
    pub id: Option<String>,
    /// Config version.
    pub version: Option<String>,
    /// Ordered stages (when the config parsed).
    pub stages: Vec<PipelineStage>,
    /// SHA-256 of the config text.
    pub sha256: String,
    /// The config text.
    pub text: String,
    /// Every problem found.
    pub errors: Vec<EngineError>,
}

fn stages_result(text: String) -> StagesResult {
    let v = tdln_registry::validate_stages(&text);
    let (id, version, stages) = match v.config {
        Some(c) => (
            Some(c.id),
            Some(c.version),
            c.stages
                .into_iter()
                .map(|s| PipelineStage {
                    name: s.name,
                    role: s.role,
                    tools: s.tools,
                    budget_share: s.budget_share,
                    skip_when_read_only: s.skip_when_read_only,
                })
                .collect(),
        ),
        None => (None, None, Vec::new()),
    };
    StagesResult {
        ok: v.ok,
        id,
        version,
        stages,
        sha256: v.sha256,
        text,
        errors: errs(v.errors),
    }
}

fn stages_panic(e: EngineError) -> StagesResult {
    StagesResult {
        ok: false,
        id: None,
        version: None,
        stages: Vec::new(),
        sha256: String::new(),
        text: String::new(),
        errors: vec![e],
    }
}

/// Validates a stages config (TOML or JSON): unknown/duplicate stages, order, tools, budget shares.
#[napi]
pub fn validate_stages(config_text: String) -> StagesResult {
    guard(|| stages_result(config_text), stages_panic)
}

/// The embedded default stages config, parsed and validated.
#[napi]
pub fn default_stages() -> StagesResult {
    guard(
        || stages_result(tdln_registry::DEFAULT_STAGES.to_string()),
        stages_panic,
    )
}

/// Engine identity.
#[napi(object)]
pub struct EngineInfo {
    /// Engine crate version.
    pub version: String,
    /// Grammar id.
    pub grammar_id: String,
    /// Grammar version.
    pub grammar_version: String,
    /// Grammar SHA-256.
    pub grammar_hash: String,
    /// Number of grammar rules.
    pub rules: u32,
    /// Number of grammar patterns.
    pub patterns: u32,
    /// Templates SHA-256.
    pub templates_hash: String,
    /// Operations the grammar knows.
    pub operations: Vec<Operation>,
    /// Errors.
    pub errors: Vec<EngineError>,
}

/// Engine version and the hashes of its embedded grammar and templates.
#[napi]
pub fn engine_info() -> EngineInfo {
    let empty = |e: EngineError| EngineInfo {
        version: env!("CARGO_PKG_VERSION").into(),
        grammar_id: String::new(),
        grammar_version: String::new(),
        grammar_hash: String::new(),
        rules: 0,
        patterns: 0,
        templates_hash: String::new(),
        operations: Vec::new(),
        errors: vec![e],
    };
    guard(
        || {
            let g = match tdln_in::grammar() {
                Ok(g) => g,
                Err(e) => return empty(e.into()),
            };
            let (rules, patterns) = g.counts();
            EngineInfo {
                version: env!("CARGO_PKG_VERSION").into(),
                grammar_id: g.id.clone(),
                grammar_version: g.version.clone(),
                grammar_hash: g.hash.clone(),
                rules: rules as u32,
                patterns: patterns as u32,
                templates_hash: tdln_out::templates()
                    .map(|t| t.hash.clone())
                    .unwrap_or_default(),
                operations: tdln_in::OPERATIONS
                    .into_iter()
                    .map(Operation::from)
                    .collect(),
                errors: Vec::new(),
            }
        },
        empty,
    )
}

/// Parses every text `iterations` times inside Rust and returns the elapsed nanoseconds
/// (used by the benchmark to separate engine time from boundary overhead).
#[napi]
pub fn bench_parse_intents(texts: Vec<String>, iterations: u32) -> f64 {
    guard(
        || {
            let start = std::time::Instant::now();
            let mut ok = 0u64;
            for _ in 0..iterations {
                for t in &texts {
                    if tdln_in::parse_intent(t, tdln_in::ParseOptions::default()).ok {
                        ok += 1;
                    }
                }
            }
            std::hint::black_box(ok);
            start.elapsed().as_nanos() as f64
        },
        |_| -1.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_an_engine_call_becomes_an_error_value() {
        let r = guard(|| -> Vec<EngineError> { panic!("boom") }, |e| vec![e]);
        assert_eq!(r[0].code, "panic");
        assert!(r[0].message.contains("boom"));
    }
}
