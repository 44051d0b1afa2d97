#![deny(clippy::all)]
//! Registry of versioned, content-addressed artefacts and the pipeline stage configuration.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use tdln_core::{sha256_hex, EngineError};

/// The embedded default stages config.
pub const DEFAULT_STAGES: &str = include_str!("../../../stages/pipeline.v1.toml");

/// Stage names the engine knows, in their canonical order.
pub const KNOWN_STAGES: &[&str] = &[
    "intake", "plan", "build", "review", "quality", "render", "seal",
];

/// Tools a stage may allow.
pub const KNOWN_TOOLS: &[&str] = &[
    "read_file",
    "list_files",
    "find_files",
    "search_code",
    "semantic_search",
    "get_repo_state",
    "get_diff",
    "read_lints",
    "edit_file",
    "apply_patch",
    "run_tests",
    "run_lint",
    "commit_changes",
    "record_analysis",
    "create_plan",
    "submit_review",
    "request_human_review",
    "ask_user",
    "delegate",
    "format_response",
    "create_evaluation",
    "create_insight",
    "query_ledger",
    "get_job_record",
    "web_search",
];

/// Tools that change the workspace.
pub const WRITE_TOOLS: &[&str] = &["edit_file", "apply_patch", "commit_changes"];

/// Tools that change the workspace or run its code (tests and linters run in the sandbox and may write).
const CHANGE_TOOLS: &[&str] = &[
    "edit_file",
    "apply_patch",
    "commit_changes",
    "run_tests",
    "run_lint",
];

/// Roles the runtime knows: the agents of the plan, build and review stages, the coordinator
/// (intake and the final answer) and the system (the quality gate and the seal).
pub const KNOWN_ROLES: &[&str] = &["coordinator", "planner", "builder", "reviewer", "system"];

/// Stages the runtime always runs: the quality gate, the final answer and the seal (provenance).
pub const REQUIRED_STAGES: &[&str] = &["intake", "quality", "render", "seal"];

/// Stages an agent works (a model under a share of the budget); the others are deterministic.
pub const AGENT_STAGES: &[&str] = &["plan", "build", "review"];

const READ_TOOLS: &[&str] = &[
    "read_file",
    "list_files",
    "find_files",
    "search_code",
    "semantic_search",
    "get_repo_state",
];

/// The role that runs a stage: each stage has one, because the runtime's code for the stage
/// expects that role's result (a plan, a change, a review, a verdict).
pub fn role_of_stage(stage: &str) -> Option<&'static str> {
    Some(match stage {
        "intake" | "render" => "coordinator",
        "plan" => "planner",
        "build" => "builder",
        "review" => "reviewer",
        "quality" | "seal" => "system",
        _ => return None,
    })
}

/// Whether a role may be given a tool: a stage's tool list can narrow its role's tools, never
/// widen them (a Planner or Reviewer never changes code; the system calls no tools).
pub fn role_may_use(role: &str, tool: &str) -> bool {
    let extra: &[&str] = match role {
        "planner" => &[
            "record_analysis",
            "create_plan",
            "request_human_review",
            "ask_user",
            "web_search",
        ],
        "builder" => &[
            "get_diff",
            "read_lints",
            "edit_file",
            "apply_patch",
            "run_tests",
            "run_lint",
            "commit_changes",
            "request_human_review",
            "ask_user",
            "web_search",
        ],
        "reviewer" => &[
            "get_diff",
            "read_lints",
            "submit_review",
            "request_human_review",
            "ask_user",
            "web_search",
        ],
        "coordinator" => return !CHANGE_TOOLS.contains(&tool),
        _ => return false,
    };
    READ_TOOLS.contains(&tool) || extra.contains(&tool)
}

/// The tool a stage's agent finishes with, without which the stage can never end with its result.
fn finishing_tool(stage: &str) -> Option<&'static str> {
    match stage {
        "plan" => Some("create_plan"),
        "review" => Some("submit_review"),
        _ => None,
    }
}

