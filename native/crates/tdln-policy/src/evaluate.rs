//! Evaluation: policies compiled once and cached, the rules applied to each action, the intent
//! and the request, and the decision that follows.

use crate::request_rules;
use crate::{
    Action, ChangeKind, Decision, FileMode, IntentSummary, Mode, Policy, PolicyInput, RiskLevel,
    Totals, Verdict, Violation,
};
use globset::{GlobSet, GlobSetBuilder};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex};
use tdln_core::EngineError;

fn globset(patterns: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        if let Ok(g) = globset::GlobBuilder::new(p).literal_separator(true).build() {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

fn clean(path: &str) -> String {
    let p = path.replace('\\', "/");
    p.trim_start_matches("./")
        .trim_start_matches('/')
        .to_string()
}

/// True when a symlink at `path` pointing at `target` leads outside the repository (absolute, or
/// climbing above the root through `..`).
fn link_escapes(path: &str, target: &str) -> bool {
    let target = target.replace('\\', "/");
    if target.is_empty() || target.starts_with('/') || target.chars().nth(1) == Some(':') {
        return true;
    }
    let mut depth: i64 = path.split('/').count() as i64 - 1;
    for segment in target.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

pub(crate) fn level(score: u32) -> RiskLevel {
    match score {
        0..=24 => RiskLevel::Low,
        25..=49 => RiskLevel::Medium,
        50..=79 => RiskLevel::High,
        _ => RiskLevel::Critical,
    }
}

/// A policy with its path matchers built and its hash computed, ready to evaluate many inputs.
#[derive(Debug)]
pub struct CompiledPolicy {
    /// The policy.
    pub policy: Policy,
    /// SHA-256 of the policy's canonical JSON form.
    pub hash: String,
    forbidden: GlobSet,
    allowed: GlobSet,
    protected: GlobSet,
    tests: GlobSet,
    test_definition: GlobSet,
    manifests: GlobSet,
}

impl CompiledPolicy {
    /// Builds the matchers and the hash once.
    pub fn new(policy: Policy) -> Self {
        CompiledPolicy {
            hash: policy.hash(),
            forbidden: globset(&policy.paths.forbidden),
            allowed: globset(&policy.paths.allowed_env_examples),
            protected: globset(&policy.paths.protected),
            tests: globset(&policy.paths.tests),
            test_definition: globset(&policy.paths.test_definition),
            manifests: globset(&policy.paths.manifests),
            policy,
        }
    }
}

static COMPILED: LazyLock<Mutex<HashMap<String, Arc<CompiledPolicy>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The compiled policy for a policy text (or the mode's preset when `None`), parsed once and cached.
pub fn compiled(policy_text: Option<&str>, mode: Mode) -> Result<Arc<CompiledPolicy>, EngineError> {
    let key = match policy_text {
        Some(t) => format!("text:{t}"),
        None => format!("preset:{mode:?}"),
    };
    if let Some(found) = COMPILED.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(found);
    }
    let policy = match policy_text {
        Some(t) => Policy::parse(t)?,
        None => Policy::preset(mode),
    };
    let built = Arc::new(CompiledPolicy::new(policy));
    if let Ok(mut cache) = COMPILED.lock() {
        // A handful of policies at most in practice; a bound keeps a misuse from growing it forever.
        if cache.len() >= 64 {
            cache.clear();
        }
        cache.insert(key, built.clone());
    }
    Ok(built)
}

/// Evaluates input against an explicit policy (compiling it first; see [`evaluate_compiled`]).
pub fn evaluate_with(input: &PolicyInput, policy: &Policy) -> Decision {
    evaluate_compiled(input, &CompiledPolicy::new(policy.clone()))
}

/// Evaluates input against a compiled policy.
pub fn evaluate_compiled(input: &PolicyInput, compiled: &CompiledPolicy) -> Decision {
    let policy = &compiled.policy;
    let (forbidden, allowed, protected, tests) = (
        &compiled.forbidden,
        &compiled.allowed,
        &compiled.protected,
        &compiled.tests,
    );
    let mut v: Vec<Violation> = Vec::new();
    let mut push = |rule: &str, sev: Verdict, msg: String, path: Option<String>, fix: &str| {
        v.push(Violation {
            rule_id: rule.into(),
            severity: sev,
            message: msg,
            path,
            remediation: fix.into(),
            evidence: None,
        });
    };
    let read_only = input.intent.as_ref().is_some_and(|i| i.read_only);
    let constraint = |id: &str| {
        input
            .intent
            .as_ref()
            .is_some_and(|i| i.constraints.iter().any(|c| c == id))
    };
    let targets: Vec<String> = input
        .intent
        .as_ref()
        .map(|i| i.targets.iter().map(|t| clean(t)).collect())
        .unwrap_or_default();

    let mut files: BTreeSet<String> = input.cumulative.files.iter().map(|f| clean(f)).collect();
    let mut lines = input.cumulative.lines_changed;
    for action in &input.actions {
        match action {
            Action::FileChange {
                path,
                kind,
                added,
                removed,
                mode,
                link_target,
                defines_tests,
            } => {
                let p = clean(path);
                files.insert(p.clone());
                lines = lines.saturating_add(added.saturating_add(*removed));
                if read_only {
                    push(
                        "read_only_intent",
                        Verdict::Block,
                        format!("the intent is read-only but {p} would change"),
                        Some(p.clone()),
                        "Analyze and review jobs report findings; start a new job to change files.",
                    );
                }
                if forbidden.is_match(&p) && !allowed.is_match(&p) {
                    push("forbidden_path", Verdict::Block, format!("{p} is a forbidden path (secrets, keys, VCS internals)"), Some(p.clone()), "Never touch secrets or key material; use environment configuration outside the repository.");
                }
                if protected.is_match(&p) {
                    push(
                        "protected_path",
                        Verdict::RequireApproval,
                        format!("{p} is protected (CI, lockfiles, migrations)"),
                        Some(p.clone()),
                        "Ask a human to approve this change, or leave the file alone.",
                    );
                }
                if *kind != ChangeKind::Delete && *mode == Some(FileMode::Gitlink) {
                    push(
                        "gitlink",
                        Verdict::Block,
                        format!("{p} would be a gitlink: a submodule pointer to a commit of another repository"),
                        Some(p.clone()),
                        "Jobs do not add or move submodules; remove the nested repository and commit the files themselves.",
                    );
                }
                if *kind != ChangeKind::Delete && *mode == Some(FileMode::Symlink) {
                    let target = link_target.as_deref().unwrap_or("");
                    if link_escapes(&p, target) {
                        push(
                            "symlink_outside",
                            Verdict::Block,
                            format!("{p} is a symlink to {target}, outside the repository"),
                            Some(p.clone()),
                            "Link only to files inside the repository, with a relative path.",
                        );
                    }
                }
                if *defines_tests || compiled.test_definition.is_match(&p) {
                    push(
                        "test_definition_changed",
                        Verdict::RequireApproval,
                        format!("{p} changes how the tests run, and so what counts as green"),
                        Some(p.clone()),
                        "Leave the test command and the runner configuration alone, or ask a human to approve the change.",
                    );
                }
                if constraint("no_test_changes") && tests.is_match(&p) {
                    push(
                        "constraint_no_test_changes",
                        Verdict::Block,
                        format!("the request says not to change the tests, but {p} is a test"),
                        Some(p.clone()),
                        "Change the code, not the tests, as the request asks.",
                    );
                }
                if constraint("no_new_dependencies") && compiled.manifests.is_match(&p) {
                    push(
                        "constraint_no_new_dependencies",
                        Verdict::Block,
                        format!("the request says no new dependencies, but {p} is a dependency manifest or lockfile"),
                        Some(p.clone()),
                        "Solve it with the dependencies the project already has.",
                    );
                }
                if constraint("keep_public_api")
                    && *kind == ChangeKind::Delete
                    && !tests.is_match(&p)
                {
                    push(
                        "constraint_keep_public_api",
                        Verdict::RequireApproval,
                        format!("the request says to keep the public API, but {p} would be deleted"),
                        Some(p.clone()),
                        "Keep the module (deprecate instead of removing), or ask a human to approve.",
                    );
                }
                if *kind == ChangeKind::Delete && tests.is_match(&p) {
                    push(
                        "test_deleted",
                        Verdict::RequireApproval,
                        format!("deleting test file {p}"),
                        Some(p.clone()),
                        "Keep the test, or explain why it is obsolete and get approval.",
                    );
                }
                if policy.scope.warn_outside_targets
                    && !targets.is_empty()
                    && *kind != ChangeKind::Create
                {
                    let inside = targets.iter().any(|t| {
                        p == *t
                            || p.starts_with(&format!("{}/", t.trim_end_matches('/')))
                            || tests.is_match(&p)
                    });
                    if !inside {
                        push(
                            "outside_targets",
                            Verdict::Warn,
                            format!("{p} is outside the intent's targets"),
                            Some(p.clone()),
                            "Keep mechanic changes to the files the request named.",
                        );
                    }
                }
            }
            Action::Command { command } => {
                let lc = command.to_lowercase();
                if let Some(bad) = policy
                    .commands
                    .dangerous
                    .iter()
                    .find(|d| lc.contains(&d.to_lowercase()))
                {
                    push("dangerous_command", Verdict::Block, format!("command contains `{}`", bad.trim()), Some(command.clone()), "Use a non-destructive alternative; destructive commands are never run by the agent.");
                }
                if read_only && (lc.starts_with("git commit") || lc.starts_with("git push")) {
                    push(
                        "read_only_intent",
                        Verdict::Block,
                        "the intent is read-only but the command writes history".into(),
                        Some(command.clone()),
                        "Read-only jobs do not commit or push.",
                    );
                }
            }
            Action::Commit { .. } => {
                if constraint("no_commit") {
                    push(
                        "constraint_no_commit",
                        Verdict::Block,
                        "the request says not to commit".into(),
                        None,
                        "Leave the change uncommitted; it is reported as a patch.",
                    );
                }
                if read_only {
                    push(
                        "read_only_intent",
                        Verdict::Block,
                        "the intent is read-only but a commit was requested".into(),
                        None,
                        "Read-only jobs do not commit.",
                    );
                }
                if policy.commit.require_green_tests
                    && input.last_test_passed_after_last_edit != Some(true)
                {
                    let why = match input.last_test_passed_after_last_edit {
                        Some(false) => "the last test run after the last edit failed",
                        _ => "no test run is recorded after the last edit",
                    };
                    // A person who approved the change past its failing tests lets this one commit through
                    // (recorded as an approved rule); no one else can.
                    let approved = input
                        .approved_rules
                        .iter()
                        .any(|r| r == "commit_requires_green_tests");
                    push(
                        "commit_requires_green_tests",
                        if approved {
                            Verdict::RequireApproval
                        } else {
                            Verdict::Block
                        },
                        format!("cannot commit: {why}"),
                        None,
                        "Run the test suite after the last edit and commit only when it passes.",
                    );
                }
            }
            Action::Push { force, branch } => {
                if *force {
                    push(
                        "force_push",
                        Verdict::Block,
                        format!(
                            "force push to {}",
                            if branch.is_empty() { "remote" } else { branch }
                        ),
                        Some(branch.clone()),
                        "Never force-push; push a new commit that reverts or fixes instead.",
                    );
                }
                if read_only {
                    push(
                        "read_only_intent",
                        Verdict::Block,
                        "the intent is read-only but a push was requested".into(),
                        None,
                        "Read-only jobs do not push.",
                    );
                }
            }
        }
    }

    let lim = &policy.limits;
    let nfiles = files.len() as u32;
    let check = |value: u32, max: u32, what: &str, rule: &str, out: &mut Vec<Violation>| {
        if value > max {
            out.push(Violation {
                rule_id: rule.into(),
                severity: lim.on_exceed,
                message: format!("{value} {what} changed, limit is {max}"),
                path: None,
                remediation: format!("Split the job or get approval for more than {max} {what}."),
                evidence: None,
            });
        } else if max > 0 && f64::from(value) >= lim.warn_fraction * f64::from(max) {
            out.push(Violation {
                rule_id: format!("{rule}_near"),
                severity: Verdict::Warn,
                message: format!("{value} of {max} {what} used"),
                path: None,
                remediation: "Finish with the smallest remaining change.".into(),
                evidence: None,
            });
        }
    };
    check(nfiles, lim.max_files, "files", "max_files", &mut v);
    check(lines, lim.max_lines, "lines", "max_lines", &mut v);
    if let Some(intent) = &input.intent {
        v.extend(intent_violations(intent));
    }
    let mut request_rules_hash = None;
    if let Some(text) = &input.request {
        match request_rules() {
            Ok(rules) => {
                request_rules_hash = Some(rules.hash.clone());
                v.extend(rules.judge(text).into_iter().map(|f| Violation {
                    message: format!("{}: \"{}\"", f.message, f.evidence),
                    rule_id: f.rule_id,
                    severity: Verdict::Block,
                    path: None,
                    remediation: f.remediation,
                    evidence: Some(f.evidence),
                }));
            }
            Err(e) => return Decision::failed(vec![e]),
        }
    }

    for viol in v.iter_mut() {
        if viol.severity == Verdict::RequireApproval && input.approved_rules.contains(&viol.rule_id)
        {
            viol.severity = Verdict::Warn;
            viol.message.push_str(" (approved)");
        }
    }
    v.sort_by_key(|x| std::cmp::Reverse(x.severity));

    let mut score: u32 = v
        .iter()
        .map(|x| match x.severity {
            Verdict::Block => 90,
            Verdict::RequireApproval => 45,
            Verdict::Warn => 12,
            Verdict::Allow => 0,
        })
        .sum();
    let size = (f64::from(lines) / f64::from(lim.max_lines.max(1)))
        .max(f64::from(nfiles) / f64::from(lim.max_files.max(1)));
    score += (size.min(1.0) * 20.0).round() as u32;
    let score = score.min(100);
    let verdict = v.first().map(|x| x.severity).unwrap_or(Verdict::Allow);
    let mut remediation: Vec<String> = Vec::new();
    for x in &v {
        if !remediation.contains(&x.remediation) {
            remediation.push(x.remediation.clone());
        }
    }
    Decision {
        verdict,
        risk_score: score,
        risk_level: level(score),
        violations: v,
        remediation,
        policy_id: policy.id.clone(),
        policy_version: policy.version.clone(),
        policy_hash: compiled.hash.clone(),
        request_rules_hash,
        totals: Totals {
            files: nfiles,
            lines,
            max_files: lim.max_files,
            max_lines: lim.max_lines,
        },
        errors: Vec::new(),
    }
}

/// What the intent itself would do, whichever path produced it: a target outside the repository,
/// or a deletion of the whole tree.
fn intent_violations(intent: &IntentSummary) -> Vec<Violation> {
    let mut out = Vec::new();
    for target in &intent.targets {
        let raw = target.replace('\\', "/");
        let outside = raw.starts_with('/')
            || raw.starts_with('~')
            || raw.split('/').any(|seg| seg == "..")
            || raw.chars().nth(1) == Some(':');
        if outside {
            out.push(Violation {
                rule_id: "outside_repository".into(),
                severity: Verdict::Block,
                message: format!("{target} is outside the repository"),
                path: Some(target.clone()),
                remediation: "Name paths inside the repository, relative to its root.".into(),
                evidence: None,
            });
            continue;
        }
        let p = clean(&raw);
        let whole_tree = matches!(
            p.trim_end_matches('/'),
            "" | "." | "*" | "**" | "**/*" | "*/*"
        );
        if intent.operation == "file_delete" && whole_tree {
            out.push(Violation {
                rule_id: "mass_delete".into(),
                severity: Verdict::Block,
                message: format!("deleting {target} would delete the whole repository"),
                path: Some(target.clone()),
                remediation:
                    "Name the specific files to delete; a whole tree is never deleted by a job."
                        .into(),
                evidence: None,
            });
        }
    }
    out
}

/// Evaluates JSON input against a policy text (TOML/JSON) or the mode's preset. Fails closed.
pub fn evaluate(input: &serde_json::Value, policy_text: Option<&str>) -> Decision {
    let input: PolicyInput = match serde_json::from_value(input.clone()) {
        Ok(i) => i,
        Err(e) => {
            return Decision::failed(vec![EngineError::new(
                "invalid_input",
                format!("policy input: {e}"),
            )])
        }
    };
    match compiled(policy_text, input.mode) {
        Ok(policy) => evaluate_compiled(&input, &policy),
        Err(e) => Decision::failed(vec![e]),
    }
}
