//! What a policy decides: the verdict with its violations, risk and totals.

use crate::{PolicyVerdict, RiskLevel};
use serde::{Deserialize, Serialize};
use tdln_core::EngineError;

/// One rule violation.
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, js_name = "PolicyViolation")
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    /// Rule id.
    pub rule_id: String,
    /// Verdict this violation calls for.
    pub severity: PolicyVerdict,
    /// What happened.
    pub message: String,
    /// The path or command concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// What to do about it.
    pub remediation: String,
    /// The words of the request that fired a request rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// Change totals after the proposed actions.
#[cfg_attr(feature = "napi", napi_derive::napi(object, js_name = "PolicyTotals"))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Distinct files changed.
    pub files: u32,
    /// Lines changed.
    pub lines: u32,
    /// Limit on files.
    pub max_files: u32,
    /// Limit on lines.
    pub max_lines: u32,
}

/// A policy decision.
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, js_name = "PolicyDecision")
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// The verdict (most severe violation; `block` when the input or policy was invalid).
    pub verdict: PolicyVerdict,
    /// Risk score 0-100.
    pub risk_score: u32,
    /// Risk level.
    pub risk_level: RiskLevel,
    /// Violations, most severe first.
    pub violations: Vec<Violation>,
    /// Remediation steps, one per distinct rule.
    pub remediation: Vec<String>,
    /// Policy id.
    pub policy_id: String,
    /// Policy version.
    pub policy_version: String,
    /// SHA-256 of the policy's canonical JSON.
    pub policy_hash: String,
    /// SHA-256 of the request rules, when a request text was judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_rules_hash: Option<String>,
    /// Totals after the proposed actions.
    pub totals: Totals,
    /// Input/policy errors (fail closed: verdict is `block`).
    pub errors: Vec<EngineError>,
}

impl Decision {
    /// The decision when the input or the policy is invalid: `block` at full risk, failing closed.
    pub fn failed(errors: Vec<EngineError>) -> Decision {
        Decision {
            verdict: PolicyVerdict::Block,
            risk_score: 100,
            risk_level: RiskLevel::Critical,
            violations: Vec::new(),
            remediation: vec!["Fix the policy input; decisions fail closed.".into()],
            policy_id: String::new(),
            policy_version: String::new(),
            policy_hash: String::new(),
            request_rules_hash: None,
            totals: Totals {
                files: 0,
                lines: 0,
                max_files: 0,
                max_lines: 0,
            },
            errors,
        }
    }
}
