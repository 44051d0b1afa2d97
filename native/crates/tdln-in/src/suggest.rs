//! Abstentions that help: a question that names what is missing, and two or three rephrasings of
//! the request that the grammar itself accepts.

use crate::{
    parse_with, Abstain, AbstainReason, Grammar, Missing, Operation, ParseOptions, ParseResult,
};
use std::cell::Cell;

thread_local! {
    /// Set while suggestions are checked by parsing them, so that check makes no suggestions.
    static CHECKING: Cell<bool> = const { Cell::new(false) };
}

/// Extensions of files a change request is usually about.
const SOURCE_EXTENSIONS: &[&str] = &[
    "ts", "tsx", "js", "jsx", "mjs", "cjs", "py", "rs", "go", "java", "kt", "rb", "php", "cs", "c",
    "cc", "cpp", "h", "hpp", "swift", "scala", "vue", "svelte",
];

/// Words that say nothing about *what* should change.
const EMPTY_WORDS: &[&str] = &[
    "it",
    "this",
    "that",
    "these",
    "those",
    "them",
    "stuff",
    "things",
    "thing",
    "something",
    "anything",
    "everything",
    "better",
    "work",
    "works",
    "again",
    "now",
    "please",
    "more",
    "some",
    "a",
    "an",
    "the",
    "bit",
    "little",
    "lot",
    "really",
    "very",
    "so",
    "good",
    "nice",
    "great",
    "faster",
    "slower",
    "properly",
    "correctly",
    "right",
    "all",
    "do",
    "make",
    "get",
    "go",
    "be",
    "is",
    "are",
    "was",
    "were",
    "and",
    "or",
    "with",
    "for",
    "to",
    "of",
    "on",
    "in",
    "at",
    "by",
    "from",
    "my",
    "our",
    "your",
    "bug",
    "bugs",
    "issue",
    "issues",
    "problem",
    "problems",
    "code",
    "app",
    "fix",
    "update",
    "change",
    "improve",
    "add",
    "help",
    "me",
    "us",
    "i",
    "we",
    "you",
    "can",
    "could",
    "would",
    "should",
    "will",
    "want",
    "need",
    "like",
    "not",
    "no",
    "yes",
    "ok",
    "what",
    "how",
    "why",
    "when",
    "where",
    "which",
    "who",
    "does",
    "did",
    "has",
    "have",
    "had",
];

/// An abstention with its question and suggestions.
#[allow(clippy::too_many_arguments)]
pub(crate) fn abstain(
    g: &Grammar,
    options: &ParseOptions,
    normalized: &str,
    op: Option<Operation>,
    reason: AbstainReason,
    missing: Missing,
    clarification: String,
    candidates: Vec<Operation>,
    confidence: f64,
) -> ParseResult {
    let suggestions = if CHECKING.with(Cell::get) {
        Vec::new()
    } else {
        let mut ops: Vec<Operation> = op.into_iter().chain(candidates.iter().copied()).collect();
        if ops.is_empty() {
            ops = vec![Operation::BugFix, Operation::Feature, Operation::Change];
        }
        ops.dedup();
        suggestions(g, options, normalized, &ops)
    };
    ParseResult {
        ok: false,
        intent: None,
        abstain: Some(Abstain {
            reason,
            missing,
            clarification,
            suggestions,
            candidates,
            confidence,
        }),
        errors: Vec::new(),
    }
}