/// A versioned, content-addressed artefact.
#[cfg_attr(feature = "napi", napi_derive::napi(object))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artefact {
    /// `grammar`, `templates`, `policy`, `request_rules`, `quality_profiles` or `stages`.
    pub kind: String,
    /// Artefact id.
    pub id: String,
    /// Version.
    pub version: String,
    /// SHA-256 hex of the artefact source.
    pub sha256: String,
}

/// Every artefact embedded in the engine.
pub fn registry_list() -> Result<Vec<Artefact>, EngineError> {
    let mut out = Vec::new();
    let g = tdln_in::grammar()?;
    out.push(Artefact {
        kind: "grammar".into(),
        id: g.id.clone(),
        version: g.version.clone(),
        sha256: g.hash.clone(),
    });
    let t = tdln_out::templates()?;
    out.push(Artefact {
        kind: "templates".into(),
        id: t.id.clone(),
        version: t.version.clone(),
        sha256: t.hash.clone(),
    });
    for mode in [tdln_policy::Mode::Mechanic, tdln_policy::Mode::Genius] {
        let p = tdln_policy::Policy::preset(mode);
        out.push(Artefact {
            kind: "policy".into(),
            id: p.id.clone(),
            version: p.version.clone(),
            sha256: p.hash(),
        });
    }
    let r = tdln_policy::request_rules()?;
    out.push(Artefact {
        kind: "request_rules".into(),
        id: r.id.clone(),
        version: r.version.clone(),
        sha256: r.hash.clone(),
    });
    let (qid, qver, qhash, _) = tdln_quality::profiles_info();
    out.push(Artefact {
        kind: "quality_profiles".into(),
        id: qid,
        version: qver,
        sha256: qhash,
    });
    let s = parse_stages(DEFAULT_STAGES)?;
    out.push(Artefact {
        kind: "stages".into(),
        id: s.id,
        version: s.version,
        sha256: sha256_hex(DEFAULT_STAGES),
    });
    Ok(out)
}

/// One pipeline stage.
#[cfg_attr(feature = "napi", napi_derive::napi(object, js_name = "PipelineStage"))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Stage name (one of [`KNOWN_STAGES`]).
    pub name: String,
    /// Role that runs it.
    pub role: String,
    /// Tool allow-list.
    #[serde(default)]
    pub tools: Vec<String>,
    /// Share of the job budget (0..1].
    pub budget_share: f64,
    /// Skip the stage for read-only jobs.
    #[serde(default)]
    pub skip_when_read_only: bool,
}

/// A stages config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StagesConfig {
    /// Config id.
    pub id: String,
    /// Config version.
    pub version: String,
    /// Ordered stages.
    pub stages: Vec<Stage>,
}

/// Result of [`validate_stages`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StagesValidation {
    /// True when there are no errors.
    pub ok: bool,
    /// The parsed config (when it parsed).
    pub config: Option<StagesConfig>,
    /// SHA-256 of the config text.
    pub sha256: String,
    /// Every problem found.
    pub errors: Vec<EngineError>,
}

fn parse_stages(text: &str) -> Result<StagesConfig, EngineError> {
    if text.trim_start().starts_with('{') {
        serde_json::from_str(text)
            .map_err(|e| EngineError::new("invalid_stages", format!("stages JSON: {e}")))
    } else {
        toml::from_str(text)
            .map_err(|e| EngineError::new("invalid_stages", format!("stages TOML: {e}")))
    }
}

