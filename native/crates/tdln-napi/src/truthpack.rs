//! tdln-truthpack: signed, job-bound Merkle packs of provenance items. The pack, its statement,
//! binding, verification and inclusion proofs are tdln-truthpack's own types; the `…Result`
//! shapes below are the binding's, which returns errors as data where the engine returns `Err`.

use crate::{error, guard, parse_items, EngineError};
use napi::bindgen_prelude::{Error, Result, Status};
use napi_derive::napi;
use serde_json::Value;
// Imported under their JS names, which the generated `.d.ts` uses for types from other crates.
use tdln_truthpack::{
    Binding as TruthPackBinding, InclusionProof, KeyPair as SigningKeyPair, TruthPack,
    Verification as TruthPackVerification,
};

/// Generates a new Ed25519 signing key pair.
#[napi]
pub fn generate_signing_key() -> Result<SigningKeyPair> {
    crate::guard_throw(tdln_truthpack::generate_key)?
        .map_err(|e| Error::new(Status::GenericFailure, e.message))
}

/// Result of `buildTruthPack`.
#[napi(object)]
pub struct TruthPackResult {
    /// The pack.
    pub pack: Option<TruthPack>,
    /// The pack as JSON text (pass this to `verifyTruthPack`).
    pub pack_json: Option<String>,
    /// Errors.
    pub errors: Vec<EngineError>,
}

/// Builds a truth pack from a JSON array of provenance items and signs the statement that binds it to
/// its job, with a secret key (hex or base64).
#[napi]
pub fn build_truth_pack(
    items_json: String,
    binding: TruthPackBinding,
    secret_key: String,
) -> TruthPackResult {
    let fail = |e: EngineError| TruthPackResult {
        pack: None,
        pack_json: None,
        errors: vec![e],
    };
    guard(
        || {
            let items = match parse_items(&items_json) {
                Ok(i) => i,
                Err(e) => return fail(e),
            };
            match tdln_truthpack::build_pack(items, &binding, &secret_key) {
                Err(e) => fail(e),
                Ok(p) => TruthPackResult {
                    pack_json: serde_json::to_string(&p).ok(),
                    pack: Some(p),
                    errors: Vec::new(),
                },
            }
        },
        fail,
    )
}

/// Result of a verification.
#[napi(object)]
pub struct VerifyResult {
    /// True when nothing is wrong.
    pub valid: bool,
    /// Every problem found.
    pub errors: Vec<EngineError>,
}

/// Verifies a truth pack (JSON text) offline: consistency and signature under the key it names, and,
/// when `trustedKey` (hex or base64) is given, that this key is the one that signed it.
#[napi]
pub fn verify_truth_pack(pack_json: String, trusted_key: Option<String>) -> TruthPackVerification {
    guard(
        || tdln_truthpack::verify_pack_json(&pack_json, trusted_key.as_deref()),
        |e| TruthPackVerification::failed(vec![e]),
    )
}

/// Result of `truthPackRoot`.
#[napi(object)]
pub struct TruthPackRootResult {
    /// Merkle root hex.
    pub root: Option<String>,
    /// Errors.
    pub errors: Vec<EngineError>,
}

/// The Merkle root a pack of these items (a JSON array) carries, before anything is signed.
#[napi]
pub fn truth_pack_root(items_json: String) -> TruthPackRootResult {
    let fail = |e: EngineError| TruthPackRootResult {
        root: None,
        errors: vec![e],
    };
    guard(
        || match parse_items(&items_json).and_then(|items| tdln_truthpack::items_root(&items)) {
            Ok(root) => TruthPackRootResult {
                root: Some(root),
                errors: Vec::new(),
            },
            Err(e) => fail(e),
        },
        fail,
    )
}

/// Result of `truthPackKeyId`.
#[napi(object)]
pub struct KeyIdResult {
    /// The key id: the first 16 hex digits of SHA-256 of the 32-byte public key.
    pub key_id: Option<String>,
    /// Errors (not a 32-byte key).
    pub errors: Vec<EngineError>,
}

/// The key id of an Ed25519 public key (hex or base64), as packs name their signer.
#[napi]
pub fn truth_pack_key_id(public_key: String) -> KeyIdResult {
    let fail = |e: EngineError| KeyIdResult {
        key_id: None,
        errors: vec![e],
    };
    guard(
        || match tdln_truthpack::key_id(&public_key) {
            Ok(id) => KeyIdResult {
                key_id: Some(id),
                errors: Vec::new(),
            },
            Err(e) => fail(e),
        },
        fail,
    )
}

/// Result of `inclusionProof`.
#[napi(object)]
pub struct InclusionProofResult {
    /// The proof.
    pub proof: Option<InclusionProof>,
    /// Errors.
    pub errors: Vec<EngineError>,
}

/// Computes the inclusion proof for item `index` of a JSON array of items.
#[napi]
pub fn inclusion_proof(items_json: String, index: u32) -> InclusionProofResult {
    let fail = |e: EngineError| InclusionProofResult {
        proof: None,
        errors: vec![e],
    };
    guard(
        || {
            let items = match parse_items(&items_json) {
                Ok(i) => i,
                Err(e) => return fail(e),
            };
            match tdln_truthpack::inclusion_proof(&items, index as usize) {
                Ok(p) => InclusionProofResult {
                    proof: Some(p),
                    errors: Vec::new(),
                },
                Err(e) => fail(e),
            }
        },
        fail,
    )
}

/// Result of `inclusionProofs`.
#[napi(object)]
pub struct InclusionProofsResult {
    /// One proof per item, in item order (empty on error).
    pub proofs: Vec<InclusionProof>,
    /// Errors.
    pub errors: Vec<EngineError>,
}

/// Computes the inclusion proof of every item of a JSON array of items in one pass (O(n log n)).
#[napi]
pub fn inclusion_proofs(items_json: String) -> InclusionProofsResult {
    let fail = |e: EngineError| InclusionProofsResult {
        proofs: Vec::new(),
        errors: vec![e],
    };
    guard(
        || {
            let items = match parse_items(&items_json) {
                Ok(i) => i,
                Err(e) => return fail(e),
            };
            match tdln_truthpack::inclusion_proofs(&items) {
                Ok(proofs) => InclusionProofsResult {
                    proofs,
                    errors: Vec::new(),
                },
                Err(e) => fail(e),
            }
        },
        fail,
    )
}

/// Verifies that an item (JSON text) is included under `root` with the given proof.
#[napi]
pub fn verify_inclusion(item_json: String, proof: InclusionProof, root: String) -> VerifyResult {
    let fail = |e: EngineError| VerifyResult {
        valid: false,
        errors: vec![e],
    };
    guard(
        || {
            let item: Value = match serde_json::from_str(&item_json) {
                Ok(v) => v,
                Err(e) => return fail(error("invalid_json", e.to_string(), None)),
            };
            match tdln_truthpack::verify_inclusion(&item, &proof, &root) {
                Ok(true) => VerifyResult {
                    valid: true,
                    errors: Vec::new(),
                },
                Ok(false) => fail(error(
                    "not_included",
                    "the proof does not lead to the root",
                    None,
                )),
                Err(e) => fail(e),
            }
        },
        fail,
    )
}
