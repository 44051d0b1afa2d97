#![deny(clippy::all)]
//! Truth packs: RFC 6962-style Merkle tree over canonical-JSON provenance items, and an Ed25519
//! signature over a statement that binds the tree to its job: job id, repository, base and head
//! commits, root, item count, time and key id, as RFC 8785 canonical JSON.
//!
//! Packs of format 1 (`tdln-truthpack/1`) signed the root alone; they still verify, as `legacy`.

use base64::Engine as _;
use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tdln_core::{canonicalize_value, sha256_hex, EngineError};

mod merkle;
mod verify;

use merkle::root_and_paths;
pub use merkle::{audit_path, leaf_hash, merkle_root, node_hash, verify_path};
pub use verify::{verify_pack, verify_pack_json};

/// Format version written into every pack: the signature covers a [`Statement`].
pub const PACK_VERSION: &str = "tdln-truthpack/2";

/// Format version of packs whose signature covers the Merkle root alone (`tdln-truthpack/1:<root>`).
pub const LEGACY_PACK_VERSION: &str = "tdln-truthpack/1";

/// The `type` of a signed statement: what the signed bytes are, so they mean nothing else.
pub const STATEMENT_TYPE: &str = "tdln-truthpack-statement/1";

/// A freshly generated signing key pair (hex).
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, js_name = "SigningKeyPair")
)]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct KeyPair {
    /// 32-byte Ed25519 secret seed, hex.
    pub secret_key: String,
    /// 32-byte Ed25519 public key, hex.
    pub public_key: String,
}

/// One leaf of a pack.
#[cfg_attr(feature = "napi", napi_derive::napi(object))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PackLeaf {
    /// Position in the tree.
    pub index: u32,
    /// SHA-256 hex of the item's canonical JSON (the item digest).
    pub item_hash: String,
    /// RFC 6962 leaf hash hex: SHA256(0x00 || canonical JSON).
    pub leaf_hash: String,
    /// The item's `kind` field when present (e.g. `intent`, `tool_call`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A signed truth pack.
#[cfg_attr(feature = "napi", napi_derive::napi(object))]
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
    pub size: u32,
    /// Leaves in order.
    pub leaves: Vec<PackLeaf>,
    /// The items themselves (so the pack can be re-verified offline).
    pub items: Vec<Value>,
    /// Public key hex.
    pub public_key: String,
    /// Key id of `public_key` (see [`key_id`]); absent in legacy packs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// What the signature covers; absent in legacy packs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "napi", napi(ts_type = "TruthPackStatement"))]
    pub statement: Option<Statement>,
    /// Ed25519 signature hex over the statement's canonical JSON (legacy: over `tdln-truthpack/1:<root hex>`).
    pub signature: String,
}

/// What a pack is about: the job it seals, the repository and commits it worked on, and when.
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, js_name = "TruthPackBinding")
)]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    /// The job's id.
    pub job_id: String,
    /// The repository the job ran on (server path or URL, as the job names it).
    pub repository: String,
    /// Commit the job started from (hex object id).
    pub base_commit: String,
    /// Commit the job's work ends at (hex object id; the base commit when it changed nothing).
    pub head_commit: String,
    /// When the pack was sealed, RFC 3339 in UTC (`2026-12-05T10:15:00.000Z`).
    pub sealed_at: String,
}

/// The statement a pack's signature covers, signed as its RFC 8785 canonical JSON.
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, js_name = "TruthPackStatement")
)]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    /// Always [`STATEMENT_TYPE`].
    #[serde(rename = "type")]
    #[cfg_attr(feature = "napi", napi(js_name = "type"))]
    pub statement_type: String,
    /// The job's id.
    pub job_id: String,
    /// The repository the job ran on.
    pub repository: String,
    /// Commit the job started from.
    pub base_commit: String,
    /// Commit the job's work ends at.
    pub head_commit: String,
    /// Merkle root hex of the items.
    pub root: String,
    /// Number of items (leaves).
    pub item_count: u32,
    /// When the pack was sealed (RFC 3339, UTC).
    pub sealed_at: String,
    /// Id of the key that signs (see [`key_id`]).
    pub key_id: String,
}

