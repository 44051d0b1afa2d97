#![deny(clippy::all)]
//! tdln-quality: the end-of-job gate. Checks tests, lint, change size, budget and the final answer.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use tdln_core::{sha256_hex, EngineError};

mod claims;
pub use claims::{check_claims, claimed_green_tests, claimed_paths, ClaimCheck};
use claims::{in_evidence, marker_regex};

/// Embedded profiles file.
pub const PROFILES_SOURCE: &str = include_str!("../../../quality/profiles.v1.toml");

/// One quality profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Tests must have run (unless the job is read-only).
    pub require_tests: bool,
    /// Failed tests tolerated.
    pub max_failed_tests: u32,
    /// Lint must have run (otherwise WARN).
    pub require_lint: bool,
    /// Lint errors tolerated.
    pub max_lint_errors: u32,
    /// Files changed limit.
    pub max_files: u32,
    /// Lines changed limit.
    pub max_lines: u32,
    /// Budget fraction that warns.
    pub budget_warn: f64,
    /// Budget fraction that blocks.
    pub budget_block: f64,
    /// Minimum answer length (characters).
    pub min_answer_chars: usize,
    /// Maximum answer length (characters).
    pub max_answer_chars: usize,
    /// Markers of unfinished work that must not appear, as words, in the lines a change adds
    /// (a marker in capitals, like `TODO`, matches only in capitals).
    pub forbidden_markers: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ProfilesFile {
    id: String,
    version: String,
    profiles: BTreeMap<String, Profile>,
}

static PROFILES: LazyLock<Result<ProfilesFile, String>> =
    LazyLock::new(|| toml::from_str(PROFILES_SOURCE).map_err(|e| e.to_string()));

/// Profile names, id, version and hash of the embedded profiles file.
pub fn profiles_info() -> (String, String, String, Vec<String>) {
    match PROFILES.as_ref() {
        Ok(p) => (
            p.id.clone(),
            p.version.clone(),
            sha256_hex(PROFILES_SOURCE),
            p.profiles.keys().cloned().collect(),
        ),
        Err(_) => (
            String::new(),
            String::new(),
            sha256_hex(PROFILES_SOURCE),
            Vec::new(),
        ),
    }
}

/// Looks a profile up by name (`mechanic`, `genius`).
pub fn profile(name: &str) -> Result<Profile, EngineError> {
    let file = PROFILES
        .as_ref()
        .map_err(|e| EngineError::new("profiles", e.clone()))?;
    file.profiles.get(name).cloned().ok_or_else(|| {
        EngineError::new(
            "unknown_profile",
            format!("unknown quality profile {name:?}"),
        )
    })
}

/// Test results.
#[cfg_attr(feature = "napi", napi_derive::napi(object, js_name = "QualityTests"))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TestsInfo {
    /// Did the suite run?
    pub ran: bool,
    /// Passed count.
    pub passed: u32,
    /// Failed count.
    pub failed: u32,
}

/// Lint results.
#[cfg_attr(feature = "napi", napi_derive::napi(object, js_name = "QualityLint"))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct LintInfo {
    /// Did lint run?
    pub ran: bool,
    /// Error count.
    pub errors: u32,
    /// The repository has no linter: nothing to run, so nothing is missing (absent: it has one).
    pub not_configured: Option<bool>,
}

/// Change size.
#[cfg_attr(feature = "napi", napi_derive::napi(object, js_name = "QualityChange"))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ChangeSize {
    /// Files changed.
    pub files: u32,
    /// Lines changed.
    pub lines: u32,
}

/// Files the job touched or read.
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, js_name = "QualityEvidence")
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Evidence {
    /// Files changed.
    pub touched: Vec<String>,
    /// Files read.
    pub read: Vec<String>,
}

/// Gate input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct QualityInput {
    /// Tests.
    pub tests: TestsInfo,
    /// Lint.
    pub lint: LintInfo,
    /// Change size.
    pub change: ChangeSize,
    /// Budget use as fractions by dimension (e.g. `tokens: 0.4`, `time: 0.9`).
    pub budget: BTreeMap<String, f64>,
    /// The final answer shown to the user.
    pub final_answer: String,
    /// Evidence paths.
    pub evidence: Evidence,
    /// Read-only job (analyze/review): tests and lint are not required.
    pub read_only: bool,
    /// The lines the change adds (from the commit's diff): where unfinished-work markers are looked for.
    pub added_lines: Vec<String>,
}

/// Outcome of one check.
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Fine.
    Pass,
    /// Degrades the verdict to WARN.
    Warn,
    /// Blocks.
    Fail,
}

/// Gate verdict.
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "UPPERCASE"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GateVerdict {
    /// All checks passed.
    #[serde(rename = "OK")]
    Ok,
    /// Passed with warnings.
    #[serde(rename = "WARN")]
    Warn,
    /// Must not ship.
    #[serde(rename = "BLOCK")]
    Block,
}