/// Two or three rephrasings for the operations considered, naming the request's own subject and
/// a real file where one is known, each checked by parsing it.
fn suggestions(
    g: &Grammar,
    options: &ParseOptions,
    normalized: &str,
    ops: &[Operation],
) -> Vec<String> {
    let what = subject(normalized);
    let target = g
        .paths_in(normalized)
        .into_iter()
        .next()
        .or_else(|| pick_file(&options.files, normalized))
        .unwrap_or_else(|| "src/...".to_string());
    let mut drafts: Vec<(Operation, String)> = Vec::new();
    for op in ops.iter().take(3) {
        let Some(rule) = g.rule_for(*op) else {
            continue;
        };
        for template in &rule.rephrase {
            if template.contains("{what}") && what.is_none() {
                continue;
            }
            let text = template
                .replace("{what}", what.as_deref().unwrap_or(""))
                .replace("{target}", &target);
            drafts.push((*op, text));
        }
    }
    // Stock examples fill up only with what the repository has: one naming a file it does not have
    // would send the person after a file that is not there.
    let in_repository = |example: &str| {
        options.files.is_empty()
            || g.paths_in(example)
                .iter()
                .all(|p| options.files.iter().any(|f| f == p))
    };
    for op in ops.iter().take(3) {
        if let Some(rule) = g.rule_for(*op) {
            drafts.extend(
                rule.examples
                    .iter()
                    .filter(|e| in_repository(e))
                    .map(|e| (*op, e.clone())),
            );
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut per_op: Vec<Operation> = Vec::new();
    CHECKING.with(|c| c.set(true));
    // Round one: one suggestion per operation considered; round two fills up to three.
    for round in 0..2 {
        for (op, text) in &drafts {
            if out.len() >= 3 || out.contains(text) || (round == 0 && per_op.contains(op)) {
                continue;
            }
            let parsed = parse_with(g, text, ParseOptions::default());
            if parsed.intent.is_some_and(|i| i.operation == *op) {
                out.push(text.clone());
                per_op.push(*op);
            }
        }
    }
    CHECKING.with(|c| c.set(false));
    out
}

/// The words of a request that say what it is about ("the login page" of "make the login page
/// faster"), or `None` when it names nothing.
fn subject(normalized: &str) -> Option<String> {
    let words: Vec<&str> = normalized.split_whitespace().collect();
    // The leading verb (or question word and its auxiliary) says what to do, not what about.
    let lead = words
        .iter()
        .take_while(|w| {
            matches!(
                **w,
                "what"
                    | "how"
                    | "why"
                    | "when"
                    | "where"
                    | "which"
                    | "who"
                    | "does"
                    | "do"
                    | "did"
                    | "is"
                    | "are"
                    | "was"
                    | "were"
                    | "can"
                    | "could"
                    | "should"
                    | "would"
                    | "will"
            )
        })
        .count()
        .max(1);
    let keep: Vec<&str> = words
        .iter()
        .skip(lead)
        .copied()
        .filter(|w| !w.contains('/') && !w.contains('.'))
        .collect();
    let content = keep.iter().filter(|w| !EMPTY_WORDS.contains(w)).count();
    if content == 0 || keep.len() > 8 {
        return None;
    }
    let mut phrase: Vec<&str> = keep;
    while phrase
        .last()
        .is_some_and(|w| EMPTY_WORDS.contains(w) && !matches!(*w, "code" | "app"))
    {
        phrase.pop();
    }
    while phrase.first().is_some_and(|w| {
        matches!(
            *w,
            "it" | "this" | "that" | "to" | "and" | "so" | "is" | "are"
        )
    }) {
        phrase.remove(0);
    }
    (!phrase.is_empty()).then(|| phrase.join(" "))
}

/// The repository file that best matches the request's words, preferring source files.
fn pick_file(files: &[String], normalized: &str) -> Option<String> {
    let words: Vec<&str> = normalized
        .split_whitespace()
        .filter(|w| w.len() > 2 && !EMPTY_WORDS.contains(w))
        .collect();
    let is_source = |f: &str| {
        f.rsplit('.')
            .next()
            .is_some_and(|ext| SOURCE_EXTENSIONS.contains(&ext))
    };
    files
        .iter()
        .filter(|f| !f.ends_with('/') && !f.starts_with('.') && !f.contains("node_modules"))
        .map(|f| {
            let lower = f.to_lowercase();
            let hits = words.iter().filter(|w| lower.contains(*w)).count();
            (hits * 10 + usize::from(is_source(f)) * 5, f)
        })
        .filter(|(score, _)| *score > 0)
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.len().cmp(&a.1.len())))
        .map(|(_, f)| f.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_is_what_the_request_names() {
        assert_eq!(
            subject("make the login page faster").as_deref(),
            Some("the login page")
        );
        assert_eq!(subject("make it better"), None);
        assert_eq!(
            subject("what does the ledger do").as_deref(),
            Some("the ledger")
        );
    }

    #[test]
    fn a_matching_source_file_is_preferred() {
        let files = vec![
            "README.md".to_string(),
            "src/login.ts".to_string(),
            "src/index.ts".to_string(),
        ];
        assert_eq!(
            pick_file(&files, "make the login page faster").as_deref(),
            Some("src/login.ts")
        );
        assert!(pick_file(&files, "make it better").is_some());
    }
}