/// What a pack's signature proves: `Bound` to a job through a [`Statement`], or `Legacy` (root only).
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PackFormat {
    /// The signature covers the statement: job, repository, commits, root, item count, time, key id.
    Bound,
    /// The signature covers the Merkle root alone: consistency and origin of the root, not bound to a job.
    Legacy,
}

/// Whose key the signature was checked against.
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum KeyTrust {
    /// The pack was signed by the trusted key the caller gave.
    Trusted,
    /// The pack was signed by another key than the trusted one.
    OtherKey,
    /// No trusted key was given: only the pack's own key was used (self-consistency).
    Unchecked,
}

/// The verdict on a pack.
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, js_name = "TruthPackVerification")
)]
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Intact and signed by the trusted key: false whenever no trusted key was given.
    pub valid: bool,
    /// Items, leaves, root, size and statement agree, and the signature verifies under the pack's own key.
    pub intact: bool,
    /// Bound to a job, or legacy.
    pub format: PackFormat,
    /// Whether the signer is the trusted key.
    pub key_trust: KeyTrust,
    /// The key the pack names (hex, lower case).
    pub public_key: String,
    /// Its key id.
    pub key_id: String,
    /// The signed statement (bound packs).
    pub statement: Option<Statement>,
    /// Every problem found.
    pub errors: Vec<EngineError>,
}

/// An inclusion proof for one item.
#[cfg_attr(feature = "napi", napi_derive::napi(object))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProof {
    /// Leaf index.
    pub index: u32,
    /// Tree size.
    pub size: u32,
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

/// Key id of an Ed25519 public key (hex or base64): the first 16 hex digits of SHA-256 of its 32 bytes.
pub fn key_id(public_key: &str) -> Result<String, EngineError> {
    Ok(sha256_hex(decode_key(public_key)?)[..16].to_string())
}

fn is_object_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64)
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, with plausible field ranges.
fn is_utc_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let num = |r: std::ops::Range<usize>| {
        text.get(r)
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(99)
    };
    if b.len() < 20
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
        || !digits(11..13)
        || !digits(14..16)
        || !digits(17..19)
    {
        return false;
    }
    if b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[b.len() - 1] != b'Z'
    {
        return false;
    }
    let fraction = &b[19..b.len() - 1];
    let fraction_ok = fraction.is_empty()
        || (fraction.len() >= 2
            && fraction[0] == b'.'
            && fraction[1..].iter().all(u8::is_ascii_digit));
    fraction_ok
        && (1..=12).contains(&num(5..7))
        && (1..=31).contains(&num(8..10))
        && num(11..13) < 24
        && num(14..16) < 60
        && num(17..19) < 61
}

impl Binding {
    /// Every problem with the binding (empty = usable): ids present, commits as hex object ids, time in UTC.
    pub fn problems(&self) -> Vec<EngineError> {
        let mut errors = Vec::new();
        let mut check = |ok: bool, field: &str, message: &str| {
            if !ok {
                errors.push(EngineError::at("invalid_binding", message, field));
            }
        };
        check(
            !self.job_id.trim().is_empty() && self.job_id.len() <= 200,
            "jobId",
            "jobId must be 1 to 200 characters",
        );
        check(
            !self.repository.trim().is_empty() && self.repository.len() <= 2_000,
            "repository",
            "repository must be 1 to 2000 characters",
        );
        check(
            is_object_id(&self.base_commit),
            "baseCommit",
            "baseCommit must be a git object id (40 or 64 lower-case hex digits)",
        );
        check(
            is_object_id(&self.head_commit),
            "headCommit",
            "headCommit must be a git object id (40 or 64 lower-case hex digits)",
        );
        check(
            is_utc_timestamp(&self.sealed_at),
            "sealedAt",
            "sealedAt must be an RFC 3339 time in UTC, like 2026-12-05T10:15:00.000Z",
        );
        errors
    }
}

