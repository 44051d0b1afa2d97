#![deny(clippy::all)]
//! tdln-policy: rules over requests, intents and actions, producing a verdict with violations, risk
//! and remediation.

mod request;

pub use request::{normalize_request, request_rules, RequestFinding, RequestRules, REQUEST_RULES};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex};
use tdln_core::{hash_of, EngineError};

/// Embedded preset for mechanic jobs.
pub const MECHANIC_POLICY: &str = include_str!("../../../policies/mechanic.v1.toml");
/// Embedded preset for genius jobs.
pub const GENIUS_POLICY: &str = include_str!("../../../policies/genius.v1.toml");

/// Job mode the policy applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Small targeted jobs.
    #[default]
    Mechanic,
    /// Large jobs.
    Genius,
}

/// Verdict, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Go ahead.
    Allow,
    /// Go ahead, but report.
    Warn,
    /// A human must approve first.
    RequireApproval,
    /// Not allowed.
    Block,
}

/// Risk level derived from the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// 0-24
    Low,
    /// 25-49
    Medium,
    /// 50-79
    High,
    /// 80-100
    Critical,
}

/// Change limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Maximum distinct files changed per job.
    pub max_files: u32,
    /// Maximum changed lines (added + removed) per job.
    pub max_lines: u32,
    /// Fraction of a limit at which a warning is raised.
    #[serde(default = "default_warn_fraction")]
    pub warn_fraction: f64,
    /// Verdict when a limit is exceeded.
    #[serde(default = "default_on_exceed")]
    pub on_exceed: Verdict,
}

fn default_warn_fraction() -> f64 {
    0.8
}
fn default_on_exceed() -> Verdict {
    Verdict::RequireApproval
}

/// Path rules (globs, `**` crosses directories).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PathRules {
    /// Never touched: block.
    #[serde(default)]
    pub forbidden: Vec<String>,
    /// Touching needs approval.
    #[serde(default)]
    pub protected: Vec<String>,
    /// Test files (deleting one needs approval).
    #[serde(default)]
    pub tests: Vec<String>,
    /// Exceptions to `forbidden` (e.g. `.env.example`).
    #[serde(default)]
    pub allowed_env_examples: Vec<String>,
    /// Files that define what a green test run is (test command, runner configuration): changing
    /// one needs approval.
    #[serde(default)]
    pub test_definition: Vec<String>,
    /// Dependency manifests and lockfiles (what `no_new_dependencies` guards).
    #[serde(default)]
    pub manifests: Vec<String>,
}

/// Command rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CommandRules {
    /// Substrings (case-insensitive) that make a command dangerous.
    #[serde(default)]
    pub dangerous: Vec<String>,
}

/// Commit rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitRules {
    /// Commits need a green test run after the last edit.
    pub require_green_tests: bool,
}

/// Scope rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ScopeRules {
    /// Warn when a file outside the intent's targets (and their folders) changes.
    #[serde(default)]
    pub warn_outside_targets: bool,
}

/// A policy (what a policy file deserialises into).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Policy id.
    pub id: String,
    /// Policy version.
    pub version: String,
    /// Mode it is meant for.
    pub mode: Mode,
    /// Change limits.
    pub limits: Limits,
    /// Path rules.
    #[serde(default)]
    pub paths: PathRules,
    /// Command rules.
    #[serde(default)]
    pub commands: CommandRules,
    /// Commit rules.
    pub commit: CommitRules,
    /// Scope rules.
    #[serde(default)]
    pub scope: ScopeRules,
}

impl Policy {
    /// Parses a policy from TOML or JSON text (JSON when it starts with `{`).
    pub fn parse(text: &str) -> Result<Policy, EngineError> {
        let policy: Policy = if text.trim_start().starts_with('{') {
            serde_json::from_str(text)
                .map_err(|e| EngineError::new("invalid_policy", format!("policy JSON: {e}")))?
        } else {
            toml::from_str(text)
                .map_err(|e| EngineError::new("invalid_policy", format!("policy TOML: {e}")))?
        };
        if !(0.0..=1.0).contains(&policy.limits.warn_fraction) {
            return Err(EngineError::new(
                "invalid_policy",
                "limits.warn_fraction must be within 0..1",
            ));
        }
        for g in policy
            .paths
            .forbidden
            .iter()
            .chain(&policy.paths.protected)
            .chain(&policy.paths.tests)
        {
            Glob::new(g).map_err(|e| {
                EngineError::at("invalid_policy", format!("bad glob: {e}"), g.clone())
            })?;
        }
        Ok(policy)
    }

    /// The preset for a mode.
    pub fn preset(mode: Mode) -> Policy {
        let text = match mode {
            Mode::Mechanic => MECHANIC_POLICY,
            Mode::Genius => GENIUS_POLICY,
        };
        Policy::parse(text).unwrap_or_else(|e| panic!("embedded policy preset is invalid: {e}"))
    }

