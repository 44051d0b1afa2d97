use super::*;
use serde_json::json;

fn good() -> serde_json::Value {
    json!({
        "tests": {"ran": true, "passed": 12, "failed": 0},
        "lint": {"ran": true, "errors": 0},
        "change": {"files": 1, "lines": 14},
        "budget": {"tokens": 0.3, "time": 0.2},
        "finalAnswer": "Fixed the null check in src/auth.ts; the login test now passes.",
        "evidence": {"touched": ["src/auth.ts"], "read": ["src/auth.test.ts"]}
    })
}

fn with(mut v: serde_json::Value, key: &str, val: serde_json::Value) -> serde_json::Value {
    v[key] = val;
    v
}

#[test]
fn a_clean_job_is_ok_with_full_score() {
    let q = check_quality_json(&good(), "mechanic");
    assert_eq!(q.verdict, GateVerdict::Ok, "{:?}", q.checks);
    assert_eq!(q.score, 100);
    assert!(q.failing.is_empty());
}

#[test]
fn an_answer_that_says_the_tests_pass_is_held_against_the_test_runs() {
    let claim = with(
        good(),
        "finalAnswer",
        json!("Fixed subtract in src/auth.ts; tests pass."),
    );
    let red = with(
        claim.clone(),
        "tests",
        json!({"ran": true, "passed": 2, "failed": 1}),
    );
    let q = check_quality_json(&red, "mechanic");
    assert!(
        q.failing.contains(&"claimed_tests".to_string()),
        "{:?}",
        q.checks
    );
    let unrun = with(claim.clone(), "tests", json!({"ran": false}));
    assert!(check_quality_json(&unrun, "mechanic")
        .failing
        .contains(&"claimed_tests".to_string()));
    let q = check_quality_json(&claim, "mechanic");
    assert_eq!(q.verdict, GateVerdict::Ok, "{:?}", q.checks);
    // Saying they fail is not a claim that they pass.
    let honest = with(
        red,
        "finalAnswer",
        json!("Changed src/auth.ts; the tests do not pass yet."),
    );
    assert!(!check_quality_json(&honest, "mechanic")
        .failing
        .contains(&"claimed_tests".to_string()));
    assert_eq!(
        claimed_green_tests("All 3 tests pass now").as_deref(),
        Some("tests pass")
    );
    assert_eq!(
        claimed_green_tests("the test suite is green").as_deref(),
        Some("test suite is green")
    );
    assert_eq!(claimed_green_tests("one test failed"), None);
}

#[test]
fn lint_not_configured_passes_and_says_so() {
    let q = check_quality_json(
        &with(good(), "lint", json!({"ran": false, "notConfigured": true})),
        "mechanic",
    );
    assert_eq!(q.verdict, GateVerdict::Ok, "{:?}", q.checks);
    let lint = q.checks.iter().find(|c| c.id == "lint").unwrap();
    assert!(lint.message.starts_with("not configured"));
    let q = check_quality_json(&with(good(), "lint", json!({"ran": false})), "mechanic");
    assert_eq!(q.failing, vec!["lint"]);
}

#[test]
fn failed_or_missing_tests_block() {
    let q = check_quality_json(
        &with(
            with(
                good(),
                "finalAnswer",
                json!("Fixed the null check in src/auth.ts."),
            ),
            "tests",
            json!({"ran": true, "passed": 3, "failed": 1}),
        ),
        "mechanic",
    );
    assert_eq!(q.verdict, GateVerdict::Block);
    assert_eq!(q.failing, vec!["tests"]);
    let q = check_quality_json(&with(good(), "tests", json!({"ran": false})), "mechanic");
    assert_eq!(q.verdict, GateVerdict::Block);
    let q = check_quality_json(
        &with(
            with(
                with(
                    good(),
                    "finalAnswer",
                    json!("Fixed the null check in src/auth.ts."),
                ),
                "tests",
                json!({"ran": false}),
            ),
            "readOnly",
            json!(true),
        ),
        "mechanic",
    );
    assert_eq!(q.verdict, GateVerdict::Ok);
}

