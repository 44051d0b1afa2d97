//! What a policy judges: the proposed actions, the intent's summary, the changes made so far.

use crate::Mode;
use serde::{Deserialize, Serialize};

/// Kind of file change.
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
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
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
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
