#![deny(clippy::all)]
//! tdln-in: natural language → intent, driven by the versioned grammar `grammars/tdln-in.v2.toml`.
//! It reads a request as developers write it (commit subjects, changelog lines, issue titles),
//! and turns an intent a model proposed into the same shape, checked the same way.

mod focus;
mod grammar;
mod normalize;
mod proposal;
mod suggest;
mod types;

use logline::{Span, Value as LL};
use std::collections::BTreeMap;
use tdln_core::{sha256_hex, EngineError};

pub use grammar::{grammar, Grammar, GRAMMAR_SOURCE};
pub use normalize::{normalize, normalize_with, strip_labels, Labels};
pub use proposal::{intent_from_proposal, proposal_schema, ModelSource, Proposal};
pub use types::*;

pub(crate) use focus::cut_at_word;
use focus::focus_sentences;
use grammar::{CompiledPattern, CompiledRule};

/// Longest input accepted (characters). Far above what the API takes (10,000): the engine never
/// refuses a request the API accepts for its length; it reads a long text by its first sentences.
pub const MAX_INPUT_CHARS: usize = 100_000;

/// Confidence taken off a reading by a generic (`~`) pattern.
const WEAK_PENALTY: f64 = 0.3;
/// Score added to a match that starts where the request starts.
const LEAD_BONUS: f64 = 5.0;

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
        || t.split_whitespace()
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
                Operation::DependencyUpdate
                    | Operation::Document
                    | Operation::Test
                    | Operation::Performance
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
        if labelled
            .as_ref()
            .is_some_and(|(_, op)| *op != rule.operation)
        {
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
                // A leading verb (literal text where the request starts) says most about it; a
                // pattern that opens with a slot ("{description} support") earns no such bonus.
                let leads = whole_m.0 == 0
                    && !pattern
                        .slots
                        .iter()
                        .any(|(name, _)| caps.name(name).is_some_and(|m| m.start() == 0));
                candidates.push(Candidate {
                    rule,
                    pattern: Some(pattern),
                    score: literal
                        + weights
                        + 10.0 * coverage
                        + if leads { LEAD_BONUS } else { 0.0 },
                    coverage,
                    literal,
                    start: whole_m.0,
                    slots,
                });
                let next = matched_text[whole_m.0..]
                    .find(' ')
                    .map(|i| whole_m.0 + i + 1);
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
        // Two readings close in score are a question, unless only one of them is led by the
        // request's own first word.
        let close = second.score >= best.score - 0.5 && !(best.start == 0 && second.start != 0);
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
                format!(
                    "Which do you want me to do: {} or {}?",
                    a.words(),
                    b.words()
                ),
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
    if best.pattern.is_some_and(|p| p.weak) {
        confidence -= WEAK_PENALTY;
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
            start: v.0 as u32,
            end: v.1 as u32,
        })
        .collect();
    let pattern = match (best.pattern, &labelled) {
        (Some(p), _) => p.source.clone(),
        (None, Some((tag, _))) => format!("label: {tag}"),
        (None, None) => String::new(),
    };
    let source = g.source(&best.rule.id);

    accept(
        g,
        Intent {
            operation,
            slots,
            targets,
            mode,
            read_only: operation.read_only(),
            constraints,
            confidence,
            span: String::new(),
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
        },
    )
}

/// An intent, given its LogLine span, as a successful parse.
pub(crate) fn accept(g: &Grammar, mut intent: Intent) -> ParseResult {
    intent.span = intent_span(&intent, g);
    ParseResult {
        ok: true,
        intent: Some(intent),
        abstain: None,
        errors: Vec::new(),
    }
}

/// The intent as a LogLine `INTENT` span.
fn intent_span(i: &Intent, g: &Grammar) -> String {
    let mut span = Span::new("INTENT", i.operation.as_str())
        .with("operation", LL::Str(i.operation.as_str().into()))
        .with("mode", LL::Str(i.mode.as_str().into()))
        .with("read_only", LL::Bool(i.read_only))
        .with(
            "targets",
            LL::List(i.targets.iter().map(|t| LL::Str(t.clone())).collect()),
        )
        .with(
            "slots",
            LL::Object(
                i.slots
                    .iter()
                    .map(|(k, v)| (k.clone(), LL::Str(v.clone())))
                    .collect(),
            ),
        )
        .with(
            "constraints",
            LL::List(
                i.constraints
                    .iter()
                    .map(|c| LL::Str(c.id.clone()))
                    .collect(),
            ),
        )
        .with("confidence", LL::Float(i.confidence))
        .with("rule", LL::Str(i.source.rule_id.clone()))
        .with(
            "source",
            LL::Str(match i.source.kind {
                SourceKind::Grammar => "grammar".into(),
                SourceKind::Model => "model".into(),
            }),
        );
    if let Some(model) = &i.source.model {
        span = span.with("model", LL::Str(model.clone()));
    }
    span = span.with("grammar", LL::Str(format!("{}@{}", g.id, g.version)));
    logline::serialize(&[span]).unwrap_or_default()
}

#[cfg(test)]
mod tests;
