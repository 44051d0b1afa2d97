//! The grammar file, compiled: rules and their patterns, word lists, labels, verb forms,
//! constraints and size markers.

use crate::{normalize_with, strip_labels, Constraint, IntentSource, Mode, Operation, SourceKind};
use regex::Regex;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;
use tdln_core::{sha256_hex, EngineError};

/// The grammar source, embedded at build time.
pub const GRAMMAR_SOURCE: &str = include_str!("../../../grammars/tdln-in.v2.toml");

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

pub(crate) struct CompiledPattern {
    pub(crate) source: String,
    pub(crate) regex: Regex,
    /// Slot name and weight.
    pub(crate) slots: Vec<(String, f64)>,
    /// A generic pattern (marked `~` in the grammar) whose verb often means other operations too:
    /// its reading is offered with less confidence, so it is asked about rather than acted on.
    pub(crate) weak: bool,
}

pub(crate) struct CompiledRule {
    pub(crate) id: String,
    pub(crate) operation: Operation,
    pub(crate) mode: Mode,
    pub(crate) target_expected: bool,
    pub(crate) examples: Vec<String>,
    pub(crate) rephrase: Vec<String>,
    pub(crate) patterns: Vec<CompiledPattern>,
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
    pub(crate) rules: Vec<CompiledRule>,
    pub(crate) large: Vec<Regex>,
    pub(crate) constraints: Vec<(String, Regex)>,
    pub(crate) constraint_ids: Vec<String>,
    pub(crate) tags: HashMap<String, Operation>,
    pub(crate) lemmas: HashMap<String, String>,
    pub(crate) path_regex: Regex,
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
    if let Some(stem) = base.strip_suffix('e') {
        forms.push(format!("{base}d"));
        forms.push(format!("{stem}ing"));
    } else if let Some(stem) = base
        .strip_suffix('y')
        .filter(|_| chars.len() > 1 && !vowel(chars[chars.len() - 2]))
    {
        forms.push(format!("{stem}ies"));
        forms.push(format!("{stem}ied"));
    } else {
        forms.push(format!("{base}ed"));
        if ["s", "x", "z", "ch", "sh"]
            .iter()
            .any(|e| base.ends_with(e))
        {
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
            for source in &r.patterns {
                let weak = source.starts_with('~');
                let p = source.trim_start_matches('~');
                let (expanded, slots) =
                    expand(p, &file.slot_types, &file.words).map_err(|e| bad(&r.id, e))?;
                let regex = Regex::new(&format!(r"\b(?:{expanded})(?:\s|$)"))
                    .map_err(|e| bad(&r.id, e.to_string()))?;
                patterns.push(CompiledPattern {
                    source: source.clone(),
                    regex,
                    slots,
                    weak,
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
            let (expanded, _) = expand(p, &file.slot_types, &file.words).map_err(|e| bad(p, e))?;
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

    pub(crate) fn rule_for(&self, op: Operation) -> Option<&CompiledRule> {
        self.rules.iter().find(|r| r.operation == op)
    }

    pub(crate) fn source(&self, rule_id: &str) -> IntentSource {
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
    pub(crate) fn constraints_in(
        &self,
        normalized: &str,
    ) -> (Vec<Constraint>, Vec<(usize, usize)>) {
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
    pub(crate) fn paths_in(&self, normalized: &str) -> Vec<String> {
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

/// A path the request is about: not a scoped package name, not a dependency folder, and not a
/// system path ("/var/log/journal" is something the code handles, not a file of the repository).
pub(crate) fn g_is_target(g: &Grammar, tok: &str) -> bool {
    g.is_path(tok)
        && !tok.starts_with('@')
        && !tok.starts_with('/')
        && !tok.starts_with('~')
        && !tok.contains("node_modules")
}

static GRAMMAR: LazyLock<Result<Grammar, EngineError>> =
    LazyLock::new(|| Grammar::compile(GRAMMAR_SOURCE));

/// The embedded grammar, compiled once.
pub fn grammar() -> Result<&'static Grammar, EngineError> {
    GRAMMAR.as_ref().map_err(Clone::clone)
}
