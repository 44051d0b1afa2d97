//! tdln-in: requests to intents. The intent, abstention and provenance types are tdln-in's own.

use crate::{error, guard, EngineError};
use napi_derive::napi;
use serde_json::Value;
// Imported under their JS names, which the generated `.d.ts` uses for types from other crates.
use tdln_in::{ModelSource, ParseOptions, ParseResult as ParseIntentResult};

/// Options for `parseIntent`.
#[napi(object)]
pub struct ParseIntentOptions {
    /// Minimum confidence (0..1); defaults to the grammar's threshold.
    pub threshold: Option<f64>,
    /// Paths of the repository, so suggestions name real files.
    pub files: Option<Vec<String>>,
}

impl TryFrom<ParseIntentOptions> for ParseOptions {
    type Error = EngineError;
    fn try_from(o: ParseIntentOptions) -> Result<Self, EngineError> {
        let threshold = o.threshold;
        if let Some(t) = threshold {
            if !(0.0..=1.0).contains(&t) {
                return Err(error(
                    "invalid_option",
                    "threshold must be between 0 and 1",
                    Some("options.threshold".into()),
                ));
            }
        }
        Ok(ParseOptions {
            threshold,
            files: o.files.unwrap_or_default(),
        })
    }
}

fn failed(e: EngineError) -> ParseIntentResult {
    ParseIntentResult {
        ok: false,
        intent: None,
        abstain: None,
        errors: vec![e],
    }
}

/// Parses a natural-language request into an intent, or abstains with a reason and a question.
#[napi]
pub fn parse_intent(text: String, options: Option<ParseIntentOptions>) -> ParseIntentResult {
    guard(
        || {
            let options = options.unwrap_or(ParseIntentOptions {
                threshold: None,
                files: None,
            });
            match ParseOptions::try_from(options) {
                Ok(o) => tdln_in::parse_intent(&text, o),
                Err(e) => failed(e),
            }
        },
        failed,
    )
}

/// Reads a model's proposal (the input of its forced tool call) for a request into an intent
/// with the model as its source, or an abstention with the model's question; a proposal that
/// does not fit the schema, names an unknown operation or constraint, or points outside the
/// repository comes back as `errors` (code `invalid_proposal`, `path` the field).
#[napi]
pub fn intent_from_proposal(
    text: String,
    #[napi(ts_arg_type = "Record<string, unknown>")] proposal: Value,
    source: ModelSource,
) -> ParseIntentResult {
    guard(
        || tdln_in::intent_from_proposal(&text, &proposal, &source),
        failed,
    )
}

/// The JSON schema of an intent proposal: the input schema of the tool a model must call to
/// propose an intent, built from the engine's own operations and constraints.
#[napi(ts_return_type = "Record<string, unknown>")]
pub fn intent_proposal_schema() -> Value {
    tdln_in::proposal_schema()
}
