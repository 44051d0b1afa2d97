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
        if s.role.trim().is_empty() {
            errors.push(EngineError::at(
                "missing_role",
                "role must not be empty",
                &at,
            ));
        }
        if !(s.budget_share > 0.0 && s.budget_share <= 1.0) {
            errors.push(EngineError::at(
                "budget_share",
                format!("budget_share {} must be in (0, 1]", s.budget_share),
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
    if !seen.contains("intake") {
        errors.push(EngineError::new(
            "missing_stage",
            "the intake stage is required",
        ));
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

    #[test]
    fn out_of_order_and_unparseable_configs_are_errors() {
        let toml = "id='p'\nversion='1'\n[[stages]]\nname='intake'\nrole='r'\nbudget_share=0.1\n[[stages]]\nname='seal'\nrole='r'\nbudget_share=0.1\n[[stages]]\nname='plan'\nrole='r'\nbudget_share=0.1\n";
        assert_eq!(validate_stages(toml).errors[0].code, "order");
        assert_eq!(
            validate_stages("stages = 3").errors[0].code,
            "invalid_stages"
        );
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
