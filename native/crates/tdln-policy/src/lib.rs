#![deny(clippy::all)]
//! tdln-policy: rules over requests, intents and actions, producing a verdict with violations, risk
//! and remediation.

mod decision;
mod document;
mod evaluate;
mod input;
mod request;

pub use decision::{Decision, Totals, Violation};
pub use document::{CommandRules, CommitRules, Limits, PathRules, Policy, ScopeRules};
pub use evaluate::{compiled, evaluate, evaluate_compiled, evaluate_with, CompiledPolicy};
pub use input::{Action, ChangeKind, Cumulative, FileMode, IntentSummary, PolicyInput};
pub use request::{normalize_request, request_rules, RequestFinding, RequestRules, REQUEST_RULES};

use serde::{Deserialize, Serialize};

/// Embedded preset for mechanic jobs.
pub const MECHANIC_POLICY: &str = include_str!("../../../policies/mechanic.v1.toml");
/// Embedded preset for genius jobs.
pub const GENIUS_POLICY: &str = include_str!("../../../policies/genius.v1.toml");

/// Job mode the policy applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Small targeted jobs.
    #[default]
    Mechanic,
    /// Large jobs.
    Genius,
}

/// Verdict, ordered from least to most severe.
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyVerdict {
    /// Go ahead.
    Allow,
    /// Go ahead, but report.
    Warn,
    /// A human must approve first.
    RequireApproval,
    /// Not allowed.
    Block,
}

/// The policy verdict by its short name (JS knows it as `PolicyVerdict`).
pub type Verdict = PolicyVerdict;

/// Risk level derived from the score.
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// 0-24
    Low,
    /// 25-49
    Medium,
    /// 50-79
    High,
    /// 80-100
    Critical,
}

#[cfg(test)]
mod tests;
