use super::*;
use serde_json::json;

fn samples() -> Vec<(&'static str, Value)> {
    vec![
        (
            "job_started",
            json!({"job": {"id": "J-1", "title": "Fix login"}, "intent": {"operation": "bug_fix"}, "mode": "mechanic", "targets": ["src/auth.ts"]}),
        ),
        (
            "job_progress",
            json!({"job": {"id": "J-1"}, "status": "running", "action": "builder at work", "steps": {"used": 3, "max": 30}}),
        ),
        (
            "job_succeeded",
            json!({"job": {"id": "J-1"}, "summary": "null check added", "files": [{"path": "src/auth.ts", "added": 3, "removed": 1}], "tests": {"ran": true, "passed": 12, "failed": 0}, "commit": "abc123"}),
        ),
        (
            "job_failed",
            json!({"job": {"id": "J-2"}, "reason": "tests failed", "next_step": "inspect src/auth.test.ts"}),
        ),
        (
            "needs_clarification",
            json!({"question": "Which file?", "suggestions": ["fix the bug in src/auth.ts"]}),
        ),
        (
            "needs_approval",
            json!({"action": {"kind": "edit", "paths": [".github/workflows/ci.yml"]}, "reasons": ["CI config is protected"], "rules": ["protected_path"]}),
        ),
        (
            "review_approved",
            json!({"target": "job J-1", "summary": "looks good."}),
        ),
        (
            "review_changes_requested",
            json!({"target": "job J-1", "summary": "not yet", "issues": [{"file": "src/a.ts", "message": "missing null check"}]}),
        ),
        (
            "evaluation",
            json!({"job": {"id": "J-1"}, "verdict": "OK", "score": 100, "failing": []}),
        ),
        (
            "insight",
            json!({"severity": "warning", "confidence": 0.8, "facts": [{"name": "errorCode", "value": "agent_stuck"}, {"name": "count", "value": 3}], "sources": ["J-1", "J-4"]}),
        ),
        ("chat_reply", json!({"text": "Hello!"})),
        (
            "status",
            json!({"jobs": {"running": 1, "queued": 2, "failed": 0}, "budget": {"used": 0.425}}),
        ),
        ("job_running", json!({"job": {"id": "J-1"}})),
        (
            "job_status",
            json!({"job": {"id": "J-1", "goal": "fix it"}, "status": "succeeded"}),
        ),
        ("no_jobs_yet", json!({})),
        (
            "job_done",
            json!({"job": {"id": "J-1"}, "summary": "done", "branch": "aict/J-1"}),
        ),
        (
            "job_aborted",
            json!({"job": {"id": "J-1"}, "reason": "cancelled"}),
        ),
        (
            "agent_question",
            json!({"question": "Should negative results be allowed?"}),
        ),
        (
            "quality_blocked",
            json!({"score": 70, "failing": ["tests", "claimed_paths"], "unverified_paths": ["src/x.ts"]}),
        ),
        (
            "review_rounds_exhausted",
            json!({"rounds": 2, "review": {"summary": "still adds"}}),
        ),
        (
            "chat_answer",
            json!({"text": "subtract adds.", "sources": ["src/calc.js"], "unverified": []}),
        ),
        ("chat_error", json!({})),
        ("needs_repository", json!({})),
        (
            "request_refused",
            json!({"message": "Policy blocks this.", "hint": "Ask for less.", "suggestions": ["fix src/a.ts"]}),
        ),
        (
            "job_proposed",
            json!({"operation": "refactor", "targets": ["src/a.ts"], "repo": "/srv/repos/shop"}),
        ),
        ("proposal_declined", json!({})),
        (
            "job_delegated",
            json!({"job": {"id": "J-5", "goal": "fix the subtract bug in src/calc.js"}, "operation": "bug_fix", "mode": "mechanic"}),
        ),
        (
            "job_needs_you",
            json!({"job": {"id": "J-1"}, "question": "Approve?", "approval": true}),
        ),
        (
            "still_waiting",
            json!({"waiting": [{"id": "J-1", "approval": true, "question": "Approve?"}]}),
        ),
        (
            "approval_which_job",
            json!({"several": true, "escalations": false, "decision": "approve", "waiting": [{"id": "J-1", "question": "a"}, {"id": "J-2", "question": "b"}]}),
        ),
        ("job_finished", json!({"job": {"id": "J-1"}})),
        (
            "response_recorded",
            json!({"job": {"id": "J-1"}, "rejected": false, "given": "approval"}),
        ),
        (
            "response_refused",
            json!({"job": {"id": "J-1"}, "reason": "it no longer waits"}),
        ),
        (
            "chat_budget_exhausted",
            json!({"spend": {"cost": "1.02", "max_cost": 1, "tokens": 900, "max_tokens": 500000}}),
        ),
    ]
}

