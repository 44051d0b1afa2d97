use super::*;
use crate::evaluate::level;
use serde_json::json;

fn eval(input: serde_json::Value) -> Decision {
    evaluate(&input, None)
}

fn edit(path: &str, lines: u32) -> serde_json::Value {
    json!({"type": "file_change", "path": path, "kind": "edit", "added": lines, "removed": 0})
}

#[test]
fn a_small_targeted_edit_is_allowed_with_low_risk() {
    let d = eval(
        json!({"intent": {"operation": "bug_fix", "targets": ["src/auth.ts"]}, "actions": [edit("src/auth.ts", 10)]}),
    );
    assert_eq!(d.verdict, Verdict::Allow, "{:?}", d.violations);
    assert_eq!(d.risk_level, RiskLevel::Low);
    assert_eq!(d.policy_id, "preset-mechanic");
    assert_eq!(d.policy_hash.len(), 64);
}

fn rules(d: &Decision) -> Vec<&str> {
    d.violations.iter().map(|v| v.rule_id.as_str()).collect()
}

#[test]
fn gitlinks_and_symlinks_out_of_the_repository_are_blocked_and_inside_links_allowed() {
    let gitlink =
        json!({"type": "file_change", "path": "vendor/lib", "kind": "create", "mode": "gitlink"});
    let d = eval(json!({"actions": [gitlink]}));
    assert_eq!(d.verdict, Verdict::Block);
    assert!(rules(&d).contains(&"gitlink"), "{:?}", d.violations);
    for target in ["/etc/passwd", "../../outside", "a/../../../x", "C:/Windows"] {
        let link = json!({"type": "file_change", "path": "src/link", "kind": "create", "mode": "symlink", "linkTarget": target});
        let d = eval(json!({"actions": [link]}));
        assert!(
            rules(&d).contains(&"symlink_outside"),
            "{target}: {:?}",
            d.violations
        );
    }
    for target in ["../README.md", "other.ts", "./a/b", "a/../b"] {
        let link = json!({"type": "file_change", "path": "src/link", "kind": "create", "mode": "symlink", "linkTarget": target});
        assert_eq!(
            eval(json!({"actions": [link]})).verdict,
            Verdict::Allow,
            "{target}"
        );
    }
    // Removing a submodule is not adding one.
    let removed =
        json!({"type": "file_change", "path": "vendor/lib", "kind": "delete", "mode": "gitlink"});
    assert!(!rules(&eval(json!({"actions": [removed]}))).contains(&"gitlink"));
}

#[test]
fn changing_what_defines_a_green_run_needs_approval() {
    for p in [
        ".aict.yml",
        "jest.config.js",
        "web/vitest.config.ts",
        "pytest.ini",
        "tests/conftest.py",
    ] {
        let d = eval(json!({"actions": [edit(p, 1)]}));
        assert!(
            rules(&d).contains(&"test_definition_changed"),
            "{p}: {:?}",
            d.violations
        );
        assert_eq!(d.verdict, Verdict::RequireApproval, "{p}");
    }
    let scripts = json!({"type": "file_change", "path": "package.json", "kind": "edit", "added": 1, "definesTests": true});
    assert!(rules(&eval(json!({"actions": [scripts]}))).contains(&"test_definition_changed"));
    assert!(!rules(&eval(json!({"actions": [edit("package.json", 1)]})))
        .contains(&"test_definition_changed"));
    let approved = eval(
        json!({"actions": [edit(".aict.yml", 1)], "approvedRules": ["test_definition_changed"]}),
    );
    assert_eq!(approved.verdict, Verdict::Warn);
}

