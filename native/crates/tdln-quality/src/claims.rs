//! What an answer claims: the paths it names, whether it says the tests pass, and whether the
//! evidence backs it; and forbidden markers as whole words.

use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

static PATH_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?:\.{0,2}/)?(?:[\w@.\-]+/)+[\w@.\-]*|[\w@\-][\w@.\-]*\.(?:tsx?|jsx?|mjs|cjs|rs|py|go|java|kt|rb|php|cs|cpp|c|h|hpp|swift|md|json|toml|ya?ml|css|scss|html|sql|sh|txt|lock|env|proto|graphql|vue|svelte))$")
        .unwrap_or_else(|e| panic!("path regex: {e}"))
});

static GREEN_CLAIM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:tests?|specs?|suite)\b[^.;:\n]{0,30}?\b(?:pass(?:es|ed|ing)?|green|succeed(?:s|ed)?)\b|\b(?:all|passing|green)\s+(?:the\s+)?tests?\b")
        .expect("green claim regex")
});
static NEGATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:not|no|never|fail\w*)\b|n't\b").expect("negation regex")
});

/// The words in which a text claims the tests pass ("3 tests pass", "all tests green"), if it does.
pub fn claimed_green_tests(text: &str) -> Option<String> {
    GREEN_CLAIM
        .find_iter(text)
        .map(|m| m.as_str())
        .find(|m| !NEGATION.is_match(m))
        .map(str::to_string)
}

/// Path-like tokens in a text (URLs excluded), in order of appearance.
pub fn claimed_paths(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in text.split_whitespace() {
        if raw.contains("://") {
            continue;
        }
        let tok = raw
            .trim_start_matches(['(', '[', '<', '`', '\'', '"'])
            .trim_end_matches([')', ']', '>', '`', '\'', '"', ',', ';', ':', '!', '?'])
            .trim_end_matches('.');
        let tok = tok.strip_prefix("./").unwrap_or(tok);
        if tok.len() > 1
            && !tok.contains("//")
            && PATH_TOKEN.is_match(tok)
            && !out.iter().any(|p| p == tok)
        {
            out.push(tok.to_string());
        }
    }
    out
}

/// A marker as a whole word or phrase: no letter or digit may touch it on either side, so `TODO`
/// does not match `src/todo.ts` or `todoList`; a marker written in capitals matches only in capitals.
pub(crate) fn marker_regex(marker: &str) -> Option<regex::Regex> {
    let marker = marker.trim();
    if marker.is_empty() {
        return None;
    }
    let capitals =
        marker.chars().any(char::is_alphabetic) && !marker.chars().any(char::is_lowercase);
    let pattern = format!(
        "{}(?:^|[^\\p{{L}}\\p{{N}}_]){}(?:$|[^\\p{{L}}\\p{{N}}_])",
        if capitals { "" } else { "(?i)" },
        regex::escape(marker)
    );
    regex::Regex::new(&pattern).ok()
}

pub(crate) fn in_evidence(path: &str, evidence: &[String]) -> bool {
    let p = path.trim_end_matches('/');
    evidence.iter().any(|e| {
        let e = e.trim_start_matches("./");
        e == p || e.ends_with(&format!("/{p}")) || e.starts_with(&format!("{p}/"))
    })
}

/// The paths a text claims, and those of them no evidence backs.
#[cfg_attr(feature = "napi", napi_derive::napi(object))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimCheck {
    /// Path-like tokens of the text, in order of appearance.
    pub claimed: Vec<String>,
    /// Claimed paths that are not in the evidence (the gate's `claimed_paths` check).
    pub unverified: Vec<String>,
}

/// The gate's `claimed_paths` check on its own: which paths a text names that the evidence (files
/// touched, read or listed) does not contain.
pub fn check_claims(text: &str, evidence: &[String]) -> ClaimCheck {
    let claimed = claimed_paths(text);
    let unverified = claimed
        .iter()
        .filter(|p| !in_evidence(p, evidence))
        .cloned()
        .collect();
    ClaimCheck {
        claimed,
        unverified,
    }
}
