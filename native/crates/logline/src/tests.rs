use super::*;
use proptest::prelude::*;

#[test]
fn a_span_with_every_value_kind_parses() {
    let text = r#"# header comment
INTENT: bug_fix
  target: "src/auth.ts" # trailing comment
  count: 3
  ratio: -0.5e-3
  ok: true
  none: null
  plan: @plan-1
  tags: ["a", 1, [false]]
  meta: {b: 2, "a key": "x\n\"y\""}
END
"#;
    let out = parse(text);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let span = &out.spans[0];
    assert_eq!(span.kind, "INTENT");
    assert_eq!(span.name, "bug_fix");
    assert_eq!(span.get("target"), Some(&Value::Str("src/auth.ts".into())));
    assert_eq!(span.get("count"), Some(&Value::Int(3)));
    assert_eq!(span.get("ratio"), Some(&Value::Float(-0.0005)));
    assert_eq!(span.get("plan"), Some(&Value::Ref("plan-1".into())));
    let Some(Value::Object(meta)) = span.get("meta") else {
        panic!("meta")
    };
    assert_eq!(meta.get("a key"), Some(&Value::Str("x\n\"y\"".into())));
}

#[test]
fn errors_report_line_and_column() {
    let out = parse("TASK: t\n  a: 1\n  b: [1, 2\nEND\n");
    assert!(out.spans.is_empty());
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].line, 3);
    assert_eq!(out.errors[0].column, 11);
    assert!(out.errors[0].message.contains("']'"));
}

#[test]
fn an_unclosed_span_is_an_error() {
    let out = parse("TASK: t\n  a: 1\n");
    assert!(out.spans.is_empty());
    assert!(out.errors[0].message.contains("not closed"));
}

#[test]
fn duplicate_properties_and_stray_end_are_errors() {
    let out = parse("END\nT: x\n a: 1\n a: 2\nEND");
    assert_eq!(out.errors.len(), 2);
    assert_eq!((out.errors[0].line, out.errors[1].line), (1, 4));
}

#[test]
fn serializer_output_is_canonical() {
    let span = Span::new("INTENT", "x y")
        .with(
            "b",
            Value::Object(BTreeMap::from([
                ("z".into(), Value::Int(1)),
                ("a b".into(), Value::Null),
            ])),
        )
        .with("f", Value::Float(1.0));
    let text = serialize(&[span]).unwrap();
    assert_eq!(
        text,
        "INTENT: \"x y\"\n  b: {\"a b\": null, z: 1}\n  f: 1.0\nEND\n"
    );
}

#[test]
fn non_finite_floats_cannot_be_serialized() {
    let span = Span::new("T", "n").with("x", Value::Float(f64::NAN));
    assert!(serialize(&[span]).is_err());
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Float),
        any::<String>().prop_map(Value::Str),
        "[a-zA-Z0-9_.:/-]{1,12}".prop_map(Value::Ref),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::List),
            prop::collection::btree_map(any::<String>(), inner, 0..5).prop_map(Value::Object),
        ]
    })
}

fn arb_span() -> impl Strategy<Value = Span> {
    (
        "[A-Za-z_][A-Za-z0-9_.-]{0,10}",
        any::<String>(),
        prop::collection::btree_map("[A-Za-z_][A-Za-z0-9_.-]{0,10}", arb_value(), 0..6),
    )
        .prop_map(|(kind, name, props)| Span {
            kind,
            name,
            properties: props.into_iter().collect(),
        })
}

proptest! {
    #[test]
    fn parse_of_serialize_is_identity(spans in prop::collection::vec(arb_span(), 0..4)) {
        let text = serialize(&spans).unwrap();
        let out = parse(&text);
        prop_assert!(out.errors.is_empty(), "{:?}\n{}", out.errors, text);
        prop_assert_eq!(out.spans, spans);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        let _ = parse(&s);
    }

    #[test]
    fn logline_shaped_noise_never_panics(s in "[A-Z:a-z \"\\\\@#\\[\\]{},0-9.eE+\\-\n]{0,200}") {
        let out = parse(&s);
        for e in out.errors {
            prop_assert!(e.line >= 1 && e.column >= 1);
        }
    }

    #[test]
    fn json_conversion_round_trips_spans(span in arb_span()) {
        let back = span_from_json(&span_to_json(&span)).unwrap();
        prop_assert_eq!(back.kind, span.kind);
        prop_assert_eq!(back.properties.len(), span.properties.len());
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let text = format!("T: x\n a: {}\nEND", "[".repeat(100_000));
    let out = parse(&text);
    assert!(out.errors[0].message.contains("too deep"));
}
