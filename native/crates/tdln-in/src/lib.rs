#![deny(clippy::all)]
//! tdln-in: natural language → intent, driven by the versioned grammar `grammars/tdln-in.v2.toml`.
//! It reads a request as developers write it (commit subjects, changelog lines, issue titles),
//! and turns an intent a model proposed into the same shape, checked the same way.

mod normalize;
mod proposal;
mod suggest;

use logline::{Span, Value as LL};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;
use tdln_core::{sha256_hex, EngineError};

pub use normalize::{normalize, normalize_with, strip_labels, Labels};
pub use proposal::{intent_from_proposal, proposal_schema, ModelSource, Proposal};
/// The grammar source, embedded at build time.
pub const GRAMMAR_SOURCE: &str = include_str!("../../../grammars/tdln-in.v2.toml");

/// Longest input accepted (characters). Far above what the API takes (10,000): the engine never
/// refuses a request the API accepts for its length; it reads a long text by its first sentences.
pub const MAX_INPUT_CHARS: usize = 100_000;

/// Longest sentence the grammar reads; a longer one is cut at a word boundary.
const FOCUS_CHARS: usize = 400;
/// Score added to a match that starts where the request starts.
const LEAD_BONUS: f64 = 5.0;
/// Sentences tried, from the start of the text, before the grammar gives up.
const FOCUS_TRIES: usize = 3;

/// The operations an intent can have.
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

    fn words(self) -> String {
        self.as_str().replace('_', " ")
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

/// Why the parser declined to produce an intent. Whether a request is *allowed* is not the
/// parser's call: tdln-policy judges that, over the text and the intent, whatever parsed it.
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrammarFile {
    id: String,
    version: String,
    threshold: f64,
    slot_types: BTreeMap<String, SlotTypeDef>,
    tags: BTreeMap<String, Operation>,
    lemmas: LemmaDef,
    words: BTreeMap<String, String>,
    rules: Vec<RuleDef>,
    large: LargeDef,
    constraints: Vec<ConstraintDef>,
}

#[derive(Deserialize)]
struct SlotTypeDef {
    regex: String,
    weight: f64,
}

#[derive(Deserialize)]
struct LemmaDef {
    verbs: Vec<String>,
    irregular: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    id: String,
    operation: Operation,
    mode: Mode,
    target_expected: bool,
    examples: Vec<String>,
    rephrase: Vec<String>,
    patterns: Vec<String>,
}

#[derive(Deserialize)]
struct LargeDef {
    patterns: Vec<String>,
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
    rephrase: Vec<String>,
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
    constraints: Vec<(String, Regex)>,
    constraint_ids: Vec<String>,
    tags: HashMap<String, Operation>,
    lemmas: HashMap<String, String>,
    path_regex: Regex,
}

const DET: &str = "(?:(?:the|a|an|this|that|these|those|my|our|some|all the|every|its|their) )?";
const IN: &str = "(?:in|inside|within|from|of|on|at|to|for)";

fn expand(
    pattern: &str,
    types: &BTreeMap<String, SlotTypeDef>,
    words: &BTreeMap<String, String>,
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
            // The rest of the sentence: matched, but neither literal nor a slot of the intent.
            ("tail", None) => {
                out.push_str("(?P<tail>.*)");
                slots.push(("tail".to_string(), 0.0));
            }
            ("in", None) => out.push_str(IN),
            (_, Some(ty)) => {
                let def = types
                    .get(ty.as_str())
                    .ok_or_else(|| format!("unknown slot type {}", ty.as_str()))?;
                out.push_str(&format!("(?P<{name}>{})", def.regex));
                slots.push((name.to_string(), def.weight));
            }
            (_, None) => match words.get(name) {
                Some(list) => out.push_str(&format!("(?:{list})")),
                None => return Err(format!("unknown placeholder {{{name}}}")),
            },
        }
    }
    out.push_str(&pattern[last..]);
    Ok((out, slots))
}

