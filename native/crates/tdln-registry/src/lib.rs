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
mod tests {
    use super::*;

    #[test]
    fn the_default_stages_config_is_valid() {
        let v = validate_stages(DEFAULT_STAGES);
        assert!(v.ok, "{:?}", v.errors);
        let names: Vec<String> = v
            .config
            .unwrap()
            .stages
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, KNOWN_STAGES);
    }

    #[test]
    fn bad_configs_report_every_problem() {
        let json = r#"{"id":"p","version":"1","stages":[
            {"name":"intake","role":"parser","budget_share":0.5},
            {"name":"build","role":"coder","tools":["edit_file","teleport"],"budget_share":0.4},
            {"name":"build","role":"coder","budget_share":0.2},
            {"name":"deploy","role":"ops","budget_share":0.1}]}"#;
        let v = validate_stages(json);
        let codes: Vec<&str> = v.errors.iter().map(|e| e.code.as_str()).collect();
        assert!(!v.ok);
        for c in [
            "unknown_tool",
            "read_only_unsafe",
            "duplicate_stage",
            "unknown_stage",
            "budget_total",
        ] {
            assert!(codes.contains(&c), "{c} missing in {codes:?}");
        }
    }

    /// A valid config made of the given stages (name, tools), each with its own role.
    fn config(stages: &[(&str, &[&str])]) -> String {
        let mut out = String::from("id = 'p'\nversion = '1'\n");
        for (name, tools) in stages {
            let tools: Vec<String> = tools.iter().map(|t| format!("{t:?}")).collect();
            let share = if AGENT_STAGES.contains(name) {
                0.3
            } else {
                0.0
            };
            out.push_str(&format!(
                "[[stages]]\nname = {name:?}\nrole = {:?}\ntools = [{}]\nbudget_share = {share}\nskip_when_read_only = {}\n",
                role_of_stage(name).unwrap(),
                tools.join(", "),
                *name == "build"
            ));
        }
        out
    }

    #[test]
    fn out_of_order_and_unparseable_configs_are_errors() {
        let toml = config(&[
            ("intake", &[]),
            ("seal", &[]),
            ("plan", &["create_plan"]),
            ("quality", &[]),
            ("render", &[]),
        ]);
        let codes: Vec<String> = validate_stages(&toml)
            .errors
            .into_iter()
            .map(|e| e.code)
            .collect();
        assert!(codes.contains(&"order".to_string()), "{codes:?}");
        assert_eq!(
            validate_stages("stages = 3").errors[0].code,
            "invalid_stages"
        );
    }

    #[test]
    fn a_pipeline_without_a_review_stage_is_valid() {
        let v = validate_stages(&config(&[
            ("intake", &[]),
            ("plan", &["read_file", "create_plan"]),
            (
                "build",
                &["read_file", "edit_file", "run_tests", "commit_changes"],
            ),
            ("quality", &[]),
            ("render", &[]),
            ("seal", &[]),
        ]));
        assert!(v.ok, "{:?}", v.errors);
    }

    #[test]
    fn a_role_the_runtime_does_not_know_is_refused_by_its_name() {
        let toml = config(&[
            ("intake", &[]),
            ("plan", &["create_plan"]),
            ("quality", &[]),
            ("render", &[]),
            ("seal", &[]),
        ])
        .replace("role = \"planner\"", "role = \"architect\"");
        let v = validate_stages(&toml);
        let unknown = v
            .errors
            .iter()
            .find(|e| e.code == "unknown_role")
            .expect("unknown_role");
        assert!(
            unknown.message.contains("\"architect\""),
            "{}",
            unknown.message
        );
        assert!(unknown.message.contains("planner"), "{}", unknown.message);
        assert_eq!(unknown.path.as_deref(), Some("stages[1]"));
    }

    #[test]
    fn a_stage_run_by_another_known_role_is_refused() {
        let toml = config(&[
            ("intake", &[]),
            ("plan", &["create_plan"]),
            ("quality", &[]),
            ("render", &[]),
            ("seal", &[]),
        ])
        .replace("role = \"planner\"", "role = \"builder\"");
        let v = validate_stages(&toml);
        assert!(
            v.errors
                .iter()
                .any(|e| e.code == "role_mismatch" && e.message.contains("planner")),
            "{:?}",
            v.errors
        );
    }

    #[test]
    fn a_tool_list_narrows_a_role_but_never_widens_it() {
        let v = validate_stages(&config(&[
            ("intake", &[]),
            ("plan", &["read_file", "edit_file", "create_plan"]),
            ("review", &["get_diff", "run_tests", "submit_review"]),
            ("quality", &[]),
            ("render", &[]),
            ("seal", &[]),
        ]));
        let refused: Vec<&str> = v
            .errors
            .iter()
            .filter(|e| e.code == "tool_not_for_role")
            .map(|e| e.message.as_str())
            .collect();
        assert_eq!(refused.len(), 2, "{:?}", v.errors);
        assert!(refused[0].contains("planner") && refused[0].contains("edit_file"));
        assert!(refused[1].contains("reviewer") && refused[1].contains("run_tests"));
    }

    #[test]
    fn an_agent_stage_without_the_tool_it_finishes_with_is_refused() {
        let v = validate_stages(&config(&[
            ("intake", &[]),
            ("plan", &["read_file"]),
            ("review", &["get_diff"]),
            ("quality", &[]),
            ("render", &[]),
            ("seal", &[]),
        ]));
        let missing: Vec<&str> = v
            .errors
            .iter()
            .filter(|e| e.code == "missing_tool")
            .map(|e| e.message.as_str())
            .collect();
        assert_eq!(missing.len(), 2, "{:?}", v.errors);
        assert!(missing[0].contains("create_plan") && missing[1].contains("submit_review"));
    }

    #[test]
    fn the_gates_and_the_seal_cannot_be_left_out() {
        let v = validate_stages(&config(&[
            ("intake", &[]),
            ("plan", &["create_plan"]),
            ("render", &[]),
        ]));
        let missing: Vec<&str> = v
            .errors
            .iter()
            .filter(|e| e.code == "missing_stage")
            .map(|e| e.message.as_str())
            .collect();
        assert_eq!(
            missing,
            [
                "the quality stage is required",
                "the seal stage is required"
            ]
        );
    }

    #[test]
    fn agent_stages_need_a_share_and_deterministic_stages_may_take_none() {
        let toml = config(&[
            ("intake", &[]),
            ("plan", &["create_plan"]),
            ("quality", &[]),
            ("render", &[]),
            ("seal", &[]),
        ])
        .replace("budget_share = 0.3", "budget_share = 0");
        let v = validate_stages(&toml);
        let shares: Vec<&str> = v
            .errors
            .iter()
            .filter(|e| e.code == "budget_share")
            .map(|e| e.message.as_str())
            .collect();
        assert_eq!(shares.len(), 1, "{:?}", v.errors);
        assert!(shares[0].contains("\"plan\""));
    }

    #[test]
    fn the_registry_lists_every_artefact_with_its_hash() {
        let list = registry_list().unwrap();
        let kinds: Vec<&str> = list.iter().map(|a| a.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "grammar",
                "templates",
                "policy",
                "policy",
                "request_rules",
                "quality_profiles",
                "stages"
            ]
        );
        assert!(list
            .iter()
            .all(|a| a.sha256.len() == 64 && !a.version.is_empty()));
        assert_eq!(list[0].sha256, sha256_hex(tdln_in::GRAMMAR_SOURCE));
    }
}
