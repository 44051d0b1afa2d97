//! Input normalisation: labels in front and references at the end, case, contractions, typos,
//! polite filler and the tense of the leading verb — without breaking paths or code.

use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

const CONTRACTIONS: &[(&str, &str)] = &[
    ("can't", "cannot"),
    ("won't", "will not"),
    ("shan't", "shall not"),
    ("don't", "do not"),
    ("doesn't", "does not"),
    ("didn't", "did not"),
    ("isn't", "is not"),
    ("aren't", "are not"),
    ("wasn't", "was not"),
    ("weren't", "were not"),
    ("shouldn't", "should not"),
    ("wouldn't", "would not"),
    ("couldn't", "could not"),
    ("haven't", "have not"),
    ("hasn't", "has not"),
    ("there's", "there is"),
    ("here's", "here is"),
    ("it's", "it is"),
    ("that's", "that is"),
    ("what's", "what is"),
    ("where's", "where is"),
    ("who's", "who is"),
    ("how's", "how is"),
    ("let's", "let us"),
    ("i'm", "i am"),
    ("i've", "i have"),
    ("i'd", "i would"),
    ("i'll", "i will"),
    ("you're", "you are"),
    ("we're", "we are"),
    ("they're", "they are"),
    ("we've", "we have"),
    ("we'll", "we will"),
    ("you'll", "you will"),
];

const TYPOS: &[(&str, &str)] = &[
    ("teh", "the"),
    ("hte", "the"),
    ("fucntion", "function"),
    ("funtion", "function"),
    ("fuction", "function"),
    ("bgu", "bug"),
    ("bugg", "bug"),
    ("fxi", "fix"),
    ("fiz", "fix"),
    ("refacor", "refactor"),
    ("refator", "refactor"),
    ("refactr", "refactor"),
    ("reafctor", "refactor"),
    ("refractor", "refactor"),
    ("documnet", "document"),
    ("docuemnt", "document"),
    ("documment", "document"),
    ("delte", "delete"),
    ("dleete", "delete"),
    ("deleet", "delete"),
    ("remvoe", "remove"),
    ("reomve", "remove"),
    ("renmae", "rename"),
    ("reanme", "rename"),
    ("analize", "analyze"),
    ("anaylze", "analyze"),
    ("analyse", "analyze"),
    ("analyze", "analyze"),
    ("reveiw", "review"),
    ("reivew", "review"),
    ("revew", "review"),
    ("reviw", "review"),
    ("tets", "test"),
    ("tset", "test"),
    ("tetss", "tests"),
    ("implment", "implement"),
    ("impelment", "implement"),
    ("implemnt", "implement"),
    ("feautre", "feature"),
    ("featrue", "feature"),
    ("fiel", "file"),
    ("flie", "file"),
    ("craete", "create"),
    ("creat", "create"),
    ("wiht", "with"),
    ("whit", "with"),
    ("adn", "and"),
    ("dont", "do not"),
    ("doesnt", "does not"),
    ("cant", "cannot"),
    ("wont", "will not"),
    ("isnt", "is not"),
    ("theres", "there is"),
    ("whats", "what is"),
    ("pls", "please"),
    ("plz", "please"),
    ("optimise", "optimize"),
    ("organise", "organize"),
    ("reorganise", "reorganize"),
    ("modernise", "modernize"),
    ("summarise", "summarize"),
    ("behaviour", "behavior"),
    ("bahavior", "behavior"),
    ("recieve", "receive"),
    ("seperate", "separate"),
    ("dependancy", "dependency"),
    ("dependancies", "dependencies"),
    ("readme.md", "readme.md"),
];

const FILLER_PREFIXES: &[&str] = &[
    "can you please ",
    "could you please ",
    "would you please ",
    "can you ",
    "could you ",
    "would you ",
    "will you ",
    "i want you to ",
    "i need you to ",
    "i would like you to ",
    "i would like to ",
    "i want to ",
    "i need to ",
    "we need to ",
    "we should ",
    "you should ",
    "help me ",
    "go ahead and ",
    "try to ",
    "please ",
    "kindly ",
    "hey ",
    "hi ",
    "ok ",
    "okay ",
    "so ",
];

/// Words that may stand before the leading verb without changing what is asked ("properly handle").
const LEADING_ADVERBS: &[&str] = &[
    "properly",
    "correctly",
    "now",
    "also",
    "always",
    "automatically",
    "explicitly",
    "slightly",
    "greatly",
    "significantly",
    "further",
    "finally",
    "partially",
    "completely",
    "actually",
    "internally",
    "temporarily",
    "optionally",
    "really",
    "just",
    "additionally",
    "initially",
    "gracefully",
    "consistently",
    "safely",
    "silently",
    "minor",
    "small",
];

/// What the author wrote in front of the request about it: a conventional-commit type and scope
/// (`fix(parser)!:`), a bracketed changelog tag (`[Dev Deps]`), a Keep-a-Changelog word
/// (`Added:`), or the path the text is about (`src/auth.ts: ...`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels {
    /// Lower-cased labels, outermost first (a conventional scope follows its type).
    pub tags: Vec<String>,
    /// A path given as the label.
    pub path: Option<String>,
}

