//! The engine as a whole: canonical JSON and hashing (tdln-core), the artefact registry and the
//! pipeline stages config (tdln-registry), the engine's identity and a benchmark hook.

use crate::{guard, guard_throw, EngineError};
use napi::bindgen_prelude::Result;
use napi_derive::napi;
use tdln_in::Operation;
// `Stage` under its JS name, which the generated `.d.ts` uses for types from other crates.
use tdln_registry::{Artefact, Stage as PipelineStage};

/// Result of `canonicalJson`.
#[napi(object)]
pub struct CanonicalJsonResult {
    /// RFC 8785 canonical JSON.
    pub json: Option<String>,
    /// Errors (invalid JSON).
    pub errors: Vec<EngineError>,
}

/// Canonicalises JSON text per RFC 8785 (JCS).
#[napi]
pub fn canonical_json(text: String) -> CanonicalJsonResult {
    guard(
        || match tdln_core::canonical_json(&text) {
            Ok(j) => CanonicalJsonResult {
                json: Some(j),
                errors: Vec::new(),
            },
            Err(e) => CanonicalJsonResult {
                json: None,
                errors: vec![e],
            },
        },
        |e| CanonicalJsonResult {
            json: None,
            errors: vec![e],
        },
    )
}

/// Lowercase hex SHA-256 of the UTF-8 bytes of `text`.
#[napi]
pub fn sha256_hex(text: String) -> Result<String> {
    guard_throw(|| tdln_core::sha256_hex(text.as_bytes()))
}

/// Result of `registryList`.
#[napi(object)]
pub struct RegistryListResult {
    /// Artefacts.
    pub artefacts: Vec<Artefact>,
    /// Errors.
    pub errors: Vec<EngineError>,
}

/// Lists every artefact embedded in the engine with id, version and SHA-256.
#[napi]
pub fn registry_list() -> RegistryListResult {
    guard(
        || match tdln_registry::registry_list() {
            Ok(a) => RegistryListResult {
                artefacts: a,
                errors: Vec::new(),
            },
            Err(e) => RegistryListResult {
                artefacts: Vec::new(),
                errors: vec![e],
            },
        },
        |e| RegistryListResult {
            artefacts: Vec::new(),
            errors: vec![e],
        },
    )
}

/// Result of `validateStages` / `defaultStages`.
#[napi(object)]
pub struct StagesResult {
    /// True when valid.
    pub ok: bool,
    /// Config id.
    pub id: Option<String>,
    /// Config version.
    pub version: Option<String>,
    /// Ordered stages (when the config parsed).
    pub stages: Vec<PipelineStage>,
    /// SHA-256 of the config text.
    pub sha256: String,
    /// The config text.
    pub text: String,
    /// Every problem found.
    pub errors: Vec<EngineError>,
}

fn stages_result(text: String) -> StagesResult {
    let v = tdln_registry::validate_stages(&text);
    let (id, version, stages) = match v.config {
        Some(c) => (Some(c.id), Some(c.version), c.stages),
        None => (None, None, Vec::new()),
    };
    StagesResult {
        ok: v.ok,
        id,
        version,
        stages,
        sha256: v.sha256,
        text,
        errors: v.errors,
    }
}

fn stages_panic(e: EngineError) -> StagesResult {
    StagesResult {
        ok: false,
        id: None,
        version: None,
        stages: Vec::new(),
        sha256: String::new(),
        text: String::new(),
        errors: vec![e],
    }
}

/// Validates a stages config (TOML or JSON): unknown/duplicate stages, order, tools, budget shares.
#[napi]
pub fn validate_stages(config_text: String) -> StagesResult {
    guard(|| stages_result(config_text), stages_panic)
}

/// The embedded default stages config, parsed and validated.
#[napi]
pub fn default_stages() -> StagesResult {
    guard(
        || stages_result(tdln_registry::DEFAULT_STAGES.to_string()),
        stages_panic,
    )
}

/// Engine identity.
#[napi(object)]
pub struct EngineInfo {
    /// Engine crate version.
    pub version: String,
    /// Grammar id.
    pub grammar_id: String,
    /// Grammar version.
    pub grammar_version: String,
    /// Grammar SHA-256.
    pub grammar_hash: String,
    /// Number of grammar rules.
    pub rules: u32,
    /// Number of grammar patterns.
    pub patterns: u32,
    /// Templates SHA-256.
    pub templates_hash: String,
    /// Operations the grammar knows.
    pub operations: Vec<Operation>,
    /// Errors.
    pub errors: Vec<EngineError>,
}

/// Engine version and the hashes of its embedded grammar and templates.
#[napi]
pub fn engine_info() -> EngineInfo {
    let empty = |e: EngineError| EngineInfo {
        version: env!("CARGO_PKG_VERSION").into(),
        grammar_id: String::new(),
        grammar_version: String::new(),
        grammar_hash: String::new(),
        rules: 0,
        patterns: 0,
        templates_hash: String::new(),
        operations: Vec::new(),
        errors: vec![e],
    };
    guard(
        || {
            let g = match tdln_in::grammar() {
                Ok(g) => g,
                Err(e) => return empty(e),
            };
            let (rules, patterns) = g.counts();
            EngineInfo {
                version: env!("CARGO_PKG_VERSION").into(),
                grammar_id: g.id.clone(),
                grammar_version: g.version.clone(),
                grammar_hash: g.hash.clone(),
                rules: rules as u32,
                patterns: patterns as u32,
                templates_hash: tdln_out::templates()
                    .map(|t| t.hash.clone())
                    .unwrap_or_default(),
                operations: tdln_in::OPERATIONS.to_vec(),
                errors: Vec::new(),
            }
        },
        empty,
    )
}

/// Parses every text `iterations` times inside Rust and returns the elapsed nanoseconds
/// (used by the benchmark to separate engine time from boundary overhead).
#[napi]
pub fn bench_parse_intents(texts: Vec<String>, iterations: u32) -> f64 {
    guard(
        || {
            let start = std::time::Instant::now();
            let mut ok = 0u64;
            for _ in 0..iterations {
                for t in &texts {
                    if tdln_in::parse_intent(t, tdln_in::ParseOptions::default()).ok {
                        ok += 1;
                    }
                }
            }
            std::hint::black_box(ok);
            start.elapsed().as_nanos() as f64
        },
        |_| -1.0,
    )
}
