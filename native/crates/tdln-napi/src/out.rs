//! tdln-out: templates rendered with data. The result and its cited values are tdln-out's own.

use crate::{guard, guard_throw};
use napi::bindgen_prelude::Result;
use napi_derive::napi;
use serde_json::Value;
// Imported under its JS name, which the generated `.d.ts` uses for types from other crates.
use tdln_out::Rendered as RenderResult;

/// Renders a template with data (an object, or JSON text of an object).
#[napi]
pub fn render_template(
    template_id: String,
    #[napi(ts_arg_type = "Record<string, unknown> | string")] data: Value,
) -> RenderResult {
    let id2 = template_id.clone();
    guard(
        move || match &data {
            Value::String(s) => tdln_out::render_json(&template_id, s),
            v => tdln_out::render(&template_id, v),
        },
        |e| RenderResult {
            text: String::new(),
            annotated_text: String::new(),
            citations: Vec::new(),
            evidence: Vec::new(),
            template_id: id2,
            errors: vec![e],
        },
    )
}

/// Ids of all templates.
#[napi]
pub fn template_ids() -> Result<Vec<String>> {
    guard_throw(|| {
        tdln_out::templates()
            .map(|t| t.templates.keys().cloned().collect())
            .unwrap_or_default()
    })
}