/// Validates a stages config (TOML or JSON). Errors are data.
pub fn validate_stages(text: &str) -> StagesValidation {
    let sha256 = sha256_hex(text);
    let cfg = match parse_stages(text) {
        Ok(c) => c,
        Err(e) => {
            return StagesValidation {
                ok: false,
                config: None,
                sha256,
                errors: vec![e],
            }
        }
    };
    let mut errors = Vec::new();
    if cfg.stages.is_empty() {
        errors.push(EngineError::new("empty", "at least one stage is required"));
    }
    let mut seen = BTreeSet::new();
    let mut last_rank: Option<usize> = None;
    let mut total = 0.0;
    for (i, s) in cfg.stages.iter().enumerate() {
        let at = format!("stages[{i}]");
        match KNOWN_STAGES.iter().position(|k| *k == s.name) {
            None => errors.push(EngineError::at(
                "unknown_stage",
                format!(
                    "unknown stage {:?}; known: {}",
                    s.name,
                    KNOWN_STAGES.join(", ")
                ),
                &at,
            )),
            Some(rank) => {
                if let Some(prev) = last_rank {
                    if rank < prev && !seen.contains(&s.name) {
                        errors.push(EngineError::at(
                            "order",
                            format!("stage {:?} comes after a later stage", s.name),
                            &at,
                        ));
                    }
                }
                last_rank = Some(rank);
            }
        }
        if !seen.insert(s.name.clone()) {
            errors.push(EngineError::at(
                "duplicate_stage",
                format!("stage {:?} appears twice", s.name),
                &at,
            ));
        }
        let known_role = KNOWN_ROLES.contains(&s.role.as_str());
        if s.role.trim().is_empty() {
            errors.push(EngineError::at(
                "missing_role",
                "role must not be empty",
                &at,
            ));
        } else if !known_role {
            errors.push(EngineError::at(
                "unknown_role",
                format!(
                    "unknown role {:?} in stage {:?}; the runtime knows: {}",
                    s.role,
                    s.name,
                    KNOWN_ROLES.join(", ")
                ),
                &at,
            ));
        } else if let Some(expected) = role_of_stage(&s.name) {
            if expected != s.role {
                errors.push(EngineError::at(
                    "role_mismatch",
                    format!(
                        "stage {:?} is run by the {expected} role, not {:?}",
                        s.name, s.role
                    ),
                    &at,
                ));
            }
        }
        let agent = AGENT_STAGES.contains(&s.name.as_str());
        if agent && !(s.budget_share > 0.0 && s.budget_share <= 1.0) {
            errors.push(EngineError::at(
                "budget_share",
                format!(
                    "budget_share {} of stage {:?} must be in (0, 1]: an agent works it",
                    s.budget_share, s.name
                ),
                &at,
            ));
        } else if !(0.0..=1.0).contains(&s.budget_share) {
            errors.push(EngineError::at(
                "budget_share",
                format!("budget_share {} must be in [0, 1]", s.budget_share),
                &at,
            ));
        }
        total += s.budget_share;
        for t in &s.tools {
            if !KNOWN_TOOLS.contains(&t.as_str()) {
                errors.push(EngineError::at(
                    "unknown_tool",
                    format!("unknown tool {t:?} in stage {:?}", s.name),
                    &at,
                ));
            } else if known_role && !role_may_use(&s.role, t) {
                errors.push(EngineError::at(
                    "tool_not_for_role",
                    format!(
                        "the {} role may not be given {t:?} (stage {:?})",
                        s.role, s.name
                    ),
                    &at,
                ));
            }
        }
        if let Some(tool) = finishing_tool(&s.name) {
            if !s.tools.iter().any(|t| t == tool) {
                errors.push(EngineError::at(
                    "missing_tool",
                    format!(
                        "stage {:?} needs {tool}: its agent finishes with it",
                        s.name
                    ),
                    &at,
                ));
            }
        }
        if !s.skip_when_read_only {
            if let Some(w) = s.tools.iter().find(|t| WRITE_TOOLS.contains(&t.as_str())) {
                errors.push(EngineError::at("read_only_unsafe", format!("stage {:?} allows {w} but runs for read-only jobs; set skip_when_read_only", s.name), &at));
            }
        }
    }
    if total > 1.0 + 1e-9 {
        errors.push(EngineError::new(
            "budget_total",
            format!("budget shares sum to {total:.3}, more than 1"),
        ));
    }
    for required in REQUIRED_STAGES {
        if !seen.contains(*required) {
            errors.push(EngineError::new(
                "missing_stage",
                format!("the {required} stage is required"),
            ));
        }
    }
    StagesValidation {
        ok: errors.is_empty(),
        config: Some(cfg),
        sha256,
        errors,
    }
}

#[cfg(test)]
mod tests;