/// Every inflected form of a base verb ("fix" -> fixes, fixed, fixing; "drop" -> dropped).
fn inflections(base: &str) -> Vec<String> {
    let mut forms = vec![format!("{base}s"), format!("{base}ing")];
    let chars: Vec<char> = base.chars().collect();
    let last = chars.last().copied().unwrap_or(' ');
    let vowel = |c: char| "aeiou".contains(c);
    if base.ends_with('e') {
        let stem = &base[..base.len() - 1];
        forms.push(format!("{base}d"));
        forms.push(format!("{stem}ing"));
    } else if last == 'y' && chars.len() > 1 && !vowel(chars[chars.len() - 2]) {
        let stem = &base[..base.len() - 1];
        forms.push(format!("{stem}ies"));
        forms.push(format!("{stem}ied"));
    } else {
        forms.push(format!("{base}ed"));
        if ["s", "x", "z", "ch", "sh"].iter().any(|e| base.ends_with(e)) {
            forms.push(format!("{base}es"));
        }
        // A short closed syllable doubles its consonant: drop -> dropped, pin -> pinning.
        let n = chars.len();
        if n >= 3
            && !vowel(last)
            && !"wxy".contains(last)
            && vowel(chars[n - 2])
            && !vowel(chars[n - 3])
            && base.split(' ').count() == 1
            && n <= 4
        {
            forms.push(format!("{base}{last}ed"));
            forms.push(format!("{base}{last}ing"));
        }
    }
    forms
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
                let (expanded, slots) =
                    expand(p, &file.slot_types, &file.words).map_err(|e| bad(&r.id, e))?;
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
                rephrase: r.rephrase,
                patterns,
            });
        }
        let compile_plain = |p: &str| -> Result<Regex, EngineError> {
            let (expanded, _) =
                expand(p, &file.slot_types, &file.words).map_err(|e| bad(p, e))?;
            Regex::new(&expanded).map_err(|e| bad(p, e.to_string()))
        };
        let large = file
            .large
            .patterns
            .iter()
            .map(|p| compile_plain(p))
            .collect::<Result<_, _>>()?;
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
        let mut lemmas = HashMap::new();
        for verb in &file.lemmas.verbs {
            for form in inflections(verb) {
                lemmas.entry(form).or_insert_with(|| verb.clone());
            }
        }
        for (form, base) in &file.lemmas.irregular {
            lemmas.insert(form.clone(), base.clone());
        }
        Ok(Grammar {
            id: file.id,
            version: file.version,
            hash: sha256_hex(source),
            threshold: file.threshold,
            rules,
            large,
            constraint_ids: file.constraints.iter().map(|c| c.id.clone()).collect(),
            constraints,
            tags: file.tags.into_iter().collect(),
            lemmas,
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

    /// Constraint ids the grammar knows.
    pub fn constraint_ids(&self) -> &[String] {
        &self.constraint_ids
    }

    /// A request normalised the way the grammar reads it (labels off, verb in its base form).
    pub fn normalize(&self, text: &str) -> String {
        let (rest, _) = strip_labels(text);
        normalize_with(&rest, |t| self.is_path(t), &self.lemmas)
    }

    fn rule_for(&self, op: Operation) -> Option<&CompiledRule> {
        self.rules.iter().find(|r| r.operation == op)
    }

    fn source(&self, rule_id: &str) -> IntentSource {
        IntentSource {
            kind: SourceKind::Grammar,
            rule_id: rule_id.to_string(),
            grammar_hash: self.hash.clone(),
            grammar_version: self.version.clone(),
            model: None,
            request_id: None,
            prompt_hash: None,
        }
    }

    /// Constraints in a normalised text, and the spans of their phrases.
    fn constraints_in(&self, normalized: &str) -> (Vec<Constraint>, Vec<(usize, usize)>) {
        let mut found: Vec<Constraint> = Vec::new();
        let mut spans = Vec::new();
        for (id, re) in &self.constraints {
            for m in re.find_iter(normalized) {
                if !found.iter().any(|c| &c.id == id) {
                    found.push(Constraint {
                        id: id.clone(),
                        text: m.as_str().to_string(),
                    });
                }
                spans.push((m.start(), m.end()));
            }
        }
        (found, spans)
    }

    /// Paths named in a normalised text: not URLs, not scoped package names, in order, once.
    fn paths_in(&self, normalized: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for tok in normalized.split_whitespace() {
            let url = tok.contains("://") || tok.starts_with("www.");
            if g_is_target(self, tok) && !url && !out.iter().any(|t| t == tok) {
                out.push(tok.to_string());
            }
        }
        out
    }
}

fn g_is_target(g: &Grammar, tok: &str) -> bool {
    g.is_path(tok) && !tok.starts_with('@') && !tok.contains("node_modules")
}

static GRAMMAR: LazyLock<Result<Grammar, EngineError>> =
    LazyLock::new(|| Grammar::compile(GRAMMAR_SOURCE));

/// The embedded grammar, compiled once.
pub fn grammar() -> Result<&'static Grammar, EngineError> {
    GRAMMAR.as_ref().map_err(Clone::clone)
}

