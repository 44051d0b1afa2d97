use super::*;

enum Want {
    /// operation, expected `target` slot (or None when no path is given)
    Op(&'static str, Option<&'static str>),
    Abstain(&'static str),
}
use Want::*;

const TABLE: &[(&str, Want)] = &[
    // bug_fix
    (
        "fix the bug in src/auth.ts",
        Op("bug_fix", Some("src/auth.ts")),
    ),
    (
        "Fix the bug in src/auth.ts",
        Op("bug_fix", Some("src/auth.ts")),
    ),
    (
        "FIX THE BUG IN src/auth.ts.",
        Op("bug_fix", Some("src/auth.ts")),
    ),
    (
        "there's a bug in src/auth.ts",
        Op("bug_fix", Some("src/auth.ts")),
    ),
    (
        "There’s a bug in src/auth.ts",
        Op("bug_fix", Some("src/auth.ts")),
    ),
    (
        "theres a bug in src/auth.ts",
        Op("bug_fix", Some("src/auth.ts")),
    ),
    (
        "fix teh bgu in src/auth.ts",
        Op("bug_fix", Some("src/auth.ts")),
    ),
    (
        "please fix the crash in src/server/main.ts",
        Op("bug_fix", Some("src/server/main.ts")),
    ),
    (
        "can you fix the null pointer exception in lib/parser.js?",
        Op("bug_fix", Some("lib/parser.js")),
    ),
    (
        "fix src/utils/date.ts",
        Op("bug_fix", Some("src/utils/date.ts")),
    ),
    (
        "src/utils/date.ts throws on invalid input",
        Op("bug_fix", Some("src/utils/date.ts")),
    ),
    (
        "src/api/users.ts is broken",
        Op("bug_fix", Some("src/api/users.ts")),
    ),
    (
        "src/api/users.ts doesn't work anymore",
        Op("bug_fix", Some("src/api/users.ts")),
    ),
    (
        "resolve the issue in apps/web/src/App.tsx",
        Op("bug_fix", Some("apps/web/src/App.tsx")),
    ),
    (
        "debug the failing login in src/auth/login.ts",
        Op("bug_fix", Some("src/auth/login.ts")),
    ),
    (
        "fix the off-by-one error in the pagination helper",
        Op("bug_fix", None),
    ),
    (
        "the checkout page crashes when the cart is empty",
        Op("bug_fix", None),
    ),
    (
        "there is a problem with the date parsing when the timezone is missing",
        Op("bug_fix", None),
    ),
    (
        "fix the regression in `src/Payments/Charge.ts`",
        Op("bug_fix", Some("src/Payments/Charge.ts")),
    ),
    (
        "fix the bug in src/auth.ts but don't touch tests",
        Op("bug_fix", Some("src/auth.ts")),
    ),
    (
        "patch the memory leak in src/worker/pool.rs",
        Op("bug_fix", Some("src/worker/pool.rs")),
    ),
    (
        "Could you please fix the race condition in server/queue.go",
        Op("bug_fix", Some("server/queue.go")),
    ),
    ("fix the errors in main.py", Op("bug_fix", Some("main.py"))),
    // feature
    (
        "add a dark mode toggle to the settings page",
        Op("feature", None),
    ),
    (
        "implement rate limiting in src/api/server.ts",
        Op("feature", Some("src/api/server.ts")),
    ),
    ("add support for CSV export", Op("feature", None)),
    (
        "implement pagination for the users endpoint",
        Op("feature", None),
    ),
    (
        "build a new endpoint that returns the job history",
        Op("feature", None),
    ),
    (
        "I want users to be able to reset their password by email",
        Op("feature", None),
    ),
    ("allow users to upload avatars", Op("feature", None)),
    ("add a --verbose flag to the CLI", Op("feature", None)),
    (
        "introduce caching in src/cache/index.ts",
        Op("feature", Some("src/cache/index.ts")),
    ),
    ("we need a health check endpoint", Op("feature", None)),
    ("implment OAuth login with GitHub", Op("feature", None)),
    (
        "add a retry option to the HTTP client without adding new dependencies",
        Op("feature", None),
    ),
    ("new feature: export reports as PDF", Op("feature", None)),
    (
        "add websocket notifications across the entire codebase",
        Op("feature", None),
    ),
    // analyze
    ("analyze src/auth.ts", Op("analyze", Some("src/auth.ts"))),
    ("Analyse src/auth.ts", Op("analyze", Some("src/auth.ts"))),
    ("explain how the job queue works", Op("analyze", None)),
    (
        "why does src/worker.ts use so much memory",
        Op("analyze", Some("src/worker.ts")),
    ),
    (
        "what does src/lib/retry.ts do?",
        Op("analyze", Some("src/lib/retry.ts")),
    ),
    (
        "investigate the slow startup in apps/api/main.ts",
        Op("analyze", Some("apps/api/main.ts")),
    ),
    ("how does the authentication flow work", Op("analyze", None)),
    ("look into the flaky CI runs", Op("analyze", None)),
    (
        "audit the dependencies for vulnerabilities",
        Op("analyze", None),
    ),
    ("find out why the build is slow", Op("analyze", None)),
    (
        "profile src/render/engine.ts",
        Op("analyze", Some("src/render/engine.ts")),
    ),
    (
        "summarize the architecture of the payment service",
        Op("analyze", None),
    ),
    (
        "inspect the error handling in libs/http/client.ts",
        Op("analyze", Some("libs/http/client.ts")),
    ),
    // review
    ("review the pull request 42", Op("review", None)),
    ("review PR #17", Op("review", None)),
    ("review src/auth.ts", Op("review", Some("src/auth.ts"))),
    ("reveiw my changes", Op("review", None)),
    (
        "review the changes in src/api/",
        Op("review", Some("src/api/")),
    ),
    ("code review the latest commit", Op("review", None)),
    ("give feedback on the diff", Op("review", None)),
    (
        "check the changes in src/db/migrations.ts",
        Op("review", Some("src/db/migrations.ts")),
    ),
    ("does the code look good?", Op("review", None)),
    ("look over the patch before I merge it", Op("review", None)),
    // refactor
    ("refactor src/auth.ts", Op("refactor", Some("src/auth.ts"))),
    (
        "refacor src/auth.ts without changing the API",
        Op("refactor", Some("src/auth.ts")),
    ),
    (
        "clean up the payment module in src/payments/",
        Op("refactor", Some("src/payments/")),
    ),
    (
        "extract the validation logic into a separate function",
        Op("refactor", None),
    ),
    (
        "rename the function getUser to fetchUser",
        Op("refactor", None),
    ),
    (
        "simplify the error handling in src/http/client.ts",
        Op("refactor", Some("src/http/client.ts")),
    ),
    (
        "split src/big.ts into smaller modules",
        Op("refactor", Some("src/big.ts")),
    ),
    (
        "remove unused imports from src/index.ts",
        Op("refactor", Some("src/index.ts")),
    ),
    (
        "modernize the callbacks to async/await in lib/fs.js",
        Op("refactor", Some("lib/fs.js")),
    ),
    ("restructure the routing layer", Op("refactor", None)),
    (
        "deduplicate the validation code in src/forms/",
        Op("refactor", Some("src/forms/")),
    ),
    (
        "convert src/legacy.js to TypeScript",
        Op("refactor", Some("src/legacy.js")),
    ),
    (
        "optimise the query builder in src/db/query.ts",
        Op("performance", Some("src/db/query.ts")),
    ),
    // test
    (
        "write unit tests for src/auth.ts",
        Op("test", Some("src/auth.ts")),
    ),
    (
        "add tests for src/utils/date.ts",
        Op("test", Some("src/utils/date.ts")),
    ),
    ("add a regression test for the login bug", Op("test", None)),
    ("run the tests", Op("test", None)),
    ("run the test suite", Op("test", None)),
    ("test src/parser.rs", Op("test", Some("src/parser.rs"))),
    (
        "increase test coverage of src/billing/invoice.ts",
        Op("test", Some("src/billing/invoice.ts")),
    ),
    (
        "write integration tests for the users API",
        Op("test", None),
    ),
    (
        "generate tests for lib/math.py",
        Op("test", Some("lib/math.py")),
    ),
    ("add more tests", Op("test", None)),
    (
        "write e2e tests covering the checkout flow",
        Op("test", None),
    ),
    // document
    ("document src/auth.ts", Op("document", Some("src/auth.ts"))),
    ("documnet src/auth.ts", Op("document", Some("src/auth.ts"))),
    (
        "add docstrings to the public functions in src/api.py",
        Op("document", Some("src/api.py")),
    ),
    ("update the README", Op("document", None)),
    (
        "write documentation for the deployment process",
        Op("document", None),
    ),
    (
        "add jsdoc to src/lib/format.ts",
        Op("document", Some("src/lib/format.ts")),
    ),
    (
        "add comments to the tricky parts of the scheduler",
        Op("document", None),
    ),
    ("update the changelog", Op("document", None)),
    // file_create
    (
        "create a new file src/utils/date.ts",
        Op("file_create", Some("src/utils/date.ts")),
    ),
    (
        "create src/config/defaults.ts with the default settings",
        Op("file_create", Some("src/config/defaults.ts")),
    ),
    (
        "add an empty file called docs/notes.md",
        Op("file_create", Some("docs/notes.md")),
    ),
    (
        "craete a file named scripts/setup.sh",
        Op("file_create", Some("scripts/setup.sh")),
    ),
    (
        "touch .env.example",
        Op("file_create", Some(".env.example")),
    ),
    (
        "new file src/types.d.ts",
        Op("file_create", Some("src/types.d.ts")),
    ),
    // file_delete
    (
        "delete src/legacy/old.ts",
        Op("file_delete", Some("src/legacy/old.ts")),
    ),
    (
        "remove the file scripts/tmp.sh",
        Op("file_delete", Some("scripts/tmp.sh")),
    ),
    (
        "delte src/unused.ts",
        Op("file_delete", Some("src/unused.ts")),
    ),
    (
        "get rid of the old config/legacy.yml",
        Op("file_delete", Some("config/legacy.yml")),
    ),
    (
        "src/old/helpers.js is no longer needed",
        Op("file_delete", Some("src/old/helpers.js")),
    ),
    // file_rename
    (
        "rename src/util.ts to src/utils.ts",
        Op("file_rename", Some("src/util.ts")),
    ),
    (
        "move docs/old.md to docs/archive/old.md",
        Op("file_rename", Some("docs/old.md")),
    ),
    (
        "renmae the file lib/a.js to lib/b.js",
        Op("file_rename", Some("lib/a.js")),
    ),
    ("mv src/App.jsx src/App.tsx", Abstain("no_match")),
    (
        "rename src/util.ts to helpers.ts",
        Op("file_rename", Some("src/util.ts")),
    ),
    // vague
    ("fix it", Abstain("too_vague")),
    ("fix the bug", Abstain("too_vague")),
    ("make it better", Abstain("no_match")),
    ("refactor", Abstain("no_match")),
    ("refactor the code", Abstain("too_vague")),
    ("review this", Abstain("too_vague")),
    ("", Abstain("too_vague")),
    ("   ", Abstain("too_vague")),
    // ambiguous
    ("review or refactor src/auth.ts", Abstain("ambiguous")),
    ("document or test src/auth.ts", Abstain("ambiguous")),
    // no match
    ("hello there", Abstain("no_match")),
    ("what is the weather today", Abstain("no_match")),
    ("banana", Abstain("no_match")),
    ("thanks!", Abstain("no_match")),
];

#[test]
fn the_phrasing_table_parses_as_expected() {
    assert!(TABLE.len() >= 100, "table has {} rows", TABLE.len());
    let mut failures = Vec::new();
    for (input, want) in TABLE {
        let r = parse_intent(input, ParseOptions::default());
        assert!(r.errors.is_empty(), "{input}: {:?}", r.errors);
        let got = match (&r.intent, &r.abstain) {
            (Some(i), _) => format!("{} {:?}", i.operation.as_str(), i.slots.get("target")),
            (_, Some(a)) => format!("abstain {:?}", a.reason),
            _ => "nothing".into(),
        };
        let ok = match want {
            Op(op, target) => r.intent.as_ref().is_some_and(|i| {
                i.operation.as_str() == *op && i.slots.get("target").map(String::as_str) == *target
            }),
            Abstain(reason) => r
                .abstain
                .as_ref()
                .is_some_and(|a| serde_json::to_value(a.reason).unwrap().as_str() == Some(*reason)),
        };
        if !ok {
            let want_s = match want {
                Op(op, t) => format!("{op} {t:?}"),
                Abstain(r) => format!("abstain {r}"),
            };
            let proof = r
                .intent
                .as_ref()
                .map(|i| {
                    format!(
                        " rule={} pattern={} matched={:?}",
                        i.proof.rule_id, i.proof.pattern, i.proof.matched_text
                    )
                })
                .unwrap_or_default();
            failures.push(format!("{input:?}: want {want_s}, got {got}{proof}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        TABLE.len(),
        failures.join("\n")
    );
}

#[test]
fn the_most_specific_match_wins_and_targets_are_paths() {
    let r = parse_intent("fix the bug in src/auth.ts", ParseOptions::default());
    let i = r.intent.unwrap();
    assert_eq!(i.slots.get("target").unwrap(), "src/auth.ts");
    assert!(!i.slots.contains_key("description"));
    assert_eq!(i.targets, vec!["src/auth.ts"]);
    assert_eq!(i.mode, Mode::Mechanic);
    assert!(!i.read_only);
}

#[test]
fn constraints_are_extracted_and_do_not_leak_into_slots() {
    let r = parse_intent(
        "Refactor src/auth.ts without changing the API and don't touch tests",
        ParseOptions::default(),
    );
    let i = r.intent.unwrap();
    let ids: Vec<&str> = i.constraints.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, vec!["no_test_changes", "keep_public_api"]);
    assert_eq!(i.operation, Operation::Refactor);
    assert_eq!(i.mode, Mode::Genius);
    assert_eq!(i.proof.matched_text, "refactor src/auth.ts");
}

#[test]
fn read_only_operations_are_flagged() {
    for text in ["analyze src/auth.ts", "review src/auth.ts"] {
        assert!(
            parse_intent(text, ParseOptions::default())
                .intent
                .unwrap()
                .read_only,
            "{text}"
        );
    }
}

#[test]
fn large_jobs_switch_to_genius_mode() {
    let i = parse_intent(
        "fix the lint errors across the codebase",
        ParseOptions::default(),
    )
    .intent
    .unwrap();
    assert_eq!(i.mode, Mode::Genius);
}

#[test]
fn the_proof_hashes_the_normalised_input_and_the_grammar_with_byte_spans() {
    let i = parse_intent("Please fix the bug in src/Auth.ts", ParseOptions::default())
        .intent
        .unwrap();
    assert_eq!(i.proof.normalized, "fix the bug in src/Auth.ts");
    assert_eq!(i.proof.input_hash, sha256_hex("fix the bug in src/Auth.ts"));
    assert_eq!(i.proof.grammar_hash, sha256_hex(GRAMMAR_SOURCE));
    let s = &i.proof.slot_spans[0];
    assert_eq!(&i.proof.matched_text[s.start..s.end], "src/Auth.ts");
    assert_eq!(i.proof.rule_id, "bug_fix");
}

#[test]
fn the_intent_span_is_valid_logline() {
    let i = parse_intent("write unit tests for src/auth.ts", ParseOptions::default())
        .intent
        .unwrap();
    let out = logline::parse(&i.span);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.spans[0].name, "test");
    assert_eq!(
        out.spans[0].get("targets"),
        Some(&LL::List(vec![LL::Str("src/auth.ts".into())]))
    );
}

#[test]
fn abstentions_ask_for_what_is_missing_and_offer_rephrasings_that_parse() {
    for (text, missing) in [
        ("make it better", Missing::Operation),
        ("fix it", Missing::Behaviour),
        ("review or refactor src/auth.ts", Missing::Choice),
    ] {
        let a = parse_intent(text, ParseOptions::default()).abstain.unwrap();
        assert_eq!(a.missing, missing, "{text}");
        assert!(
            a.clarification.ends_with('?'),
            "{text}: {}",
            a.clarification
        );
        assert!(
            (2..=3).contains(&a.suggestions.len()),
            "{text}: {:?}",
            a.suggestions
        );
        for s in &a.suggestions {
            assert!(
                parse_intent(s, ParseOptions::default()).ok,
                "{text}: suggestion {s:?} does not parse"
            );
        }
    }
    let a = parse_intent("fix it", ParseOptions::default())
        .abstain
        .unwrap();
    assert_eq!(a.candidates.first(), Some(&Operation::BugFix));
    assert!(a.suggestions.iter().any(|s| s.contains("src/")));
}

#[test]
fn suggestions_name_a_real_file_of_the_repository_when_one_is_known() {
    let options = ParseOptions {
        files: vec![
            "README.md".into(),
            "src/login.ts".into(),
            "src/cart.ts".into(),
        ],
        ..ParseOptions::default()
    };
    let a = parse_intent("the login page", options).abstain.unwrap();
    assert!(
        a.suggestions.iter().any(|s| s.contains("src/login.ts")),
        "{:?}",
        a.suggestions
    );
}

#[test]
fn suggestions_never_name_a_file_the_repository_does_not_have() {
    let files: Vec<String> = vec![
        "README.md".into(),
        "lib/money.py".into(),
        "tests/test_money.py".into(),
    ];
    let options = ParseOptions {
        files: files.clone(),
        ..ParseOptions::default()
    };
    let a = parse_intent("make it better", options).abstain.unwrap();
    let g = crate::grammar::grammar().unwrap();
    for s in &a.suggestions {
        for p in g.paths_in(s) {
            assert!(
                files.contains(&p),
                "{s:?} names {p}, which the repository does not have"
            );
        }
    }
}

#[test]
fn a_high_threshold_turns_weak_matches_into_abstentions() {
    let text = "fix the login flow";
    assert!(parse_intent(text, ParseOptions::default()).ok);
    let r = parse_intent(
        text,
        ParseOptions {
            threshold: Some(0.99),
            ..ParseOptions::default()
        },
    );
    assert_eq!(r.abstain.unwrap().reason, AbstainReason::TooVague);
}

#[test]
fn bad_options_and_oversized_input_are_errors() {
    assert_eq!(
        parse_intent(
            "fix src/a.ts",
            ParseOptions {
                threshold: Some(2.0),
                ..ParseOptions::default()
            }
        )
        .errors[0]
            .code,
        "invalid_option"
    );
    assert_eq!(
        parse_intent(&"a ".repeat(50_001), ParseOptions::default()).errors[0].code,
        "input_too_long"
    );
    // Anything the API accepts (10,000 characters) is read, by its first sentences.
    let issue = format!(
        "Fix the crash in src/auth.ts when the token is empty.\n\n{}",
        "The stack trace follows. ".repeat(370)
    );
    assert!(issue.len() > 9_000 && issue.len() <= 10_000);
    assert_eq!(
        parse_intent(&issue, ParseOptions::default())
            .intent
            .unwrap()
            .operation,
        Operation::BugFix
    );
}

#[test]
fn normalisation_keeps_paths_and_identifiers_verbatim() {
    let g = grammar().unwrap();
    assert_eq!(
        normalize("Don't touch `src/App.tsx`, OK?", |t| g.is_path(t)),
        "do not touch src/App.tsx ok"
    );
    assert_eq!(
        normalize("rename getUserById please", |t| g.is_path(t)),
        "rename getUserById"
    );
}

proptest::proptest! {
    #[test]
    fn arbitrary_input_never_panics(s in "\\PC{0,200}") {
        let r = parse_intent(&s, ParseOptions::default());
        proptest::prop_assert!(r.ok == r.intent.is_some());
    }
}