/// Templates that say the same whatever happened: there is nothing for them to cite.
const FIXED_TEXTS: [&str; 4] = [
    "no_jobs_yet",
    "chat_error",
    "needs_repository",
    "proposal_declined",
];

#[test]
fn escalations_are_said_with_their_choices() {
    let how = "Reply **escalate** to continue in genius mode, **reject** to stop it.";
    let r = render(
        "job_needs_you",
        &json!({"job": {"id": "J-1"}, "question": "Raise the cap?", "approval": false, "escalation": true, "how": how}),
    );
    assert!(r.text.ends_with(how), "{}", r.text);
    assert!(!r.text.contains("answer:"), "{}", r.text);
    let r = render(
        "still_waiting",
        &json!({"waiting": [{"id": "J-1", "approval": false, "escalation": true, "how": how, "question": "Raise?"}]}),
    );
    assert!(
        r.text
            .starts_with("Job J-1 is waiting for a decision on its budget: Raise?"),
        "{}",
        r.text
    );
    let r = render(
        "approval_which_job",
        &json!({"several": true, "escalations": true, "decision": "raise", "waiting": [{"id": "J-1", "question": "a"}]}),
    );
    assert!(r.text.contains("**escalate <job id>**"), "{}", r.text);
    let said = |data: Value| render("response_recorded", &data).text;
    assert_eq!(
        said(
            json!({"job": {"id": "J-1"}, "rejected": false, "escalated": true, "raised": "", "given": "answer"})
        ),
        "Job J-1 continues in genius mode from where it stopped."
    );
    assert_eq!(
        said(
            json!({"job": {"id": "J-1"}, "rejected": false, "escalated": false, "raised": "120 steps", "given": "answer"})
        ),
        "Job J-1 continues from where it stopped, with 120 steps."
    );
}

#[test]
fn every_template_renders_its_sample_data() {
    let set = templates().unwrap();
    assert_eq!(set.templates.len(), samples().len());
    for (id, data) in samples() {
        assert!(set.templates.contains_key(id), "{id} has no template");
        let r = render(id, &data);
        assert!(r.errors.is_empty(), "{id}: {:?}", r.errors);
        assert!(!r.text.is_empty(), "{id}");
        assert_eq!(r.citations.is_empty(), FIXED_TEXTS.contains(&id), "{id}");
        assert_eq!(r.citations.len(), r.evidence.len(), "{id}");
    }
}

#[test]
fn every_field_a_template_needs_is_an_error_when_missing() {
    // Each template with data, each field the text cannot do without: removing it is an error
    // naming its data path, and no text comes back.
    let required: [(&str, &str); 23] = [
        ("insight", "facts"),
        ("job_running", "job"),
        ("job_progress", "status"),
        ("job_progress", "steps"),
        ("job_status", "job"),
        ("job_done", "summary"),
        ("job_aborted", "job"),
        ("agent_question", "question"),
        ("needs_approval", "action"),
        ("quality_blocked", "score"),
        ("quality_blocked", "failing"),
        ("review_rounds_exhausted", "review"),
        ("review_changes_requested", "summary"),
        ("chat_answer", "text"),
        ("request_refused", "message"),
        ("job_proposed", "repo"),
        ("job_delegated", "operation"),
        ("job_needs_you", "question"),
        ("still_waiting", "waiting"),
        ("approval_which_job", "waiting"),
        ("response_recorded", "job"),
        ("response_refused", "reason"),
        ("chat_budget_exhausted", "spend"),
    ];
    let samples: BTreeMap<&str, Value> = samples().into_iter().collect();
    for (id, field) in required {
        let mut data = samples[id].clone();
        data.as_object_mut().unwrap().remove(field);
        let r = render(id, &data);
        assert!(r.text.is_empty(), "{id} without {field}: {}", r.text);
        assert!(
            r.errors.iter().any(|e| e.code == "template_data"
                && e.path
                    .as_deref()
                    .is_some_and(|p| p == format!("data.{field}")
                        || p.starts_with(&format!("data.{field}.")))),
            "{id} without {field}: {:?}",
            r.errors
        );
    }
}