/// The bytes a statement's signature covers: its RFC 8785 canonical JSON.
pub fn statement_bytes(statement: &Statement) -> Result<String, EngineError> {
    let value = serde_json::to_value(statement)
        .map_err(|e| EngineError::new("invalid_statement", e.to_string()))?;
    canonicalize_value(&value)
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

fn legacy_message(root_hex: &str) -> String {
    format!("{LEGACY_PACK_VERSION}:{root_hex}")
}

/// Builds a pack over the items and signs the statement that binds it to its job.
pub fn build_pack(
    items: Vec<Value>,
    binding: &Binding,
    secret_key: &str,
) -> Result<TruthPack, EngineError> {
    if let Some(problem) = binding.problems().into_iter().next() {
        return Err(problem);
    }
    let sk = SigningKey::from_bytes(&decode_key(secret_key)?);
    let public_key = hex::encode(sk.verifying_key().to_bytes());
    let key_id = key_id(&public_key)?;
    let leaves = leaves_of(&items)?;
    let hashes: Vec<[u8; 32]> = leaves.iter().map(|l| l.1).collect();
    let root = hex::encode(merkle_root(&hashes));
    debug_assert_eq!(items_root(&items).ok().as_deref(), Some(root.as_str()));
    let statement = Statement {
        statement_type: STATEMENT_TYPE.into(),
        job_id: binding.job_id.clone(),
        repository: binding.repository.clone(),
        base_commit: binding.base_commit.clone(),
        head_commit: binding.head_commit.clone(),
        root: root.clone(),
        item_count: items.len() as u32,
        sealed_at: binding.sealed_at.clone(),
        key_id: key_id.clone(),
    };
    let signature = hex::encode(sk.sign(statement_bytes(&statement)?.as_bytes()).to_bytes());
    Ok(TruthPack {
        version: PACK_VERSION.into(),
        algorithm: "ed25519".into(),
        size: items.len() as u32,
        leaves: leaves
            .iter()
            .enumerate()
            .map(|(index, (item_hash, lh))| PackLeaf {
                index: index as u32,
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
        public_key,
        key_id: Some(key_id),
        statement: Some(statement),
        signature,
    })
}

/// The Merkle root hex over the items (the root a pack of these items carries).
pub fn items_root(items: &[Value]) -> Result<String, EngineError> {
    let hashes: Vec<[u8; 32]> = leaves_of(items)?.into_iter().map(|l| l.1).collect();
    Ok(hex::encode(merkle_root(&hashes)))
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
        index: index as u32,
        size: hashes.len() as u32,
        leaf_hash: hex::encode(hashes[index]),
        path: audit_path(index, &hashes).iter().map(hex::encode).collect(),
        root: hex::encode(merkle_root(&hashes)),
    })
}

/// Computes the inclusion proof of every item at once (each equal to [`inclusion_proof`] for its index).
pub fn inclusion_proofs(items: &[Value]) -> Result<Vec<InclusionProof>, EngineError> {
    let hashes: Vec<[u8; 32]> = leaves_of(items)?.into_iter().map(|l| l.1).collect();
    let (root, paths) = root_and_paths(&hashes);
    let root = hex::encode(root);
    Ok(paths
        .into_iter()
        .enumerate()
        .map(|(index, path)| InclusionProof {
            index: index as u32,
            size: hashes.len() as u32,
            leaf_hash: hex::encode(hashes[index]),
            path: path.iter().map(hex::encode).collect(),
            root: root.clone(),
        })
        .collect())
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
    Ok(verify_path(
        proof.index as usize,
        proof.size as usize,
        &leaf,
        &path,
        &root,
    ))
}

#[cfg(test)]
mod tests;