/// One check result.
#[cfg_attr(feature = "napi", napi_derive::napi(object, js_name = "QualityCheck"))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Check id (`tests`, `lint`, `change_size`, `budget`, `answer_length`, `forbidden_markers`, `claimed_paths`).
    pub id: String,
    /// Status.
    pub status: CheckStatus,
    /// Explanation.
    pub message: String,
}

/// Gate result.
#[cfg_attr(feature = "napi", napi_derive::napi(object))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityVerdict {
    /// OK / WARN / BLOCK.
    pub verdict: GateVerdict,
    /// 0-100.
    pub score: u32,
    /// Profile used.
    pub profile: String,
    /// Every check.
    pub checks: Vec<Check>,
    /// Ids of checks that did not pass.
    pub failing: Vec<String>,
    /// Paths the answer mentions that are not in the evidence.
    pub unverified_paths: Vec<String>,
    /// Input errors (verdict BLOCK).
    pub errors: Vec<EngineError>,
}

/// Runs the gate with a named profile.
pub fn check_quality(input: &QualityInput, profile_name: &str) -> QualityVerdict {
    let prof = match profile(profile_name) {
        Ok(p) => p,
        Err(e) => return blocked(profile_name, e),
    };
    let mut checks = Vec::new();
    let mut add = |id: &str, status: CheckStatus, message: String| {
        checks.push(Check {
            id: id.into(),
            status,
            message,
        })
    };

    let t = &input.tests;
    if input.read_only {
        add(
            "tests",
            CheckStatus::Pass,
            "read-only job: tests not required".into(),
        );
    } else if !t.ran {
        add(
            "tests",
            if prof.require_tests {
                CheckStatus::Fail
            } else {
                CheckStatus::Warn
            },
            "tests did not run".into(),
        );
    } else if t.failed > prof.max_failed_tests {
        add(
            "tests",
            CheckStatus::Fail,
            format!("{} test(s) failed", t.failed),
        );
    } else if t.passed == 0 && t.failed == 0 {
        add(
            "tests",
            CheckStatus::Warn,
            "the test run executed no tests".into(),
        );
    } else {
        add(
            "tests",
            CheckStatus::Pass,
            format!("{} passed, {} failed", t.passed, t.failed),
        );
    }

    let l = &input.lint;
    if input.read_only {
        add(
            "lint",
            CheckStatus::Pass,
            "read-only job: lint not required".into(),
        );
    } else if !l.ran && l.not_configured.unwrap_or(false) {
        add(
            "lint",
            CheckStatus::Pass,
            "not configured: the repository has no linter".into(),
        );
    } else if !l.ran {
        add(
            "lint",
            CheckStatus::Warn,
            if prof.require_lint {
                "lint did not run".into()
            } else {
                "lint did not run (optional)".into()
            },
        );
    } else if l.errors > prof.max_lint_errors {
        add(
            "lint",
            CheckStatus::Fail,
            format!(
                "{} lint error(s), {} allowed",
                l.errors, prof.max_lint_errors
            ),
        );
    } else {
        add(
            "lint",
            CheckStatus::Pass,
            format!("{} lint error(s)", l.errors),
        );
    }

    let c = &input.change;
    if c.files > prof.max_files || c.lines > prof.max_lines {
        add(
            "change_size",
            CheckStatus::Fail,
            format!(
                "{} files / {} lines exceed {} / {}",
                c.files, c.lines, prof.max_files, prof.max_lines
            ),
        );
    } else if f64::from(c.files) >= 0.8 * f64::from(prof.max_files)
        || f64::from(c.lines) >= 0.8 * f64::from(prof.max_lines)
    {
        add(
            "change_size",
            CheckStatus::Warn,
            format!(
                "{} files / {} lines close to {} / {}",
                c.files, c.lines, prof.max_files, prof.max_lines
            ),
        );
    } else {
        add(
            "change_size",
            CheckStatus::Pass,
            format!("{} files / {} lines", c.files, c.lines),
        );
    }

    let worst = input
        .budget
        .iter()
        .filter(|(_, v)| v.is_finite())
        .max_by(|a, b| a.1.total_cmp(b.1));
    match worst {
        Some((k, v)) if *v > prof.budget_block => add(
            "budget",
            CheckStatus::Fail,
            format!("{k} budget at {:.0}%", v * 100.0),
        ),
        Some((k, v)) if *v >= prof.budget_warn => add(
            "budget",
            CheckStatus::Warn,
            format!("{k} budget at {:.0}%", v * 100.0),
        ),
        Some((k, v)) => add(
            "budget",
            CheckStatus::Pass,
            format!("highest use: {k} at {:.0}%", v * 100.0),
        ),
        None => add("budget", CheckStatus::Pass, "no budget use reported".into()),
    }

    let answer = input.final_answer.trim();
    let n = answer.chars().count();
    if n < prof.min_answer_chars {
        add(
            "answer_length",
            CheckStatus::Fail,
            format!(
                "answer has {n} characters, at least {} required",
                prof.min_answer_chars
            ),
        );
    } else if n > prof.max_answer_chars {
        add(
            "answer_length",
            CheckStatus::Warn,
            format!(
                "answer has {n} characters, at most {} expected",
                prof.max_answer_chars
            ),
        );
    } else {
        add(
            "answer_length",
            CheckStatus::Pass,
            format!("{n} characters"),
        );
    }

    let found: Vec<(&String, &String)> = prof
        .forbidden_markers
        .iter()
        .filter_map(|m| {
            let re = marker_regex(m)?;
            input
                .added_lines
                .iter()
                .find(|line| re.is_match(line))
                .map(|line| (m, line))
        })
        .collect();
    if found.is_empty() {
        add("forbidden_markers", CheckStatus::Pass, "none".into());
    } else {
        add(
            "forbidden_markers",
            CheckStatus::Fail,
            format!(
                "added lines contain {}",
                found
                    .iter()
                    .map(|(m, line)| format!(
                        "{m:?} ({:?})",
                        line.trim().chars().take(80).collect::<String>()
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }

    let evidence: Vec<String> = input
        .evidence
        .touched
        .iter()
        .chain(&input.evidence.read)
        .cloned()
        .collect();
    let unverified: Vec<String> = claimed_paths(answer)
        .into_iter()
        .filter(|p| !in_evidence(p, &evidence))
        .collect();
    if unverified.is_empty() {
        add(
            "claimed_paths",
            CheckStatus::Pass,
            "every path mentioned was touched or read".into(),
        );
    } else {
        add(
            "claimed_paths",
            CheckStatus::Fail,
            format!(
                "answer mentions paths not in the evidence: {}",
                unverified.join(", ")
            ),
        );
    }

    // A claim that the tests pass is held against the test runs: the answer may not say what the evidence contradicts.
    if let Some(claim) = claimed_green_tests(answer) {
        let t = &input.tests;
        if !t.ran || t.failed > 0 || t.passed == 0 {
            add(
                "claimed_tests",
                CheckStatus::Fail,
                format!(
                    "answer says {claim:?}, but {}",
                    if !t.ran {
                        "no test run is recorded".to_string()
                    } else if t.failed > 0 {
                        format!("{} test(s) failed", t.failed)
                    } else {
                        "the run reported no passing test".to_string()
                    }
                ),
            );
        } else {
            add(
                "claimed_tests",
                CheckStatus::Pass,
                format!("answer says {claim:?}, and the tests passed"),
            );
        }
    }

    let weights: BTreeMap<&str, u32> = [
        ("claimed_tests", 15),
        ("tests", 30),
        ("lint", 10),
        ("change_size", 15),
        ("budget", 10),
        ("answer_length", 10),
        ("forbidden_markers", 10),
        ("claimed_paths", 15),
    ]
    .into();
    let mut score: u32 = 100;
    for ch in &checks {
        let w = weights.get(ch.id.as_str()).copied().unwrap_or(10);
        score = score.saturating_sub(match ch.status {
            CheckStatus::Pass => 0,
            CheckStatus::Warn => w / 3,
            CheckStatus::Fail => w,
        });
    }
    let verdict = if checks.iter().any(|c| c.status == CheckStatus::Fail) {
        GateVerdict::Block
    } else if checks.iter().any(|c| c.status == CheckStatus::Warn) {
        GateVerdict::Warn
    } else {
        GateVerdict::Ok
    };
    QualityVerdict {
        verdict,
        score,
        profile: profile_name.into(),
        failing: checks
            .iter()
            .filter(|c| c.status != CheckStatus::Pass)
            .map(|c| c.id.clone())
            .collect(),
        checks,
        unverified_paths: unverified,
        errors: Vec::new(),
    }
}

fn blocked(profile: &str, e: EngineError) -> QualityVerdict {
    QualityVerdict {
        verdict: GateVerdict::Block,
        score: 0,
        profile: profile.into(),
        checks: Vec::new(),
        failing: Vec::new(),
        unverified_paths: Vec::new(),
        errors: vec![e],
    }
}

/// Runs the gate on JSON input. Invalid input is a BLOCK with errors.
pub fn check_quality_json(input: &serde_json::Value, profile_name: &str) -> QualityVerdict {
    match serde_json::from_value::<QualityInput>(input.clone()) {
        Ok(i) => check_quality(&i, profile_name),
        Err(e) => blocked(
            profile_name,
            EngineError::new("invalid_input", format!("quality input: {e}")),
        ),
    }
}

#[cfg(test)]
mod tests;
