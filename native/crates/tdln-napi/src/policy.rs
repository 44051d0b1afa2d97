//! tdln-policy: proposed actions against a policy. The decision, its verdict, violations and
//! totals are tdln-policy's own types. The input is the binding's: JS passes one loose action
//! shape whose fields depend on `type` (the engine has one enum variant per type) and may leave
//! out what the engine defaults, so missing fields become errors with a path here.

use crate::{error, guard, EngineError};
use napi_derive::napi;
use tdln_in::Mode;
// Imported under their JS names, which the generated `.d.ts` uses for types from other crates.
use tdln_policy::{Action, ChangeKind, Decision as PolicyDecision, FileMode};
/// Kind of a proposed action.
#[napi(string_enum = "snake_case")]
pub enum ActionType {
    /// A file change (`path`, `kind`, `added`, `removed`).
    FileChange,
    /// A shell command (`command`).
    Command,
    /// A commit (`message`).
    Commit,
    /// A push (`force`, `branch`).
    Push,
}

/// A proposed action (fields used depend on `type`).
#[napi(object)]
pub struct PolicyAction {
    /// Action type.
    #[napi(js_name = "type")]
    pub action_type: ActionType,
    /// File path (file_change).
    pub path: Option<String>,
    /// Change kind (file_change).
    pub kind: Option<ChangeKind>,
    /// Lines added (file_change).
    pub added: Option<u32>,
    /// Lines removed (file_change).
    pub removed: Option<u32>,
    /// The file's mode as git will write it (file_change; absent when not known yet).
    pub mode: Option<FileMode>,
    /// Where a symlink points, as written in the link (file_change with mode `symlink`).
    pub link_target: Option<String>,
    /// The change alters what defines a green test run, e.g. package.json's test scripts (file_change).
    pub defines_tests: Option<bool>,
    /// Command line (command).
    pub command: Option<String>,
    /// Commit message (commit).
    pub message: Option<String>,
    /// Force push (push).
    pub force: Option<bool>,
    /// Branch (push).
    pub branch: Option<String>,
}

/// The part of the intent the policy looks at.
#[napi(object)]
pub struct PolicyIntent {
    /// Operation name.
    pub operation: Option<String>,
    /// Read-only intent.
    pub read_only: Option<bool>,
    /// Target paths.
    pub targets: Option<Vec<String>>,
    /// Constraint ids the request stated (`no_test_changes`, `no_commit`, ...).
    pub constraints: Option<Vec<String>>,
}

/// Changes already made in this job.
#[napi(object)]
pub struct PolicyCumulative {
    /// Distinct files changed so far.
    pub files: Option<Vec<String>>,
    /// Lines changed so far.
    pub lines_changed: Option<u32>,
}

/// Input to `evaluatePolicy`.
#[napi(object)]
pub struct PolicyInput {
    /// Job mode; selects the preset when no policy text is given.
    pub mode: Option<Mode>,
    /// The intent.
    pub intent: Option<PolicyIntent>,
    /// Actions proposed now.
    pub actions: Option<Vec<PolicyAction>>,
    /// State before these actions.
    pub cumulative: Option<PolicyCumulative>,
    /// Did the test suite pass after the last edit?
    pub last_test_passed_after_last_edit: Option<bool>,
    /// Rule ids a human already approved for this job.
    pub approved_rules: Option<Vec<String>>,
    /// The request as its author wrote it, judged by the request rules whatever parsed it.
    pub request: Option<String>,
}

impl TryFrom<PolicyInput> for tdln_policy::PolicyInput {
    type Error = EngineError;
    fn try_from(i: PolicyInput) -> Result<Self, EngineError> {
        let mut actions = Vec::new();
        for (n, a) in i.actions.unwrap_or_default().into_iter().enumerate() {
            let missing = |f: &str| {
                error(
                    "invalid_input",
                    format!("action needs `{f}`"),
                    Some(format!("actions[{n}].{f}")),
                )
            };
            actions.push(match a.action_type {
                ActionType::FileChange => Action::FileChange {
                    path: a.path.ok_or_else(|| missing("path"))?,
                    kind: a.kind.ok_or_else(|| missing("kind"))?,
                    added: a.added.unwrap_or(0),
                    removed: a.removed.unwrap_or(0),
                    mode: a.mode,
                    link_target: a.link_target,
                    defines_tests: a.defines_tests.unwrap_or(false),
                },
                ActionType::Command => Action::Command {
                    command: a.command.ok_or_else(|| missing("command"))?,
                },
                ActionType::Commit => Action::Commit {
                    message: a.message.unwrap_or_default(),
                },
                ActionType::Push => Action::Push {
                    force: a.force.unwrap_or(false),
                    branch: a.branch.unwrap_or_default(),
                },
            });
        }
        Ok(tdln_policy::PolicyInput {
            mode: match i.mode {
                Some(Mode::Genius) => tdln_policy::Mode::Genius,
                _ => tdln_policy::Mode::Mechanic,
            },
            intent: i.intent.map(|t| tdln_policy::IntentSummary {
                operation: t.operation.unwrap_or_default(),
                read_only: t.read_only.unwrap_or(false),
                targets: t.targets.unwrap_or_default(),
                constraints: t.constraints.unwrap_or_default(),
            }),
            actions,
            cumulative: i
                .cumulative
                .map(|c| tdln_policy::Cumulative {
                    files: c.files.unwrap_or_default(),
                    lines_changed: c.lines_changed.unwrap_or(0),
                })
                .unwrap_or_default(),
            last_test_passed_after_last_edit: i.last_test_passed_after_last_edit,
            approved_rules: i.approved_rules.unwrap_or_default(),
            request: i.request,
        })
    }
}

fn failed_decision(e: EngineError) -> PolicyDecision {
    PolicyDecision::failed(vec![e])
}

/// Evaluates proposed actions against a policy (TOML or JSON text) or the mode's preset.
#[napi]
pub fn evaluate_policy(input: PolicyInput, policy_text: Option<String>) -> PolicyDecision {
    guard(
        || {
            let input = match tdln_policy::PolicyInput::try_from(input) {
                Ok(i) => i,
                Err(e) => return failed_decision(e),
            };
            match tdln_policy::compiled(policy_text.as_deref(), input.mode) {
                Ok(policy) => tdln_policy::evaluate_compiled(&input, &policy),
                Err(e) => failed_decision(e),
            }
        },
        failed_decision,
    )
}

/// Returns the preset policy text (TOML) for a mode.
#[napi]
pub fn policy_preset(mode: Mode) -> String {
    match mode {
        Mode::Mechanic => tdln_policy::MECHANIC_POLICY.to_string(),
        Mode::Genius => tdln_policy::GENIUS_POLICY.to_string(),
    }
}