struct Candidate<'g> {
    rule: &'g CompiledRule,
    pattern: Option<&'g CompiledPattern>,
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
    "now",
    "please",
];

/// Words that, alone, leave a description saying nothing ("it is broken again").
const EMPTY_DESCRIPTION_WORDS: &[&str] = &[
    "is", "are", "was", "were", "broken", "still", "already", "anymore", "somebody", "someone",
    "anyone", "just", "really", "quickly", "asap", "too", "as", "well", "for", "me", "us", "up",
    "fix", "do", "make", "get", "please",
];

fn is_vague(text: &str) -> bool {
    let t = text.trim();
    VAGUE_WORDS.contains(&t)
        || t
            .split_whitespace()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
            .filter(|w| !w.is_empty())
            .all(|w| VAGUE_WORDS.contains(&w) || EMPTY_DESCRIPTION_WORDS.contains(&w))
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
    words.join(" ")
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
    match grammar() {
        Ok(g) => parse_with(g, text, options),
        Err(e) => ParseResult {
            ok: false,
            intent: None,
            abstain: None,
            errors: vec![e],
        },
    }
}

/// The sentences a long text is read by: its first lines, and the first sentences of those, each
/// cut to [`FOCUS_CHARS`]. A GitHub issue is read by its title, then its opening sentences.
fn focus_sentences(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim().trim_start_matches('#').trim();
        if line.is_empty() || line.starts_with("```") || line.starts_with('>') {
            continue;
        }
        for sentence in sentences(line) {
            let cut = cut_at_word(sentence.trim(), FOCUS_CHARS);
            if !cut.is_empty() {
                out.push(cut.to_string());
            }
            if out.len() >= FOCUS_TRIES {
                return out;
            }
        }
    }
    out
}

/// Splits a line at sentence ends: `.`, `!` or `?` followed by a space and a capital, a bracket
/// or a quote — so paths (`src/a.ts`), versions (`v1.2`) and `e.g.` stay whole.
fn sentences(line: &str) -> Vec<&str> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + 2 < bytes.len() {
        if bytes[i] == b';' && bytes[i + 1] == b' ' {
            out.push(&line[start..i]);
            start = i + 2;
        } else if matches!(bytes[i], b'.' | b'!' | b'?') && bytes[i + 1] == b' ' {
            let next = bytes[i + 2];
            let abbreviation = line[start..=i]
                .rsplit(' ')
                .next()
                .is_some_and(|w| matches!(w.to_lowercase().as_str(), "e.g." | "i.e." | "etc." | "vs." | "cf."));
            if (next.is_ascii_uppercase() || matches!(next, b'[' | b'`' | b'"' | b'(')) && !abbreviation {
                out.push(&line[start..=i]);
                start = i + 2;
            }
        }
        i += 1;
    }
    out.push(&line[start..]);
    out
}

fn cut_at_word(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    match text[..end].rfind(' ') {
        Some(space) if space > max / 2 => &text[..space],
        _ => &text[..end],
    }
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
    let focus = focus_sentences(text);
    if focus.is_empty() {
        return suggest::abstain(
            g,
            &options,
            "",
            Some(Operation::BugFix),
            AbstainReason::TooVague,
            Missing::Operation,
            "The request is empty. What should I do, and in which file?".into(),
            vec![],
            0.0,
        );
    }
    // Constraints, size markers and paths come from the whole text, not only the sentence read.
    let whole = if focus.len() == 1 && focus[0].len() == text.trim().len() {
        None
    } else {
        Some(g.normalize(cut_at_word(text, 20_000)))
    };
    let mut first: Option<ParseResult> = None;
    for sentence in &focus {
        let result = parse_sentence(g, sentence, whole.as_deref(), threshold, &options);
        if result.ok {
            return result;
        }
        first.get_or_insert(result);
    }
    first.unwrap_or_else(|| error("internal", "no sentence was read"))
}