static BULLET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+").expect("bullet regex"));
static BRACKET_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[([^\]\[]{1,25})\]:?\s*").expect("bracket regex"));
static COLON_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^([A-Za-z][\w./@-]{0,40}(?: [A-Z][\w-]*){0,2})(?:\(([^()]{0,40})\))?(!)?:\s+(\S.*)$",
    )
    .expect("label regex")
});
static TRAILING_REF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\s*(?:\((?:[^()]*?(?:#\d+|@[\w-]+|\b[0-9a-f]{7,40}\b|\bgh-\d+|\bpatch\b|\bminor\b|\bmajor\b)[^()]*)\)|\[#?\d+\]|(?:(?:closes|fixes|fixed|resolves|resolved|refs?|see|via|in|by)\s+)?(?:#\d+|gh-\d+|@[\w-]+)(?:\s*,\s*#\d+)*)[.,;]?\s*$",
    )
    .expect("trailing ref regex")
});

/// Strips list bullets, the author's labels in front and reference noise at the end (`(#123)`,
/// `closes #4`, `(@user)`), returning the rest of the raw text and the labels.
pub fn strip_labels(text: &str) -> (String, Labels) {
    let mut labels = Labels::default();
    let mut rest = BULLET
        .replace(text.trim(), "")
        .replace("**", "")
        .trim()
        .to_string();
    for _ in 0..3 {
        if let Some(c) = BRACKET_TAG.captures(&rest) {
            labels.tags.push(c[1].trim().to_lowercase());
            rest = rest[c.get(0).map_or(0, |m| m.end())..].trim().to_string();
            continue;
        }
        let Some(c) = COLON_LABEL.captures(&rest) else {
            break;
        };
        let label = c[1].to_string();
        let body = c[4].to_string();
        if body.split_whitespace().count() < 2 {
            break;
        }
        if label.contains('/') || (label.contains('.') && !label.ends_with('.')) {
            labels.path.get_or_insert(label);
        } else {
            labels.tags.push(label.to_lowercase());
        }
        if let Some(scope) = c.get(2) {
            labels.tags.push(scope.as_str().trim().to_lowercase());
        }
        rest = body;
    }
    for _ in 0..3 {
        let cut = TRAILING_REF.replace(&rest, "").trim().to_string();
        if cut == rest || cut.split_whitespace().count() < 2 {
            break;
        }
        rest = cut;
    }
    (rest, labels)
}

fn is_code_like(tok: &str) -> bool {
    let chars: Vec<char> = tok.chars().collect();
    let camel = chars
        .windows(2)
        .any(|w| w[0].is_lowercase() && w[1].is_uppercase());
    camel || tok.contains('_') || tok.ends_with("()") || tok.contains("::")
}

fn strip_punct(tok: &str) -> &str {
    let t = tok.trim_start_matches(['(', '"', '\'', '`', '[', '<', '“', '‘']);
    let t = t.trim_end_matches([
        ')', '"', '\'', '`', ']', '>', ',', ';', ':', '!', '?', '”', '’',
    ]);
    // A trailing '.' ends a sentence unless the token is a dotfile/dir like "." or "..".
    let t = if t.len() > 1 && !t.ends_with("..") {
        t.trim_end_matches('.')
    } else {
        t
    };
    t.trim_end_matches([')', '"', '\'', '`', ']', ',', ';', ':', '!', '?'])
}

/// Normalises a request. `is_path` decides which tokens are paths (kept verbatim).
pub fn normalize(text: &str, is_path: impl Fn(&str) -> bool) -> String {
    normalize_with(text, is_path, &HashMap::new())
}

/// Normalises a request and puts its leading verb in its base form ("Added" -> "add") by `lemmas`.
pub fn normalize_with(
    text: &str,
    is_path: impl Fn(&str) -> bool,
    lemmas: &HashMap<String, String>,
) -> String {
    let mut words: Vec<String> = Vec::new();
    for raw in text.split_whitespace() {
        let tok = strip_punct(raw);
        if tok.is_empty() {
            continue;
        }
        if is_path(tok) && (tok.contains('/') || tok.contains('.')) || is_code_like(tok) {
            words.push(tok.to_string());
            continue;
        }
        let lower = tok.to_lowercase().replace(['’', '‘'], "'");
        if let Some((_, rep)) = CONTRACTIONS.iter().find(|(c, _)| *c == lower) {
            words.push((*rep).to_string());
            continue;
        }
        let lower = if let Some(stem) = lower.strip_suffix("n't") {
            format!("{stem} not")
        } else {
            lower
        };
        match TYPOS.iter().find(|(t, _)| *t == lower) {
            Some((_, rep)) => words.push((*rep).to_string()),
            None => words.push(lower),
        }
    }
    let mut out = words.join(" ");
    loop {
        let before = out.len();
        for f in FILLER_PREFIXES {
            if let Some(rest) = out.strip_prefix(f) {
                out = rest.to_string();
            }
        }
        if out.len() == before {
            break;
        }
    }
    for suffix in [" please", " thanks", " thank you", " for me"] {
        if let Some(rest) = out.strip_suffix(suffix) {
            out = rest.to_string();
        }
    }
    let out = out.replace(" please ", " ");
    let mut words: Vec<&str> = out.split_whitespace().collect();
    const SUBJECTS: [&str; 5] = ["commit", "pr", "change", "patch", "release"];
    while words.len() > 2 {
        if LEADING_ADVERBS.contains(&words[0]) {
            words.remove(0);
        } else if words[0] == "this" && SUBJECTS.contains(&words[1]) {
            words.drain(..2);
        } else {
            break;
        }
    }
    let lemma = words.first().and_then(|w| lemmas.get(*w));
    match lemma {
        Some(base) => std::iter::once(base.as_str())
            .chain(words.iter().skip(1).copied())
            .collect::<Vec<_>>()
            .join(" "),
        None => words.join(" "),
    }
}
