#![deny(clippy::all)]
//! Truth packs: RFC 6962-style Merkle tree over canonical-JSON provenance items, signed with Ed25519.

use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tdln_core::{canonicalize_value, sha256_hex, EngineError};

/// Format version written into every pack.
pub const PACK_VERSION: &str = "tdln-truthpack/1";

/// RFC 6962 leaf hash: SHA256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// RFC 6962 interior node hash: SHA256(0x01 || left || right).
pub fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

fn split(n: usize) -> usize {
    // Largest power of two strictly smaller than n (n >= 2).
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// Merkle tree hash over already-hashed leaves (RFC 6962 §2.1). Empty tree = SHA256("").
pub fn merkle_root(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&merkle_root(&leaves[..k]), &merkle_root(&leaves[k..]))
        }
    }
}

/// Audit path for leaf `index` (RFC 6962 §2.1.1), leaf-to-root order.
pub fn audit_path(index: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
    let n = leaves.len();
    if n <= 1 || index >= n {
        return Vec::new();
    }
    let k = split(n);
    if index < k {
        let mut p = audit_path(index, &leaves[..k]);
        p.push(merkle_root(&leaves[k..]));
        p
    } else {
        let mut p = audit_path(index - k, &leaves[k..]);
        p.push(merkle_root(&leaves[..k]));
        p
    }
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2 algorithm).
pub fn verify_path(
    index: usize,
    size: usize,
    leaf: &[u8; 32],
    path: &[[u8; 32]],
    root: &[u8; 32],
) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && &r == root
}

/// A freshly generated signing key pair (hex).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct KeyPair {
    /// 32-byte Ed25519 secret seed, hex.
    pub secret_key: String,
    /// 32-byte Ed25519 public key, hex.
    pub public_key: String,
}

/// One leaf of a pack.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PackLeaf {
    /// Position in the tree.
    pub index: usize,
    /// SHA-256 hex of the item's canonical JSON (the item digest).
    pub item_hash: String,
    /// RFC 6962 leaf hash hex: SHA256(0x00 || canonical JSON).
    pub leaf_hash: String,
    /// The item's `kind` field when present (e.g. `intent`, `tool_call`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A signed truth pack.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TruthPack {
    /// Format version.
    pub version: String,
    /// Signature algorithm (`ed25519`).
    pub algorithm: String,
    /// Merkle root hex.
    pub root: String,
    /// Number of leaves.
    pub size: usize,
    /// Leaves in order.
    pub leaves: Vec<PackLeaf>,
    /// The items themselves (so the pack can be re-verified offline).
    pub items: Vec<Value>,
    /// Public key hex.
    pub public_key: String,
    /// Ed25519 signature hex over the message `tdln-truthpack/1:<root hex>`.
    pub signature: String,
}

/// An inclusion proof for one item.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProof {
    /// Leaf index.
    pub index: usize,
    /// Tree size.
    pub size: usize,
    /// Leaf hash hex.
    pub leaf_hash: String,
    /// Sibling hashes hex, leaf to root.
    pub path: Vec<String>,
    /// Root hex.
    pub root: String,
}

/// Decodes a 32-byte key given as hex or base64.
pub fn decode_key(text: &str) -> Result<[u8; 32], EngineError> {
    let t = text.trim();
    let bytes = if t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()) {
        hex::decode(t).map_err(|e| EngineError::new("invalid_key", e.to_string()))?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(t)
            .map_err(|_| EngineError::new("invalid_key", "key must be 32 bytes as hex or base64"))?
    };
    bytes
        .try_into()
        .map_err(|_| EngineError::new("invalid_key", "key must be exactly 32 bytes"))
}

fn decode_hash(text: &str, what: &str) -> Result<[u8; 32], EngineError> {
    hex::decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| EngineError::new("invalid_hash", format!("{what} must be 32 bytes of hex")))
}

/// Generates a new Ed25519 key pair from the OS random source.
pub fn generate_key() -> Result<KeyPair, EngineError> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| EngineError::new("rng", e.to_string()))?;
    let sk = SigningKey::from_bytes(&seed);
    Ok(KeyPair {
        secret_key: hex::encode(seed),
        public_key: hex::encode(sk.verifying_key().to_bytes()),
    })
}

/// Derives the public key hex from a secret key (hex or base64).
pub fn public_key_of(secret: &str) -> Result<String, EngineError> {
    Ok(hex::encode(
        SigningKey::from_bytes(&decode_key(secret)?)
            .verifying_key()
            .to_bytes(),
    ))
}

fn leaves_of(items: &[Value]) -> Result<Vec<(String, [u8; 32])>, EngineError> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let c = canonicalize_value(item)
                .map_err(|e| EngineError::at(&e.code, e.message, format!("items[{i}]")))?;
            Ok((sha256_hex(&c), leaf_hash(c.as_bytes())))
        })
        .collect()
}

fn signed_message(root_hex: &str) -> String {
    format!("{PACK_VERSION}:{root_hex}")
}

