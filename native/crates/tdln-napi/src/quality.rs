//! tdln-quality: the end-of-job gate. Its parts, checks and verdict are tdln-quality's own types;
//! the input is the binding's, since JS may leave out the budget, `readOnly` and `addedLines`.

use crate::{guard, guard_throw, EngineError};
use napi::bindgen_prelude::Result;
use napi_derive::napi;
use std::collections::HashMap;
// Imported under their JS names, which the generated `.d.ts` uses for types from other crates.
use tdln_quality::{
    ChangeSize as QualityChange, ClaimCheck, Evidence as QualityEvidence, GateVerdict,
    LintInfo as QualityLint, QualityVerdict, TestsInfo as QualityTests,
};

/// Input to `checkQuality`.
#[napi(object)]
pub struct QualityInput {
    /// Tests.
    pub tests: QualityTests,
    /// Lint.
    pub lint: QualityLint,
    /// Change size.
    pub change: QualityChange,
    /// Budget use as fractions by dimension, e.g. `{ tokens: 0.4, time: 0.7 }`.
    pub budget: Option<HashMap<String, f64>>,
    /// The final answer text.
    pub final_answer: String,
    /// Evidence.
    pub evidence: QualityEvidence,
    /// Read-only job (tests/lint not required).
    pub read_only: Option<bool>,
    /// The lines the change adds (from the commit's diff), where unfinished-work markers are looked for.
    pub added_lines: Option<Vec<String>>,
}

/// Runs the end-of-job quality gate with a profile (`mechanic` or `genius`).
#[napi]
pub fn check_quality(input: QualityInput, profile: String) -> QualityVerdict {
    let blocked = |e: EngineError, profile: String| QualityVerdict {
        verdict: GateVerdict::Block,
        score: 0,
        profile,
        checks: Vec::new(),
        failing: Vec::new(),
        unverified_paths: Vec::new(),
        errors: vec![e],
    };
    let p2 = profile.clone();
    guard(
        move || {
            let i = tdln_quality::QualityInput {
                tests: input.tests,
                lint: input.lint,
                change: input.change,
                budget: input.budget.unwrap_or_default().into_iter().collect(),
                final_answer: input.final_answer,
                evidence: input.evidence,
                read_only: input.read_only.unwrap_or(false),
                added_lines: input.added_lines.unwrap_or_default(),
            };
            tdln_quality::check_quality(&i, &profile)
        },
        |e| blocked(e, p2),
    )
}

/// The quality gate's `claimed_paths` check on its own: the paths a text names that the evidence
/// (paths touched, read or listed) does not contain.
#[napi]
pub fn check_claims(text: String, evidence: Vec<String>) -> Result<ClaimCheck> {
    guard_throw(move || tdln_quality::check_claims(&text, &evidence))
}