#[test]
fn the_constraints_a_request_states_are_enforced() {
    let intent = |c: &str| json!({"operation": "bug_fix", "constraints": [c]});
    let d = eval(
        json!({"intent": intent("no_test_changes"), "actions": [edit("src/auth.test.ts", 2)]}),
    );
    assert_eq!(d.verdict, Verdict::Block);
    assert!(rules(&d).contains(&"constraint_no_test_changes"));
    assert_eq!(
        eval(json!({"intent": intent("no_test_changes"), "actions": [edit("src/auth.ts", 2)]}))
            .verdict,
        Verdict::Allow
    );
    let d = eval(
        json!({"intent": intent("no_new_dependencies"), "actions": [edit("package.json", 1)]}),
    );
    assert!(rules(&d).contains(&"constraint_no_new_dependencies"));
    let d = eval(
        json!({"intent": intent("no_commit"), "actions": [{"type": "commit"}], "lastTestPassedAfterLastEdit": true}),
    );
    assert!(rules(&d).contains(&"constraint_no_commit"));
    assert_eq!(d.verdict, Verdict::Block);
    let delete = json!({"type": "file_change", "path": "src/api.ts", "kind": "delete"});
    let d = eval(json!({"intent": intent("keep_public_api"), "actions": [delete]}));
    assert!(rules(&d).contains(&"constraint_keep_public_api"));
    // Without the constraint none of these fire.
    let d =
        eval(json!({"intent": {"operation": "bug_fix"}, "actions": [edit("src/auth.test.ts", 2)]}));
    assert_eq!(d.verdict, Verdict::Allow);
}

#[test]
fn secrets_and_keys_are_blocked() {
    for p in [
        ".env",
        "config/.env.production",
        "certs/server.pem",
        "home/.ssh/id_rsa",
        "./id_rsa.pub",
    ] {
        let d = eval(json!({"actions": [edit(p, 1)]}));
        assert_eq!(d.verdict, Verdict::Block, "{p}");
        assert_eq!(d.violations[0].rule_id, "forbidden_path");
        assert_eq!(d.risk_level, RiskLevel::Critical);
    }
    assert_eq!(
        eval(json!({"actions": [edit(".env.example", 1)]})).verdict,
        Verdict::Allow
    );
}

#[test]
fn ci_config_lockfiles_and_deleted_tests_need_approval() {
    for p in [
        ".github/workflows/ci.yml",
        "package-lock.json",
        "native/Cargo.lock",
    ] {
        assert_eq!(
            eval(json!({"actions": [edit(p, 1)]})).verdict,
            Verdict::RequireApproval,
            "{p}"
        );
    }
    let d = eval(
        json!({"actions": [{"type": "file_change", "path": "src/auth.test.ts", "kind": "delete", "removed": 40}]}),
    );
    assert_eq!(d.verdict, Verdict::RequireApproval);
    assert_eq!(d.violations[0].rule_id, "test_deleted");
    let d = eval(
        json!({"actions": [{"type": "file_change", "path": "src/auth.test.ts", "kind": "delete", "removed": 40}], "approvedRules": ["test_deleted"]}),
    );
    assert_eq!(d.verdict, Verdict::Warn);
}

#[test]
fn cumulative_limits_count_earlier_changes() {
    let d = eval(
        json!({"cumulative": {"files": ["a.ts", "b.ts", "c.ts", "d.ts", "e.ts"], "linesChanged": 100}, "actions": [edit("f.ts", 5)]}),
    );
    assert_eq!(d.verdict, Verdict::RequireApproval);
    assert!(d.violations.iter().any(|v| v.rule_id == "max_files"));
    assert_eq!(d.totals.files, 6);
    let d = eval(json!({"cumulative": {"linesChanged": 190}, "actions": [edit("a.ts", 20)]}));
    assert!(d.violations.iter().any(|v| v.rule_id == "max_lines"));
    let d = eval(json!({"cumulative": {"linesChanged": 150}, "actions": [edit("a.ts", 20)]}));
    assert_eq!(d.verdict, Verdict::Warn);
    let genius = eval(
        json!({"mode": "genius", "cumulative": {"linesChanged": 190}, "actions": [edit("a.ts", 20)]}),
    );
    assert_eq!(genius.verdict, Verdict::Allow);
    assert_eq!(genius.totals.max_lines, 3000);
}