#[test]
fn sep_renders_only_between_items() {
    let r = render(
        "quality_blocked",
        &json!({"score": 55, "failing": ["tests", "lint", "claimed_paths"], "unverified_paths": []}),
    );
    assert_eq!(
        r.text,
        "The quality gate blocked the result (score 55/100; failing: tests, lint, claimed_paths). Approve to publish it anyway, reject to abort."
    );
    let one = render(
        "quality_blocked",
        &json!({"score": 85, "failing": ["claimed_paths"], "unverified_paths": ["src/ghost.ts"]}),
    );
    assert_eq!(
        one.text,
        "The quality gate blocked the result (score 85/100; failing: claimed_paths). Paths the answer names that no tool touched or read: src/ghost.ts. Approve to publish it anyway, reject to abort."
    );
    assert!(one
        .citations
        .contains(&"data.unverified_paths[0]".to_string()));
    assert!(one.citations.contains(&"data.failing[0]".to_string()));
    assert!(parse_template("{{#sep}}, {{/sep}}").is_err());
    assert!(parse_template("{{#each a}}{{#sep}}x{{/each}}").is_err());
    assert!(parse_template("{{#each a}}{{#if b}}{{#sep}}x{{/sep}}{{/if}}{{/each}}").is_ok());
}

#[test]
fn evidence_pairs_each_citation_with_what_it_rendered_as() {
    let r = render(
        "job_aborted",
        &json!({"job": {"id": "J-9"}, "reason": "cancelled"}),
    );
    assert_eq!(r.text, "Job J-9 was stopped (cancelled).");
    assert_eq!(
        r.evidence,
        vec![
            Evidence {
                path: "data.job.id".into(),
                value: "J-9".into()
            },
            Evidence {
                path: "data.reason".into(),
                value: "cancelled".into()
            },
        ]
    );
    assert_eq!(r.citations, vec!["data.job.id", "data.reason"]);
    let bare = render("job_aborted", &json!({"job": {"id": "J-9"}}));
    assert_eq!(bare.text, "Job J-9 was stopped.");
}

#[test]
fn approval_questions_name_the_paths_reasons_and_rules() {
    let r = render(
        "needs_approval",
        &json!({"action": {"kind": "edit", "paths": ["a.yml", "b.lock"]}, "reasons": ["CI config is protected", "lockfile"], "rules": ["protected_path", "lockfile"]}),
    );
    assert_eq!(
        r.text,
        "This edit of a.yml, b.lock needs human approval before it is applied; it was not applied. Reasons: CI config is protected; lockfile. Approve to apply it (and allow protected_path, lockfile for the rest of the job), or reject to abort."
    );
    let bare = render(
        "needs_approval",
        &json!({"action": {"kind": "commit", "paths": []}, "reasons": [], "rules": []}),
    );
    assert_eq!(
        bare.text,
        "This commit needs human approval before it is applied; it was not applied. Approve to apply it (and allow this for the rest of the job), or reject to abort."
    );
}

#[test]
fn waiting_jobs_are_listed_one_paragraph_each() {
    let r = render(
        "still_waiting",
        &json!({"not_a_decision": true, "waiting": [
            {"id": "J-1", "approval": true, "question": "Publish?"},
            {"id": "J-2", "approval": false, "question": "Which file?"}
        ]}),
    );
    assert_eq!(
        r.text,
        "I did not take that as a decision. Job J-1 is waiting for your approval: Publish?\n\nReply **approve** or **reject** (just that), or use the job page or `aict respond J-1 --approve`.\n\nJob J-2 is waiting for your answer: Which file?\n\nReply with your answer (start it with **answer:** if it reads like a task or a status question)."
    );
    assert!(r
        .citations
        .contains(&"data.waiting[1].question".to_string()));
}