#[test]
fn change_size_limits_depend_on_the_profile() {
    let big = with(good(), "change", json!({"files": 12, "lines": 900}));
    assert_eq!(
        check_quality_json(&big, "mechanic").verdict,
        GateVerdict::Block
    );
    assert_eq!(check_quality_json(&big, "genius").verdict, GateVerdict::Ok);
}

#[test]
fn budget_near_the_limit_warns_and_over_it_blocks() {
    assert_eq!(
        check_quality_json(&with(good(), "budget", json!({"tokens": 0.85})), "mechanic").verdict,
        GateVerdict::Warn
    );
    assert_eq!(
        check_quality_json(&with(good(), "budget", json!({"time": 1.3})), "mechanic").verdict,
        GateVerdict::Block
    );
}

#[test]
fn forbidden_markers_block_as_words_in_added_lines_and_nowhere_else() {
    let q = check_quality_json(
        &with(
            good(),
            "addedLines",
            json!(["  return a - b;", "  // TODO: handle the edge case"]),
        ),
        "mechanic",
    );
    assert_eq!(q.failing, vec!["forbidden_markers"]);
    let q = check_quality_json(
        &with(
            good(),
            "addedLines",
            json!(["const note = 'Lorem ipsum dolor';"]),
        ),
        "mechanic",
    );
    assert_eq!(q.verdict, GateVerdict::Block);
    // A clean change to src/todo.ts, described in the answer, passes: markers are words, in
    // capitals when written in capitals, and only looked for in what the change adds.
    let mut clean = with(
        good(),
        "addedLines",
        json!([
            "import { todoList } from './todo';",
            "export const XXXL = 'size';"
        ]),
    );
    clean["finalAnswer"] =
        json!("Fixed the todo list in src/auth.ts; TODO items now sort by date.");
    let q = check_quality_json(&clean, "mechanic");
    assert!(
        !q.failing.contains(&"forbidden_markers".to_string()),
        "{:?}",
        q.checks
    );
    let q = check_quality_json(&with(good(), "finalAnswer", json!("done")), "mechanic");
    assert!(q.failing.contains(&"answer_length".to_string()));
}

#[test]
fn every_path_the_answer_claims_must_be_in_the_evidence() {
    let q = check_quality_json(
        &with(
            good(),
            "finalAnswer",
            json!("Updated src/auth.ts and `src/session/store.ts`, see https://example.com/a/b.md"),
        ),
        "mechanic",
    );
    assert_eq!(q.verdict, GateVerdict::Block);
    assert_eq!(q.unverified_paths, vec!["src/session/store.ts"]);
    let q = check_quality_json(
        &with(
            good(),
            "finalAnswer",
            json!("The fix is in auth.ts, covered by auth.test.ts."),
        ),
        "mechanic",
    );
    assert_eq!(q.verdict, GateVerdict::Ok, "{:?}", q.unverified_paths);
}

#[test]
fn path_detection_finds_paths_and_skips_urls_and_versions() {
    assert_eq!(
        claimed_paths("see ./src/a.ts, lib/ and README.md; v1.2.3 at http://x.io/y/z.js"),
        vec!["src/a.ts", "lib/", "README.md"]
    );
}

#[test]
fn claims_are_checked_against_the_evidence_on_their_own() {
    let evidence = vec!["src/calc.js".to_string(), "./test/calc.test.js".to_string()];
    let c = check_claims(
        "subtract in src/calc.js adds; see test/calc.test.js and src/ghost.js.",
        &evidence,
    );
    assert_eq!(
        c.claimed,
        vec!["src/calc.js", "test/calc.test.js", "src/ghost.js"]
    );
    assert_eq!(c.unverified, vec!["src/ghost.js"]);
    assert!(check_claims("no paths here.", &[]).claimed.is_empty());
}

#[test]
fn unknown_profiles_and_bad_input_block_with_errors() {
    assert_eq!(
        check_quality_json(&good(), "wizard").errors[0].code,
        "unknown_profile"
    );
    assert_eq!(
        check_quality_json(&json!({"tests": 3}), "mechanic").errors[0].code,
        "invalid_input"
    );
}
