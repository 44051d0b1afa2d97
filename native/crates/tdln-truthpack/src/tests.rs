use super::*;
use serde_json::json;

fn items(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"kind": "tool_call", "seq": i, "ok": i % 2 == 0}))
        .collect()
}

#[test]
fn empty_and_single_trees_follow_rfc_6962() {
    assert_eq!(
        hex::encode(merkle_root(&[])),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let l = leaf_hash(b"");
    assert_eq!(
        hex::encode(l),
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    );
    assert_eq!(merkle_root(&[l]), l);
}

#[test]
fn three_leaves_split_as_two_plus_one() {
    let ls: Vec<[u8; 32]> = [b"a", b"b", b"c"].iter().map(|d| leaf_hash(*d)).collect();
    let expected = node_hash(&node_hash(&ls[0], &ls[1]), &ls[2]);
    assert_eq!(merkle_root(&ls), expected);
}

#[test]
fn all_proofs_at_once_equal_each_proof_alone_for_every_tree_size_up_to_40() {
    assert!(inclusion_proofs(&[]).unwrap().is_empty());
    for n in 1..=40 {
        let its = items(n);
        let all = inclusion_proofs(&its).unwrap();
        assert_eq!(all.len(), n);
        for (i, p) in all.iter().enumerate() {
            let alone = inclusion_proof(&its, i).unwrap();
            assert_eq!(
                (p.index, p.size, &p.leaf_hash, &p.path, &p.root),
                (
                    alone.index,
                    alone.size,
                    &alone.leaf_hash,
                    &alone.path,
                    &alone.root
                ),
                "n={n} i={i}"
            );
            assert!(verify_inclusion(&its[i], p, &p.root).unwrap());
        }
    }
}

#[test]
fn every_inclusion_proof_verifies_for_every_tree_size_up_to_20() {
    for n in 1..=20 {
        let its = items(n);
        for i in 0..n {
            let p = inclusion_proof(&its, i).unwrap();
            assert!(
                verify_inclusion(&its[i], &p, &p.root).unwrap(),
                "n={n} i={i}"
            );
            let other = &its[(i + 1) % n];
            if n > 1 {
                assert!(!verify_inclusion(other, &p, &p.root).unwrap());
            }
        }
    }
}

fn binding() -> Binding {
    Binding {
        job_id: "3f1c2a9e-5b7d-4e2a-9c1f-8a6b4d2e0f17".into(),
        repository: "/srv/repos/shop".into(),
        base_commit: "1f0e3c5a9b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f".into(),
        head_commit: "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b".into(),
        sealed_at: "2026-12-05T10:15:00.000Z".into(),
    }
}

fn codes(v: &Verification) -> Vec<String> {
    v.errors.iter().map(|e| e.code.clone()).collect()
}

#[test]
fn a_bound_pack_verifies_under_the_trusted_key_and_tampering_is_detected() {
    let kp = generate_key().unwrap();
    let pack = build_pack(items(5), &binding(), &kp.secret_key).unwrap();
    assert_eq!(pack.version, PACK_VERSION);
    assert_eq!(pack.public_key, kp.public_key);
    let statement = pack.statement.clone().unwrap();
    assert_eq!(statement.job_id, binding().job_id);
    assert_eq!(statement.item_count, 5);
    assert_eq!(statement.root, pack.root);
    assert_eq!(Some(statement.key_id.clone()), pack.key_id);
    let json = serde_json::to_string(&pack).unwrap();
    let verdict = verify_pack_json(&json, Some(&kp.public_key));
    assert!(verdict.valid && verdict.intact, "{:?}", verdict.errors);
    assert_eq!(
        (verdict.format, verdict.key_trust),
        (PackFormat::Bound, KeyTrust::Trusted)
    );

    let mut tampered = pack.clone();
    tampered.items[2] = json!({"kind": "tool_call", "seq": 99});
    let v = verify_pack(&tampered, Some(&kp.public_key));
    assert!(!v.valid && !v.intact);
    assert!(codes(&v).contains(&"leaf_mismatch".to_string()));
    assert!(codes(&v).contains(&"root_mismatch".to_string()));
}

#[test]
fn the_signature_covers_every_bound_field() {
    let kp = generate_key().unwrap();
    let pack = build_pack(items(3), &binding(), &kp.secret_key).unwrap();
    let edits: Vec<fn(&mut Statement)> = vec![
        |s| s.job_id = "00000000-0000-4000-8000-000000000000".into(),
        |s| s.repository = "/srv/repos/other".into(),
        |s| s.base_commit = "2".repeat(40),
        |s| s.head_commit = "3".repeat(40),
        |s| s.sealed_at = "2027-01-01T00:00:00.000Z".into(),
    ];
    for edit in edits {
        let mut moved = pack.clone();
        edit(moved.statement.as_mut().unwrap());
        let v = verify_pack(&moved, Some(&kp.public_key));
        assert!(!v.valid && !v.intact);
        assert_eq!(codes(&v), vec!["bad_signature".to_string()]);
    }
    let mut recounted = pack.clone();
    recounted.statement.as_mut().unwrap().item_count = 2;
    assert!(codes(&verify_pack(&recounted, Some(&kp.public_key)))
        .contains(&"statement_size".to_string()));
}

#[test]
fn without_a_trusted_key_a_pack_is_only_intact_and_another_key_is_named() {
    let kp = generate_key().unwrap();
    let pack = build_pack(items(2), &binding(), &kp.secret_key).unwrap();
    let v = verify_pack(&pack, None);
    assert!(v.intact && !v.valid && v.errors.is_empty());
    assert_eq!(v.key_trust, KeyTrust::Unchecked);

    // Someone re-signs the pack (or a forgery) with a key of their own: intact, but not the trusted key.
    let forger = generate_key().unwrap();
    let forged = build_pack(pack.items.clone(), &binding(), &forger.secret_key).unwrap();
    let v = verify_pack(&forged, Some(&kp.public_key));
    assert!(v.intact && !v.valid);
    assert_eq!(v.key_trust, KeyTrust::OtherKey);
    assert_eq!(codes(&v), vec!["key_mismatch".to_string()]);
    assert!(v.errors[0]
        .message
        .contains(&key_id(&forger.public_key).unwrap()));
    assert!(v.errors[0]
        .message
        .contains(&key_id(&kp.public_key).unwrap()));
}

#[test]
fn a_legacy_pack_made_before_binding_verifies_as_legacy() {
    // Made by the code before packs were bound to their job (test/fixtures/truthpacks).
    let view: Value = serde_json::from_str(include_str!(
        "../../../../test/fixtures/truthpacks/legacy-v1.json"
    ))
    .unwrap();
    let pack: TruthPack = serde_json::from_value(view["pack"].clone()).unwrap();
    let key = view["publicKey"].as_str().unwrap();
    let v = verify_pack(&pack, Some(key));
    assert!(v.valid && v.intact, "{:?}", v.errors);
    assert_eq!(
        (v.format, v.key_trust, v.statement.is_none()),
        (PackFormat::Legacy, KeyTrust::Trusted, true)
    );
    let mut tampered = pack.clone();
    tampered.root = "0".repeat(64);
    assert!(!verify_pack(&tampered, Some(key)).intact);
}

#[test]
fn a_bound_pack_cannot_be_passed_off_as_legacy() {
    let kp = generate_key().unwrap();
    let mut pack = build_pack(items(2), &binding(), &kp.secret_key).unwrap();
    pack.version = LEGACY_PACK_VERSION.into();
    pack.statement = None;
    let v = verify_pack(&pack, Some(&kp.public_key));
    assert!(!v.valid);
    assert_eq!(codes(&v), vec!["bad_signature".to_string()]);
    let mut unsigned = build_pack(items(2), &binding(), &kp.secret_key).unwrap();
    unsigned.statement = None;
    assert!(
        codes(&verify_pack(&unsigned, Some(&kp.public_key))).contains(&"no_statement".to_string())
    );
}

#[test]
fn a_binding_needs_ids_commits_and_a_utc_time() {
    let kp = generate_key().unwrap();
    let bad = [
        Binding {
            job_id: " ".into(),
            ..binding()
        },
        Binding {
            base_commit: "main".into(),
            ..binding()
        },
        Binding {
            head_commit: "ABCDEF".repeat(7)[..40].to_string(),
            ..binding()
        },
        Binding {
            sealed_at: "2026-12-05 10:15".into(),
            ..binding()
        },
        Binding {
            sealed_at: "2026-13-05T10:15:00Z".into(),
            ..binding()
        },
    ];
    for b in bad {
        let e = build_pack(items(1), &b, &kp.secret_key).unwrap_err();
        assert_eq!(e.code, "invalid_binding", "{b:?}");
    }
    let ok = Binding {
        sealed_at: "2026-12-05T10:15:00Z".into(),
        head_commit: "a".repeat(64),
        ..binding()
    };
    assert!(build_pack(items(1), &ok, &kp.secret_key).is_ok());
}

#[test]
fn the_root_of_items_is_the_root_their_pack_carries() {
    let kp = generate_key().unwrap();
    let pack = build_pack(items(7), &binding(), &kp.secret_key).unwrap();
    assert_eq!(items_root(&items(7)).unwrap(), pack.root);
}

#[test]
fn a_key_id_is_the_start_of_the_sha256_of_the_public_key() {
    let kp = generate_key().unwrap();
    let id = key_id(&kp.public_key).unwrap();
    assert_eq!(id, sha256_hex(hex::decode(&kp.public_key).unwrap())[..16]);
    assert_eq!(id.len(), 16);
}

#[test]
fn keys_are_accepted_as_hex_or_base64() {
    let kp = generate_key().unwrap();
    let b64 =
        base64::engine::general_purpose::STANDARD.encode(hex::decode(&kp.secret_key).unwrap());
    assert_eq!(public_key_of(&b64).unwrap(), kp.public_key);
    assert!(decode_key("nope").is_err());
}

#[test]
fn leaves_hash_the_canonical_form_so_key_order_does_not_matter() {
    let a = serde_json::from_str::<Value>(r#"{"b":1,"a":[1.0,2]}"#).unwrap();
    let b = serde_json::from_str::<Value>(r#"{"a":[1,2],"b":1}"#).unwrap();
    assert_eq!(leaves_of(&[a]).unwrap(), leaves_of(&[b]).unwrap());
}
