//! Which sentences of a request the grammar reads: a long text (a GitHub issue) is read by its
//! title and opening sentences, each cut to a bounded length, so its cost does not grow with it.

/// Longest sentence the grammar reads; a longer one is cut at a word boundary.
const FOCUS_CHARS: usize = 400;
/// Sentences tried, from the start of the text, before the grammar gives up.
const FOCUS_TRIES: usize = 3;

/// The sentences a long text is read by: its first lines, and the first sentences of those, each
/// cut to [`FOCUS_CHARS`]. A GitHub issue is read by its title, then its opening sentences.
pub(crate) fn focus_sentences(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim().trim_start_matches('#').trim();
        if line.is_empty() || line.starts_with("```") || line.starts_with('>') {
            continue;
        }
        for sentence in sentences(line) {
            let cut = cut_at_word(sentence.trim(), FOCUS_CHARS);
            if !cut.is_empty() {
                out.push(cut.to_string());
            }
            if out.len() >= FOCUS_TRIES {
                return out;
            }
        }
    }
    out
}

/// Splits a line at sentence ends: `.`, `!` or `?` followed by a space and a capital, a bracket
/// or a quote — so paths (`src/a.ts`), versions (`v1.2`) and `e.g.` stay whole.
fn sentences(line: &str) -> Vec<&str> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + 2 < bytes.len() {
        if bytes[i] == b';' && bytes[i + 1] == b' ' {
            out.push(&line[start..i]);
            start = i + 2;
        } else if matches!(bytes[i], b'.' | b'!' | b'?') && bytes[i + 1] == b' ' {
            let next = bytes[i + 2];
            let abbreviation = line[start..=i].rsplit(' ').next().is_some_and(|w| {
                matches!(
                    w.to_lowercase().as_str(),
                    "e.g." | "i.e." | "etc." | "vs." | "cf."
                )
            });
            if (next.is_ascii_uppercase() || matches!(next, b'[' | b'`' | b'"' | b'('))
                && !abbreviation
            {
                out.push(&line[start..=i]);
                start = i + 2;
            }
        }
        i += 1;
    }
    out.push(&line[start..]);
    out
}

pub(crate) fn cut_at_word(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    match text[..end].rfind(' ') {
        Some(space) if space > max / 2 => &text[..space],
        _ => &text[..end],
    }
}
