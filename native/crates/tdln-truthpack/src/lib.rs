#![deny(clippy::all)]
//! Truth packs: RFC 6962-style Merkle tree over canonical-JSON provenance items, and an Ed25519
//! signature over a statement that binds the tree to its job: job id, repository, base and head
//! commits, root, item count, time and key id, as RFC 8785 canonical JSON.
//!
//! Packs of format 1 (`tdln-truthpack/1`) signed the root alone; they still verify, as `legacy`.

use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tdln_core::{canonicalize_value, sha256_hex, EngineError};

/// Format version written into every pack: the signature covers a [`Statement`].
pub const PACK_VERSION: &str = "tdln-truthpack/2";

/// Format version of packs whose signature covers the Merkle root alone (`tdln-truthpack/1:<root>`).
pub const LEGACY_PACK_VERSION: &str = "tdln-truthpack/1";

/// The `type` of a signed statement: what the signed bytes are, so they mean nothing else.
pub const STATEMENT_TYPE: &str = "tdln-truthpack-statement/1";

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
    /// Key id of `public_key` (see [`key_id`]); absent in legacy packs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// What the signature covers; absent in legacy packs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<Statement>,
    /// Ed25519 signature hex over the statement's canonical JSON (legacy: over `tdln-truthpack/1:<root hex>`).
    pub signature: String,
}

/// What a pack is about: the job it seals, the repository and commits it worked on, and when.
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    /// Always [`STATEMENT_TYPE`].
    #[serde(rename = "type")]
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
    pub item_count: usize,
    /// When the pack was sealed (RFC 3339, UTC).
    pub sealed_at: String,
    /// Id of the key that signs (see [`key_id`]).
    pub key_id: String,
}

/// What a pack's signature proves: `Bound` to a job through a [`Statement`], or `Legacy` (root only).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PackFormat {
    /// The signature covers the statement: job, repository, commits, root, item count, time, key id.
    Bound,
    /// The signature covers the Merkle root alone: consistency and origin of the root, not bound to a job.
    Legacy,
}

/// Whose key the signature was checked against.
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
        item_count: items.len(),
        sealed_at: binding.sealed_at.clone(),
        key_id: key_id.clone(),
    };
    let signature = hex::encode(sk.sign(statement_bytes(&statement)?.as_bytes()).to_bytes());
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

/// Items, leaves, size and root agree.
fn consistency_errors(pack: &TruthPack) -> Vec<EngineError> {
    let mut errors = Vec::new();
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
        Err(e) => Verification {
            valid: false,
            intact: false,
            format: PackFormat::Legacy,
            key_trust: KeyTrust::Unchecked,
            public_key: String::new(),
            key_id: String::new(),
            statement: None,
            errors: vec![EngineError::new(
                "invalid_pack",
                format!("pack JSON does not parse: {e}"),
            )],
        },
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

/// Root and every leaf's audit path in one pass: O(n) hashes and O(n log n) path entries, where
/// [`audit_path`] once per leaf recomputes sibling subtrees (O(n²) hashes for the whole tree).
fn root_and_paths(leaves: &[[u8; 32]]) -> ([u8; 32], Vec<Vec<[u8; 32]>>) {
    match leaves.len() {
        0 => (merkle_root(&[]), Vec::new()),
        1 => (leaves[0], vec![Vec::new()]),
        n => {
            let k = split(n);
            let (left, mut left_paths) = root_and_paths(&leaves[..k]);
            let (right, mut right_paths) = root_and_paths(&leaves[k..]);
            left_paths.iter_mut().for_each(|p| p.push(right));
            right_paths.iter_mut().for_each(|p| p.push(left));
            left_paths.append(&mut right_paths);
            (node_hash(&left, &right), left_paths)
        }
    }
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
            index,
            size: hashes.len(),
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
        assert!(codes(&verify_pack(&unsigned, Some(&kp.public_key)))
            .contains(&"no_statement".to_string()));
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
}
