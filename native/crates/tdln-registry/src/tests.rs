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