/// The operation a label names; a scope that names dependencies, docs, tests or performance
/// outranks the type it qualifies (`fix(deps):` is a dependency update).
fn labelled_operation(g: &Grammar, labels: &Labels) -> Option<(String, Operation)> {
    let named: Vec<(String, Operation)> = labels
        .tags
        .iter()
        .filter_map(|t| g.tags.get(t).map(|op| (t.clone(), *op)))
        .collect();
    named
        .iter()
        .find(|(_, op)| {
            matches!(
                op,
                Operation::DependencyUpdate | Operation::Document | Operation::Test | Operation::Performance
            )
        })
        .or(named.first())
        .cloned()
}

fn parse_sentence(
    g: &Grammar,
    sentence: &str,
    whole: Option<&str>,
    threshold: f64,
    options: &ParseOptions,
) -> ParseResult {
    let (rest, labels) = strip_labels(sentence);
    let labelled = labelled_operation(g, &labels);
    let rest = match &labels.path {
        Some(p) => format!("{rest} in {p}"),
        None => rest,
    };
    let normalized = normalize_with(&rest, |t| g.is_path(t), &g.lemmas);
    if normalized.is_empty() {
        return suggest::abstain(
            g,
            options,
            "",
            labelled.as_ref().map(|l| l.1),
            AbstainReason::TooVague,
            Missing::Behaviour,
            "The request has a label but no text. What should change, and where?".into(),
            vec![],
            0.0,
        );
    }

    // Constraints: extract, then remove their phrases before matching operations.
    let (mut constraints, removed) = g.constraints_in(&normalized);
    if let Some(w) = whole {
        for c in g.constraints_in(w).0 {
            if !constraints.iter().any(|k| k.id == c.id) {
                constraints.push(c);
            }
        }
    }
    let matched_text = remove_spans(&normalized, removed);
    let total = matched_text.len().max(1) as f64;

    let mut candidates: Vec<Candidate> = Vec::new();
    for rule in &g.rules {
        if labelled.as_ref().is_some_and(|(_, op)| *op != rule.operation) {
            continue;
        }
        for pattern in &rule.patterns {
            // Scan every start position so a later, more specific match is not hidden by an earlier one.
            let mut from = 0;
            while from <= matched_text.len() {
                let Some(caps) = pattern.regex.captures_at(&matched_text, from) else {
                    break;
                };
                let whole_m = caps.get(0).map(|m| (m.start(), m.end())).unwrap_or((0, 0));
                let whole_text = matched_text[whole_m.0..whole_m.1].trim_end();
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
                    pattern: Some(pattern),
                    // What a request starts with (its leading verb or subject) says most about it.
                    score: literal + weights + 10.0 * coverage + if whole_m.0 == 0 { LEAD_BONUS } else { 0.0 },
                    coverage,
                    literal,
                    start: whole_m.0,
                    slots,
                });
                let next = matched_text[whole_m.0..].find(' ').map(|i| whole_m.0 + i + 1);
                match next {
                    Some(n) if n > from => from = n,
                    _ => break,
                }
            }
        }
    }

    // The author's own label names the operation even where no pattern of it matches.
    if candidates.is_empty() {
        if let Some((_, op)) = &labelled {
            if let Some(rule) = g.rule_for(*op) {
                let mut slots = BTreeMap::new();
                slots.insert(
                    "description".to_string(),
                    (0, matched_text.len(), matched_text.clone()),
                );
                candidates.push(Candidate {
                    rule,
                    pattern: None,
                    score: 0.0,
                    coverage: 1.0,
                    literal: 12.0,
                    start: 0,
                    slots,
                });
            }
        }
    }

    if candidates.is_empty() {
        return suggest::abstain(
            g,
            options,
            &normalized,
            None,
            AbstainReason::NoMatch,
            Missing::Operation,
            "I could not tell what kind of change this is. Should I fix a defect, add a feature, change a behaviour or setting, update a dependency, make something faster, refactor, write tests or documentation — and in which file?".into(),
            vec![],
            0.0,
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
            let (a, b) = (best.rule.operation, second.rule.operation);
            return suggest::abstain(
                g,
                options,
                &normalized,
                Some(a),
                AbstainReason::Ambiguous,
                Missing::Choice,
                format!("Which do you want me to do: {} or {}?", a.words(), b.words()),
                ranked_ops,
                0.5,
            );
        }
    }

    let has_target_slot = best
        .slots
        .keys()
        .any(|k| k == "target" || k == "new_path" || k == "old_symbol");
    let description = best.slots.get("description").map(|s| s.2.as_str());
    let mut targets = g.paths_in(&normalized);
    if targets.is_empty() {
        if let Some(w) = whole {
            targets = g.paths_in(w).into_iter().take(3).collect();
        }
    }
    let mut confidence = if best.pattern.is_some() {
        0.35 + 0.45 * best.coverage + 0.2 * (best.literal / 12.0).min(1.0)
    } else {
        0.9
    };
    if has_target_slot || !targets.is_empty() {
        confidence += 0.1;
    } else if best.rule.target_expected && best.pattern.is_some() {
        confidence -= 0.15;
    }
    confidence = (confidence.clamp(0.0, 0.99) * 1000.0).round() / 1000.0;

    let operation = best.rule.operation;
    let vague_description = description.is_some_and(is_vague) && targets.is_empty();
    if vague_description || confidence < threshold {
        let missing = if best.rule.target_expected && targets.is_empty() && !vague_description {
            Missing::Target
        } else {
            Missing::Behaviour
        };
        let op = operation.words();
        let question = match missing {
            Missing::Target => format!("I understood \"{op}\" but not where. Which file, function or component is it about (for example src/...)?"),
            _ if operation == Operation::BugFix => format!("I understood \"{op}\" but not what is wrong. Which behaviour is wrong, where (a file such as src/...), and what should happen instead?"),
            _ => format!("I understood \"{op}\" but not what exactly. Which behaviour should change, in which file or component (for example src/...), and what should the result be?"),
        };
        return suggest::abstain(
            g,
            options,
            &normalized,
            Some(operation),
            AbstainReason::TooVague,
            missing,
            question,
            ranked_ops,
            confidence,
        );
    }

    let mut mode = best.rule.mode;
    let large_text = whole.unwrap_or(&normalized);
    if targets.len() > 3 || g.large.iter().any(|r| r.is_match(large_text)) {
        mode = Mode::Genius;
    }
    let slots: BTreeMap<String, String> = best
        .slots
        .iter()
        .filter(|(k, _)| *k != "tail")
        .map(|(k, v)| (k.clone(), v.2.trim().to_string()))
        .collect();
    let slot_spans = best
        .slots
        .iter()
        .filter(|(k, _)| *k != "tail")
        .map(|(k, v)| SlotSpan {
            name: k.clone(),
            start: v.0,
            end: v.1,
        })
        .collect();
    let pattern = match (best.pattern, &labelled) {
        (Some(p), _) => p.source.clone(),
        (None, Some((tag, _))) => format!("label: {tag}"),
        (None, None) => String::new(),
    };
    let source = g.source(&best.rule.id);
    let span = intent_span(operation, mode, &targets, &slots, &constraints, confidence, &source, g);

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
            span,
            proof: Proof {
                input_hash: sha256_hex(&normalized),
                grammar_hash: g.hash.clone(),
                grammar_version: g.version.clone(),
                rule_id: best.rule.id.clone(),
                pattern,
                normalized,
                matched_text,
                slot_spans,
            },
            source,
        }),
        abstain: None,
        errors: Vec::new(),
    }
}

/// The intent as a LogLine `INTENT` span.
#[allow(clippy::too_many_arguments)]
fn intent_span(
    operation: Operation,
    mode: Mode,
    targets: &[String],
    slots: &BTreeMap<String, String>,
    constraints: &[Constraint],
    confidence: f64,
    source: &IntentSource,
    g: &Grammar,
) -> String {
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
        .with("rule", LL::Str(source.rule_id.clone()))
        .with(
            "source",
            LL::Str(match source.kind {
                SourceKind::Grammar => "grammar".into(),
                SourceKind::Model => "model".into(),
            }),
        );
    if let Some(model) = &source.model {
        span = span.with("model", LL::Str(model.clone()));
    }
    span = span.with("grammar", LL::Str(format!("{}@{}", g.id, g.version)));
    logline::serialize(&[span]).unwrap_or_default()
}

#[cfg(test)]
mod tests;
