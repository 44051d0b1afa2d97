#![deny(clippy::all)]
//! Rust-only intent parsing benchmark. Usage: `tdln-bench [phrases.json] [iterations]`.
//! Prints one JSON line: `{"calls", "totalNs", "nsPerCall", "perSecond", "accepted"}`.

use std::time::Instant;

const DEFAULT_PHRASES: &str = include_str!("../../../../bench/tdln/phrases.json");

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let source = match args.get(1) {
        Some(path) => std::fs::read_to_string(path).unwrap_or_else(|e| {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(2)
        }),
        None => DEFAULT_PHRASES.to_string(),
    };
    let phrases: Vec<String> = serde_json::from_str(&source).unwrap_or_else(|e| {
        eprintln!("phrases must be a JSON array of strings: {e}");
        std::process::exit(2)
    });
    let iterations: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let opts = tdln_in::ParseOptions::default();
    // Warm-up compiles the grammar and fills caches.
    for p in &phrases {
        std::hint::black_box(tdln_in::parse_intent(p, opts.clone()));
    }
    let start = Instant::now();
    let mut accepted = 0u64;
    for _ in 0..iterations {
        for p in &phrases {
            if std::hint::black_box(tdln_in::parse_intent(std::hint::black_box(p), opts.clone())).ok
            {
                accepted += 1;
            }
        }
    }
    let total = start.elapsed().as_nanos() as f64;
    let calls = iterations * phrases.len() as u64;
    let per_call = total / calls as f64;
    println!(
        "{{\"calls\":{calls},\"totalNs\":{total},\"nsPerCall\":{per_call:.1},\"perSecond\":{:.0},\"accepted\":{accepted}}}",
        1e9 / per_call
    );
}