#[test]
fn commits_need_a_green_test_run_after_the_last_edit() {
    let commit = json!({"type": "commit", "message": "fix"});
    assert_eq!(
        eval(json!({"actions": [commit.clone()]})).verdict,
        Verdict::Block
    );
    assert_eq!(
        eval(json!({"actions": [commit.clone()], "lastTestPassedAfterLastEdit": false})).verdict,
        Verdict::Block
    );
    assert_eq!(
        eval(json!({"actions": [commit], "lastTestPassedAfterLastEdit": true})).verdict,
        Verdict::Allow
    );
}

#[test]
fn a_commit_with_red_tests_passes_only_with_a_persons_approval_and_says_so() {
    let commit = json!({"type": "commit", "message": "fix"});
    let approved = eval(json!({
        "actions": [commit.clone()],
        "lastTestPassedAfterLastEdit": false,
        "approvedRules": ["commit_requires_green_tests"]
    }));
    assert_eq!(approved.verdict, Verdict::Warn);
    assert!(approved.violations[0].message.ends_with("(approved)"));
    let other = eval(json!({
        "actions": [commit],
        "lastTestPassedAfterLastEdit": false,
        "approvedRules": ["max_files"]
    }));
    assert_eq!(other.verdict, Verdict::Block);
}

#[test]
fn dangerous_commands_and_force_pushes_are_blocked() {
    for c in [
        "rm -rf /",
        "git push --force origin main",
        "git reset --hard HEAD~3",
        "curl x | sh",
    ] {
        assert_eq!(
            eval(json!({"actions": [{"type": "command", "command": c}]})).verdict,
            Verdict::Block,
            "{c}"
        );
    }
    assert_eq!(
        eval(json!({"actions": [{"type": "command", "command": "npm test"}]})).verdict,
        Verdict::Allow
    );
    assert_eq!(
        eval(json!({"actions": [{"type": "push", "force": true, "branch": "main"}]})).verdict,
        Verdict::Block
    );
}

#[test]
fn read_only_intents_cannot_write() {
    let d = eval(
        json!({"intent": {"operation": "review", "readOnly": true}, "actions": [edit("src/a.ts", 1)]}),
    );
    assert_eq!(d.verdict, Verdict::Block);
    assert_eq!(d.violations[0].rule_id, "read_only_intent");
}

#[test]
fn edits_outside_the_targets_warn_in_mechanic_mode() {
    let d = eval(
        json!({"intent": {"operation": "bug_fix", "targets": ["src/auth.ts"]}, "actions": [edit("src/other.ts", 1)]}),
    );
    assert_eq!(d.verdict, Verdict::Warn);
}

#[test]
fn policies_load_from_toml_or_json_and_hash_canonically() {
    let toml_p = Policy::parse(MECHANIC_POLICY).unwrap();
    let json_text = serde_json::to_string_pretty(&toml_p).unwrap();
    let json_p = Policy::parse(&json_text).unwrap();
    assert_eq!(toml_p.hash(), json_p.hash());
    assert_ne!(toml_p.hash(), Policy::preset(Mode::Genius).hash());
    let custom = "id='strict'\nversion='2'\nmode='mechanic'\n[limits]\nmax_files=1\nmax_lines=10\n[commit]\nrequire_green_tests=true\n";
    let d = evaluate(&json!({"actions": [edit("a.ts", 11)]}), Some(custom));
    assert_eq!(d.policy_id, "strict");
    assert_eq!(d.verdict, Verdict::RequireApproval);
}

#[test]
fn invalid_policy_or_input_fails_closed_with_errors() {
    let d = evaluate(&json!({}), Some("id = "));
    assert_eq!(d.verdict, Verdict::Block);
    assert_eq!(d.errors[0].code, "invalid_policy");
    let d = evaluate(&json!({"actions": [{"type": "teleport"}]}), None);
    assert_eq!(d.errors[0].code, "invalid_input");
}

proptest::proptest! {
    #[test]
    fn risk_is_bounded_and_matches_the_level(n in 0u32..20, lines in 0u32..10_000) {
        let actions: Vec<_> = (0..n).map(|i| edit(&format!("src/f{i}.ts"), lines / (n + 1))).collect();
        let d = eval(json!({"actions": actions}));
        proptest::prop_assert!(d.risk_score <= 100);
        proptest::prop_assert_eq!(d.risk_level, level(d.risk_score));
    }
}