/// Builds and signs a pack over the items.
pub fn build_pack(items: Vec<Value>, secret_key: &str) -> Result<TruthPack, EngineError> {
    let sk = SigningKey::from_bytes(&decode_key(secret_key)?);
    let leaves = leaves_of(&items)?;
    let hashes: Vec<[u8; 32]> = leaves.iter().map(|l| l.1).collect();
    let root = hex::encode(merkle_root(&hashes));
    let signature = hex::encode(sk.sign(signed_message(&root).as_bytes()).to_bytes());
    Ok(TruthPack {
        version: PACK_VERSION.into(),
        algorithm: "ed25519".into(),
        size: items.len(),
        leaves: leaves
            .iter()
            .enumerate()
            .map(|(index, (item_hash, lh))| PackLeaf {
                index,
                item_hash: item_hash.clone(),
                leaf_hash: hex::encode(lh),
                kind: items[index]
                    .get("kind")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            })
            .collect(),
        root,
        items,
        public_key: hex::encode(sk.verifying_key().to_bytes()),
        signature,
    })
}

/// Verifies a pack offline: recomputes every leaf and the root from the items and checks the
/// signature with the given public key. Returns every problem found (empty = valid).
pub fn verify_pack(pack: &TruthPack, public_key: &str) -> Vec<EngineError> {
    let mut errors = Vec::new();
    if pack.version != PACK_VERSION {
        errors.push(EngineError::new(
            "version",
            format!("unsupported pack version {}", pack.version),
        ));
    }
    match leaves_of(&pack.items) {
        Err(e) => errors.push(e),
        Ok(leaves) => {
            if leaves.len() != pack.size || pack.leaves.len() != pack.size {
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
    match decode_key(public_key).and_then(|k| {
        VerifyingKey::from_bytes(&k).map_err(|e| EngineError::new("invalid_key", e.to_string()))
    }) {
        Err(e) => errors.push(e),
        Ok(vk) => {
            if hex::encode(vk.to_bytes()) != pack.public_key.to_lowercase() {
                errors.push(EngineError::new(
                    "key_mismatch",
                    "pack.publicKey is not the expected key",
                ));
            }
            let sig = hex::decode(&pack.signature)
                .ok()
                .and_then(|b| <[u8; 64]>::try_from(b).ok());
            match sig {
                None => errors.push(EngineError::new(
                    "invalid_signature",
                    "signature must be 64 bytes of hex",
                )),
                Some(bytes) => {
                    if vk
                        .verify(
                            signed_message(&pack.root).as_bytes(),
                            &Signature::from_bytes(&bytes),
                        )
                        .is_err()
                    {
                        errors.push(EngineError::new(
                            "bad_signature",
                            "signature does not verify for this root",
                        ));
                    }
                }
            }
        }
    }
    errors
}

/// Parses pack JSON and verifies it.
pub fn verify_pack_json(pack_json: &str, public_key: &str) -> Vec<EngineError> {
    match serde_json::from_str::<TruthPack>(pack_json) {
        Ok(p) => verify_pack(&p, public_key),
        Err(e) => vec![EngineError::new(
            "invalid_pack",
            format!("pack JSON does not parse: {e}"),
        )],
    }
}

/// Computes the inclusion proof for item `index` of the given items.
pub fn inclusion_proof(items: &[Value], index: usize) -> Result<InclusionProof, EngineError> {
    if index >= items.len() {
        return Err(EngineError::new(
            "out_of_range",
            format!("index {index} >= size {}", items.len()),
        ));
    }
    let hashes: Vec<[u8; 32]> = leaves_of(items)?.into_iter().map(|l| l.1).collect();
    Ok(InclusionProof {
        index,
        size: hashes.len(),
        leaf_hash: hex::encode(hashes[index]),
        path: audit_path(index, &hashes).iter().map(hex::encode).collect(),
        root: hex::encode(merkle_root(&hashes)),
    })
}

/// Verifies an inclusion proof for an item against a root.
pub fn verify_inclusion(
    item: &Value,
    proof: &InclusionProof,
    root_hex: &str,
) -> Result<bool, EngineError> {
    let c = canonicalize_value(item)?;
    let leaf = leaf_hash(c.as_bytes());
    if hex::encode(leaf) != proof.leaf_hash {
        return Ok(false);
    }
    let path = proof
        .path
        .iter()
        .map(|p| decode_hash(p, "path entry"))
        .collect::<Result<Vec<_>, _>>()?;
    let root = decode_hash(root_hex, "root")?;
    Ok(verify_path(proof.index, proof.size, &leaf, &path, &root))
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn a_signed_pack_verifies_and_tampering_is_detected() {
        let kp = generate_key().unwrap();
        let pack = build_pack(items(5), &kp.secret_key).unwrap();
        assert_eq!(pack.public_key, kp.public_key);
        let json = serde_json::to_string(&pack).unwrap();
        assert!(verify_pack_json(&json, &kp.public_key).is_empty());

        let mut tampered = pack.clone();
        tampered.items[2] = json!({"kind": "tool_call", "seq": 99});
        let codes: Vec<String> = verify_pack(&tampered, &kp.public_key)
            .into_iter()
            .map(|e| e.code)
            .collect();
        assert!(codes.contains(&"leaf_mismatch".to_string()));
        assert!(codes.contains(&"root_mismatch".to_string()));

        let other = generate_key().unwrap();
        let codes: Vec<String> = verify_pack(&pack, &other.public_key)
            .into_iter()
            .map(|e| e.code)
            .collect();
        assert!(
            codes.contains(&"key_mismatch".to_string())
                && codes.contains(&"bad_signature".to_string())
        );
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
}
