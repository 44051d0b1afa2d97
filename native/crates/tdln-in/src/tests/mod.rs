use super::*;

mod phrasings;

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
    assert_eq!(
        &i.proof.matched_text[s.start as usize..s.end as usize],
        "src/Auth.ts"
    );
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