#[test]
fn insights_name_their_facts_and_the_jobs_they_come_from() {
    let r = render("insight", &samples()[9].1);
    assert_eq!(
        r.text,
        "warning, confidence 80%: errorCode agent_stuck, count 3. Sources: job J-1, job J-4."
    );
}

#[test]
fn chat_answers_list_their_sources_and_what_was_not_checked() {
    let r = render(
        "chat_answer",
        &json!({"text": "subtract adds (src/calc.js).", "sources": ["src/calc.js", "job J-1"], "unverified": ["src/other.js"]}),
    );
    assert_eq!(
        r.text,
        "subtract adds (src/calc.js).\n\nSources: src/calc.js, job J-1\nNot checked against the repository: src/other.js"
    );
    let plain = render(
        "chat_answer",
        &json!({"text": "Hello.", "sources": [], "unverified": []}),
    );
    assert_eq!(plain.text, "Hello.");
}

#[test]
fn job_succeeded_lists_files_and_tests_with_citations() {
    let r = render("job_succeeded", &samples()[2].1);
    assert_eq!(r.template_id, "job_succeeded");
    assert_eq!(r.text, "Job J-1 succeeded: null check added\nChanged 1 file(s):\n- src/auth.ts (+3 -1)\nTests: 12 passed, 0 failed.\nCommit: abc123");
    assert!(r.citations.contains(&"data.files".to_string()));
    assert!(r.citations.contains(&"data.files[0].path".to_string()));
    assert!(r
        .annotated_text
        .contains("src/auth.ts [data.files[0].path]"));
}

#[test]
fn job_succeeded_says_tests_not_run_rather_than_zero_of_zero() {
    let mut data = samples()[2].1.clone();
    data["tests"] = json!({"ran": false, "passed": 0, "failed": 0});
    let r = render("job_succeeded", &data);
    assert!(r.text.contains("Tests: not run."), "{}", r.text);
    assert!(!r.text.contains("0 passed"));
}

#[test]
fn a_missing_field_is_an_error_not_empty_output() {
    let r = render("job_failed", &json!({"job": {"id": "J-2"}, "reason": "x"}));
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].path.as_deref(), Some("data.next_step"));
    assert!(r.text.is_empty());
}

#[test]
fn wrong_types_unknown_templates_and_bad_json_are_errors() {
    assert_eq!(
        render("chat_reply", &json!({"text": {"a": 1}})).errors[0].code,
        "template_data"
    );
    assert_eq!(
        render("nope", &json!({})).errors[0].code,
        "unknown_template"
    );
    assert_eq!(
        render_json("chat_reply", "{").errors[0].code,
        "invalid_json"
    );
    assert_eq!(
        render("chat_reply", &json!([1])).errors[0].code,
        "invalid_data"
    );
}

#[test]
fn else_branches_and_percentages_render() {
    let r = render("evaluation", &samples()[8].1);
    assert!(r.text.ends_with("All checks passed."), "{}", r.text);
    let r = render("status", &samples()[11].1);
    assert_eq!(r.text, "1 running, 2 queued, 0 failed. Budget used: 43%.");
}

#[test]
fn the_template_file_is_a_versioned_artefact_with_a_content_hash() {
    let set = templates().unwrap();
    assert_eq!(set.id, "tdln-out");
    assert_eq!(set.version, "1.1.0");
    assert_eq!(set.hash, sha256_hex(TEMPLATES_SOURCE));
}

#[test]
fn template_syntax_errors_are_reported() {
    assert!(parse_template("{{#if a}}x").is_err());
    assert!(parse_template("{{/each}}").is_err());
    assert!(parse_template("{{a").is_err());
    assert!(parse_template("{{shout a}}").is_err());
}
