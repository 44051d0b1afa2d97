//! The policy document: what a policy file (TOML or JSON) deserialises into, its limits and its
//! path, command, commit and scope rules.

use crate::{Mode, Verdict, GENIUS_POLICY, MECHANIC_POLICY};
use globset::Glob;
use serde::{Deserialize, Serialize};
use tdln_core::{hash_of, EngineError};

/// Change limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Maximum distinct files changed per job.
    pub max_files: u32,
    /// Maximum changed lines (added + removed) per job.
    pub max_lines: u32,
    /// Fraction of a limit at which a warning is raised.
    #[serde(default = "default_warn_fraction")]
    pub warn_fraction: f64,
    /// Verdict when a limit is exceeded.
    #[serde(default = "default_on_exceed")]
    pub on_exceed: Verdict,
}

fn default_warn_fraction() -> f64 {
    0.8
}
fn default_on_exceed() -> Verdict {
    Verdict::RequireApproval
}

/// Path rules (globs, `**` crosses directories).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PathRules {
    /// Never touched: block.
    #[serde(default)]
    pub forbidden: Vec<String>,
    /// Touching needs approval.
    #[serde(default)]
    pub protected: Vec<String>,
    /// Test files (deleting one needs approval).
    #[serde(default)]
    pub tests: Vec<String>,
    /// Exceptions to `forbidden` (e.g. `.env.example`).
    #[serde(default)]
    pub allowed_env_examples: Vec<String>,
    /// Files that define what a green test run is (test command, runner configuration): changing
    /// one needs approval.
    #[serde(default)]
    pub test_definition: Vec<String>,
    /// Dependency manifests and lockfiles (what `no_new_dependencies` guards).
    #[serde(default)]
    pub manifests: Vec<String>,
}

/// Command rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CommandRules {
    /// Substrings (case-insensitive) that make a command dangerous.
    #[serde(default)]
    pub dangerous: Vec<String>,
}

/// Commit rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitRules {
    /// Commits need a green test run after the last edit.
    pub require_green_tests: bool,
}

/// Scope rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ScopeRules {
    /// Warn when a file outside the intent's targets (and their folders) changes.
    #[serde(default)]
    pub warn_outside_targets: bool,
}

/// A policy (what a policy file deserialises into).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Policy id.
    pub id: String,
    /// Policy version.
    pub version: String,
    /// Mode it is meant for.
    pub mode: Mode,
    /// Change limits.
    pub limits: Limits,
    /// Path rules.
    #[serde(default)]
    pub paths: PathRules,
    /// Command rules.
    #[serde(default)]
    pub commands: CommandRules,
    /// Commit rules.
    pub commit: CommitRules,
    /// Scope rules.
    #[serde(default)]
    pub scope: ScopeRules,
}

impl Policy {
    /// Parses a policy from TOML or JSON text (JSON when it starts with `{`).
    pub fn parse(text: &str) -> Result<Policy, EngineError> {
        let policy: Policy = if text.trim_start().starts_with('{') {
            serde_json::from_str(text)
                .map_err(|e| EngineError::new("invalid_policy", format!("policy JSON: {e}")))?
        } else {
            toml::from_str(text)
                .map_err(|e| EngineError::new("invalid_policy", format!("policy TOML: {e}")))?
        };
        if !(0.0..=1.0).contains(&policy.limits.warn_fraction) {
            return Err(EngineError::new(
                "invalid_policy",
                "limits.warn_fraction must be within 0..1",
            ));
        }
        for g in policy
            .paths
            .forbidden
            .iter()
            .chain(&policy.paths.protected)
            .chain(&policy.paths.tests)
        {
            Glob::new(g).map_err(|e| {
                EngineError::at("invalid_policy", format!("bad glob: {e}"), g.clone())
            })?;
        }
        Ok(policy)
    }

    /// The preset for a mode.
    pub fn preset(mode: Mode) -> Policy {
        let text = match mode {
            Mode::Mechanic => MECHANIC_POLICY,
            Mode::Genius => GENIUS_POLICY,
        };
        Policy::parse(text).unwrap_or_else(|e| panic!("embedded policy preset is invalid: {e}"))
    }

    /// SHA-256 of the policy's canonical JSON form.
    pub fn hash(&self) -> String {
        hash_of(self).unwrap_or_default()
    }
}