    /// SHA-256 of the policy's canonical JSON form.
    pub fn hash(&self) -> String {
        hash_of(self).unwrap_or_default()
    }
}

/// Kind of file change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// New file.
    Create,
    /// Modified file.
    Edit,
    /// Deleted file.
    Delete,
}

/// How git records a file: its mode in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FileMode {
    /// A regular file (100644).
    #[default]
    Regular,
    /// An executable file (100755).
    Executable,
    /// A symbolic link (120000); its target is `link_target`.
    Symlink,
    /// A gitlink (160000): a submodule pointer to a commit of another repository.
    Gitlink,
}

/// An action the agent wants to take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum Action {
    /// A file change.
    FileChange {
        /// Repository-relative path.
        path: String,
        /// create / edit / delete.
        kind: ChangeKind,
        /// Lines added.
        #[serde(default)]
        added: u32,
        /// Lines removed.
        #[serde(default)]
        removed: u32,
        /// The file's mode as git will write it (absent: regular, or not known at this point).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<FileMode>,
        /// Where a symlink points, as written in the link.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link_target: Option<String>,
        /// The change alters what defines a green test run (e.g. the test scripts of package.json),
        /// as the caller found by reading the file before and after.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        defines_tests: bool,
    },
    /// A shell command.
    Command {
        /// The command line.
        command: String,
    },
    /// A commit.
    Commit {
        /// Commit message.
        #[serde(default)]
        message: String,
    },
    /// A push.
    Push {
        /// Force push.
        #[serde(default)]
        force: bool,
        /// Target branch.
        #[serde(default)]
        branch: String,
    },
}

/// The part of an intent the policy looks at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct IntentSummary {
    /// Operation name.
    #[serde(default)]
    pub operation: String,
    /// Read-only intent (analyze/review).
    #[serde(default)]
    pub read_only: bool,
    /// Target paths.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Constraint ids the request stated (`no_test_changes`, `no_commit`, `no_new_dependencies`,
    /// `keep_public_api`, ...): the ones a path or a commit can show are enforced.
    #[serde(default)]
    pub constraints: Vec<String>,
}

/// Changes already made earlier in the job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Cumulative {
    /// Distinct files changed so far.
    #[serde(default)]
    pub files: Vec<String>,
    /// Lines changed so far (added + removed).
    #[serde(default)]
    pub lines_changed: u32,
}

/// Policy input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyInput {
    /// Job mode (selects the preset when no policy text is given).
    #[serde(default)]
    pub mode: Mode,
    /// The intent.
    #[serde(default)]
    pub intent: Option<IntentSummary>,
    /// Actions proposed now.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// State before these actions.
    #[serde(default)]
    pub cumulative: Cumulative,
    /// Did the test suite pass after the last edit?
    #[serde(default)]
    pub last_test_passed_after_last_edit: Option<bool>,
    /// Rule ids a human already approved for this job (their approvals downgrade to warn).
    #[serde(default)]
    pub approved_rules: Vec<String>,
    /// The request as its author wrote it, judged by the request rules whatever parsed it.
    #[serde(default)]
    pub request: Option<String>,
}

/// One rule violation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    /// Rule id.
    pub rule_id: String,
    /// Verdict this violation calls for.
    pub severity: Verdict,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// The verdict (most severe violation; `block` when the input or policy was invalid).
    pub verdict: Verdict,
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

fn level(score: u32) -> RiskLevel {
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
            Err(e) => return failed(vec![e]),
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

fn failed(errors: Vec<EngineError>) -> Decision {
    Decision {
        verdict: Verdict::Block,
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

/// Evaluates JSON input against a policy text (TOML/JSON) or the mode's preset. Fails closed.
pub fn evaluate(input: &serde_json::Value, policy_text: Option<&str>) -> Decision {
    let input: PolicyInput = match serde_json::from_value(input.clone()) {
        Ok(i) => i,
        Err(e) => {
            return failed(vec![EngineError::new(
                "invalid_input",
                format!("policy input: {e}"),
            )])
        }
    };
    match compiled(policy_text, input.mode) {
        Ok(policy) => evaluate_compiled(&input, &policy),
        Err(e) => failed(vec![e]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let gitlink = json!({"type": "file_change", "path": "vendor/lib", "kind": "create", "mode": "gitlink"});
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
        let removed = json!({"type": "file_change", "path": "vendor/lib", "kind": "delete", "mode": "gitlink"});
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
        let d = eval(
            json!({"intent": {"operation": "bug_fix"}, "actions": [edit("src/auth.test.ts", 2)]}),
        );
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
            eval(json!({"actions": [commit.clone()], "lastTestPassedAfterLastEdit": false}))
                .verdict,
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
}
