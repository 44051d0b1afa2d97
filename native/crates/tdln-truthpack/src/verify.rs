//! Offline verification of a pack: items, leaves, root and size agree, the statement matches
//! the pack, the signature verifies under the key the pack names, and whose key that is.

use crate::{
    decode_key, key_id, leaves_of, legacy_message, merkle_root, statement_bytes, Binding, KeyTrust,
    PackFormat, Statement, TruthPack, Verification, LEGACY_PACK_VERSION, PACK_VERSION,
    STATEMENT_TYPE,
};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use tdln_core::EngineError;

/// Items, leaves, size and root agree.
fn consistency_errors(pack: &TruthPack) -> Vec<EngineError> {
    let mut errors = Vec::new();
    match leaves_of(&pack.items) {
        Err(e) => errors.push(e),
        Ok(leaves) => {
            if leaves.len() != pack.size as usize || pack.leaves.len() != pack.size as usize {
                errors.push(EngineError::new(
                    "size",
                    "size does not match items and leaves",
                ));
            }
            for (i, (item_hash, lh)) in leaves.iter().enumerate() {
                if let Some(l) = pack.leaves.get(i) {
                    if &l.item_hash != item_hash || l.leaf_hash != hex::encode(lh) {
                        errors.push(EngineError::at(
                            "leaf_mismatch",
                            "item does not match its leaf hash",
                            format!("items[{i}]"),
                        ));
                    }
                }
            }
            let hashes: Vec<[u8; 32]> = leaves.iter().map(|l| l.1).collect();
            if hex::encode(merkle_root(&hashes)) != pack.root {
                errors.push(EngineError::new(
                    "root_mismatch",
                    "recomputed Merkle root differs from pack.root",
                ));
            }
        }
    }
    errors
}

/// The statement agrees with the pack it is in.
fn statement_errors(pack: &TruthPack, statement: &Statement, key_id: &str) -> Vec<EngineError> {
    let mut errors = Vec::new();
    let mut check = |ok: bool, code: &str, message: String| {
        if !ok {
            errors.push(EngineError::at(code, message, "statement"));
        }
    };
    check(
        statement.statement_type == STATEMENT_TYPE,
        "statement_type",
        format!("statement type must be {STATEMENT_TYPE}"),
    );
    check(
        statement.root == pack.root,
        "statement_root",
        "the statement names another root than the pack's".into(),
    );
    check(
        statement.item_count == pack.size,
        "statement_size",
        "the statement names another item count than the pack's".into(),
    );
    check(
        statement.key_id == key_id,
        "statement_key",
        "the statement names another key id than the pack's key".into(),
    );
    check(
        pack.key_id.as_deref().is_none_or(|id| id == key_id),
        "key_id",
        "pack.keyId is not the id of pack.publicKey".into(),
    );
    let binding = Binding {
        job_id: statement.job_id.clone(),
        repository: statement.repository.clone(),
        base_commit: statement.base_commit.clone(),
        head_commit: statement.head_commit.clone(),
        sealed_at: statement.sealed_at.clone(),
    };
    errors.extend(binding.problems());
    errors
}

/// Verifies a pack offline: recomputes every leaf and the root from the items, checks the statement
/// (bound packs) and the signature under the key the pack names, and — when a trusted key is given —
/// that the pack names that key. Returns the verdict with every problem found.
pub fn verify_pack(pack: &TruthPack, trusted_key: Option<&str>) -> Verification {
    let mut errors = Vec::new();
    let format = match pack.version.as_str() {
        PACK_VERSION => PackFormat::Bound,
        LEGACY_PACK_VERSION => PackFormat::Legacy,
        other => {
            errors.push(EngineError::new(
                "version",
                format!("unsupported pack version {other}"),
            ));
            if pack.statement.is_some() {
                PackFormat::Bound
            } else {
                PackFormat::Legacy
            }
        }
    };
    errors.extend(consistency_errors(pack));
    let own_key = decode_key(&pack.public_key).and_then(|k| {
        VerifyingKey::from_bytes(&k).map_err(|e| EngineError::new("invalid_key", e.to_string()))
    });
    let public_key = pack.public_key.to_lowercase();
    let own_id = key_id(&pack.public_key).unwrap_or_default();
    let message = match (format, &pack.statement) {
        (PackFormat::Legacy, _) => Some(legacy_message(&pack.root)),
        (PackFormat::Bound, None) => {
            errors.push(EngineError::new(
                "no_statement",
                "a bound pack must carry its signed statement",
            ));
            None
        }
        (PackFormat::Bound, Some(statement)) => {
            errors.extend(statement_errors(pack, statement, &own_id));
            match statement_bytes(statement) {
                Ok(bytes) => Some(bytes),
                Err(e) => {
                    errors.push(e);
                    None
                }
            }
        }
    };
    match &own_key {
        Err(e) => errors.push(e.clone()),
        Ok(vk) => {
            let sig = hex::decode(&pack.signature)
                .ok()
                .and_then(|b| <[u8; 64]>::try_from(b).ok());
            match (sig, message) {
                (None, _) => errors.push(EngineError::new(
                    "invalid_signature",
                    "signature must be 64 bytes of hex",
                )),
                (Some(_), None) => {}
                (Some(bytes), Some(message)) => {
                    if vk
                        .verify(message.as_bytes(), &Signature::from_bytes(&bytes))
                        .is_err()
                    {
                        let what = if format == PackFormat::Bound {
                            "statement"
                        } else {
                            "root"
                        };
                        errors.push(EngineError::new(
                            "bad_signature",
                            format!(
                                "signature does not verify for this {what} under pack.publicKey"
                            ),
                        ));
                    }
                }
            }
        }
    }
    let intact = errors.is_empty();
    let key_trust = match trusted_key.map(|k| decode_key(k).map(hex::encode)) {
        None => KeyTrust::Unchecked,
        Some(Err(e)) => {
            errors.push(e);
            KeyTrust::OtherKey
        }
        Some(Ok(trusted)) if trusted == public_key => KeyTrust::Trusted,
        Some(Ok(trusted)) => {
            let trusted_id = key_id(&trusted).unwrap_or_default();
            errors.push(EngineError::new(
                "key_mismatch",
                format!("signed by key {own_id}, not by the trusted key {trusted_id}"),
            ));
            KeyTrust::OtherKey
        }
    };
    Verification {
        valid: intact && key_trust == KeyTrust::Trusted && errors.is_empty(),
        intact,
        format,
        key_trust,
        public_key,
        key_id: own_id,
        statement: pack.statement.clone(),
        errors,
    }
}

/// Parses pack JSON and verifies it (see [`verify_pack`]).
pub fn verify_pack_json(pack_json: &str, trusted_key: Option<&str>) -> Verification {
    match serde_json::from_str::<TruthPack>(pack_json) {
        Ok(p) => verify_pack(&p, trusted_key),
        Err(e) => Verification::failed(vec![EngineError::new(
            "invalid_pack",
            format!("pack JSON does not parse: {e}"),
        )]),
    }
}

impl Verification {
    /// The verdict on a pack that could not be read: invalid, not intact, nothing trusted.
    pub fn failed(errors: Vec<EngineError>) -> Verification {
        Verification {
            valid: false,
            intact: false,
            format: PackFormat::Legacy,
            key_trust: KeyTrust::Unchecked,
            public_key: String::new(),
            key_id: String::new(),
            statement: None,
            errors,
        }
    }
}
