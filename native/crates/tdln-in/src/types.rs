//! The intent and everything around it: operations, modes, abstentions, provenance, options.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tdln_core::EngineError;

/// The operations an intent can have.
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
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
    /// Deliberately alter existing behaviour, defaults or configuration.
    Change,
    /// Add, upgrade, pin or remove a third-party dependency, or the runtime version required.
    DependencyUpdate,
    /// Make something faster or smaller.
    Performance,
}

/// Every operation, in a stable order.
pub const OPERATIONS: [Operation; 13] = [
    Operation::BugFix,
    Operation::Feature,
    Operation::Change,
    Operation::DependencyUpdate,
    Operation::Performance,
    Operation::Refactor,
    Operation::Test,
    Operation::Document,
    Operation::Analyze,
    Operation::Review,
    Operation::FileCreate,
    Operation::FileDelete,
    Operation::FileRename,
];

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
            Operation::Change => "change",
            Operation::DependencyUpdate => "dependency_update",
            Operation::Performance => "performance",
        }
    }

    /// The operation of a snake_case name.
    pub fn from_name(name: &str) -> Option<Operation> {
        OPERATIONS.into_iter().find(|o| o.as_str() == name)
    }

    /// True for operations that never write.
    pub fn read_only(self) -> bool {
        matches!(self, Operation::Analyze | Operation::Review)
    }

    pub(crate) fn words(self) -> String {
        self.as_str().replace('_', " ")
    }
}

/// Execution mode: `mechanic` for small targeted work, `genius` for features, refactors, large jobs.
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
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

/// Why the parser declined to produce an intent. Whether a request is *allowed* is not the
/// parser's call: tdln-policy judges that, over the text and the intent, whatever parsed it.
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbstainReason {
    /// Recognised, but not specific enough to act on.
    TooVague,
    /// Two different operations fit equally well.
    Ambiguous,
    /// Nothing in the grammar fits.
    NoMatch,
}

/// What an abstention is missing, so the question can name it.
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// Which kind of change (fix, feature, ...).
    Operation,
    /// Which file, function or component.
    Target,
    /// Which behaviour is wrong or wanted.
    Behaviour,
    /// Which of two readings.
    Choice,
}

/// Where an intent came from.
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// The deterministic grammar.
    Grammar,
    /// A model's proposal, validated by the engine.
    Model,
}

/// Provenance of an intent: the grammar rule and grammar hash, or the model, its request id and
/// the hash of the prompt it was given.
#[cfg_attr(feature = "napi", napi_derive::napi(object))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntentSource {
    /// `grammar` or `model`.
    pub kind: SourceKind,
    /// Winning grammar rule (grammar), or `model`.
    pub rule_id: String,
    /// SHA-256 of the grammar (for a model intent: the grammar that abstained).
    pub grammar_hash: String,
    /// Grammar version.
    pub grammar_version: String,
    /// Model that proposed the intent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The model provider's request id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// SHA-256 of the prompt the model was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_hash: Option<String>,
}

/// A constraint extracted from the request (e.g. "don't touch tests").
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, js_name = "IntentConstraint")
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    /// Constraint id from the grammar (e.g. `no_test_changes`).
    pub id: String,
    /// The phrase it was extracted from (normalised).
    pub text: String,
}

/// Byte span of a slot inside `proof.matchedText`.
#[cfg_attr(feature = "napi", napi_derive::napi(object))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotSpan {
    /// Slot name.
    pub name: String,
    /// Start byte offset (inclusive).
    pub start: u32,
    /// End byte offset (exclusive).
    pub end: u32,
}

/// Evidence of how the intent was derived.
#[cfg_attr(feature = "napi", napi_derive::napi(object, js_name = "IntentProof"))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Proof {
    /// SHA-256 hex of the normalised input.
    pub input_hash: String,
    /// SHA-256 hex of the grammar file's content.
    pub grammar_hash: String,
    /// Grammar version.
    pub grammar_version: String,
    /// Winning rule id (`model` for a model's proposal).
    pub rule_id: String,
    /// Winning pattern (grammar source form; `label` when the author's label decided).
    pub pattern: String,
    /// The normalised sentence the grammar read.
    pub normalized: String,
    /// The text the pattern ran on (normalised input with constraint phrases removed).
    pub matched_text: String,
    /// Slot spans as byte offsets into `matched_text`.
    pub slot_spans: Vec<SlotSpan>,
}

/// A parsed intent.
#[cfg_attr(feature = "napi", napi_derive::napi(object))]
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
    /// Where the intent came from.
    pub source: IntentSource,
}

/// Why and how to ask the user again.
#[cfg_attr(feature = "napi", napi_derive::napi(object))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Abstain {
    /// The reason.
    pub reason: AbstainReason,
    /// What is missing.
    pub missing: Missing,
    /// A question to ask the user, naming what is missing.
    pub clarification: String,
    /// Rephrasings of the request that the grammar accepts (two or three).
    pub suggestions: Vec<String>,
    /// Operations that were considered, best first.
    pub candidates: Vec<Operation>,
    /// Confidence of the best candidate (0 when none).
    pub confidence: f64,
}

/// Result of [`parse_intent`]: exactly one of `intent` / `abstain` when `ok`, errors otherwise.
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, js_name = "ParseIntentResult")
)]
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
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParseOptions {
    /// Minimum confidence; defaults to the grammar's threshold.
    pub threshold: Option<f64>,
    /// Paths of the repository (top level and below), to make suggestions name real files.
    pub files: Vec<String>,
}
