//! Input normalisation: case, contractions, typos, polite filler — without breaking paths or code.

const CONTRACTIONS: &[(&str, &str)] = &[
    ("can't", "cannot"),
    ("won't", "will not"),
    ("shan't", "shall not"),
    ("don't", "do not"),
    ("doesn't", "does not"),
    ("didn't", "did not"),
    ("isn't", "is not"),
    ("aren't", "are not"),
    ("wasn't", "was not"),
    ("weren't", "were not"),
    ("shouldn't", "should not"),
    ("wouldn't", "would not"),
    ("couldn't", "could not"),
    ("haven't", "have not"),
    ("hasn't", "has not"),
    ("there's", "there is"),
    ("here's", "here is"),
    ("it's", "it is"),
    ("that's", "that is"),
    ("what's", "what is"),
    ("where's", "where is"),
    ("who's", "who is"),
    ("how's", "how is"),
    ("let's", "let us"),
    ("i'm", "i am"),
    ("i've", "i have"),
    ("i'd", "i would"),
    ("i'll", "i will"),
    ("you're", "you are"),
    ("we're", "we are"),
    ("they're", "they are"),
    ("we've", "we have"),
    ("we'll", "we will"),
    ("you'll", "you will"),
];

const TYPOS: &[(&str, &str)] = &[
    ("teh", "the"),
    ("hte", "the"),
    ("fucntion", "function"),
    ("funtion", "function"),
    ("fuction", "function"),
    ("bgu", "bug"),
    ("bugg", "bug"),
    ("fxi", "fix"),
    ("fiz", "fix"),
    ("refacor", "refactor"),
    ("refator", "refactor"),
    ("refactr", "refactor"),
    ("reafctor", "refactor"),
    ("refractor", "refactor"),
    ("documnet", "document"),
    ("docuemnt", "document"),
    ("documment", "document"),
    ("delte", "delete"),
    ("dleete", "delete"),
    ("deleet", "delete"),
    ("remvoe", "remove"),
    ("reomve", "remove"),
    ("renmae", "rename"),
    ("reanme", "rename"),
    ("analize", "analyze"),
    ("anaylze", "analyze"),
    ("analyse", "analyze"),
    ("analyze", "analyze"),
    ("reveiw", "review"),
    ("reivew", "review"),
    ("revew", "review"),
    ("reviw", "review"),
    ("tets", "test"),
    ("tset", "test"),
    ("tetss", "tests"),
    ("implment", "implement"),
    ("impelment", "implement"),
    ("implemnt", "implement"),
    ("feautre", "feature"),
    ("featrue", "feature"),
    ("fiel", "file"),
    ("flie", "file"),
    ("craete", "create"),
    ("creat", "create"),
    ("wiht", "with"),
    ("whit", "with"),
    ("adn", "and"),
    ("dont", "do not"),
    ("doesnt", "does not"),
    ("cant", "cannot"),
    ("wont", "will not"),
    ("isnt", "is not"),
    ("theres", "there is"),
    ("whats", "what is"),
    ("pls", "please"),
    ("plz", "please"),
    ("optimise", "optimize"),
    ("organise", "organize"),
    ("reorganise", "reorganize"),
    ("modernise", "modernize"),
    ("summarise", "summarize"),
    ("behaviour", "behavior"),
    ("bahavior", "behavior"),
    ("recieve", "receive"),
    ("seperate", "separate"),
    ("dependancy", "dependency"),
    ("dependancies", "dependencies"),
    ("readme.md", "readme.md"),
];

const FILLER_PREFIXES: &[&str] = &[
    "can you please ",
    "could you please ",
    "would you please ",
    "can you ",
    "could you ",
    "would you ",
    "will you ",
    "i want you to ",
    "i need you to ",
    "i would like you to ",
    "i would like to ",
    "i want to ",
    "i need to ",
    "we need to ",
    "we should ",
    "you should ",
    "help me ",
    "go ahead and ",
    "try to ",
    "please ",
    "kindly ",
    "hey ",
    "hi ",
    "ok ",
    "okay ",
    "so ",
];

fn is_code_like(tok: &str) -> bool {
    let chars: Vec<char> = tok.chars().collect();
    let camel = chars
        .windows(2)
        .any(|w| w[0].is_lowercase() && w[1].is_uppercase());
    camel || tok.contains('_') || tok.ends_with("()") || tok.contains("::")
}

fn strip_punct(tok: &str) -> &str {
    let t = tok.trim_start_matches(['(', '"', '\'', '`', '[', '<', '“', '‘']);
    let t = t.trim_end_matches([
        ')', '"', '\'', '`', ']', '>', ',', ';', ':', '!', '?', '”', '’',
    ]);
    // A trailing '.' ends a sentence unless the token is a dotfile/dir like "." or "..".
    let t = if t.len() > 1 && !t.ends_with("..") {
        t.trim_end_matches('.')
    } else {
        t
    };
    t.trim_end_matches([')', '"', '\'', '`', ']', ',', ';', ':', '!', '?'])
}

/// Normalises a request. `is_path` decides which tokens are paths (kept verbatim).
pub fn normalize(text: &str, is_path: impl Fn(&str) -> bool) -> String {
    let mut words: Vec<String> = Vec::new();
    for raw in text.split_whitespace() {
        let tok = strip_punct(raw);
        if tok.is_empty() {
            continue;
        }
        if is_path(tok) && (tok.contains('/') || tok.contains('.')) || is_code_like(tok) {
            words.push(tok.to_string());
            continue;
        }
        let lower = tok.to_lowercase().replace(['’', '‘'], "'");
        if let Some((_, rep)) = CONTRACTIONS.iter().find(|(c, _)| *c == lower) {
            words.push((*rep).to_string());
            continue;
        }
        let lower = if let Some(stem) = lower.strip_suffix("n't") {
            format!("{stem} not")
        } else {
            lower
        };
        match TYPOS.iter().find(|(t, _)| *t == lower) {
            Some((_, rep)) => words.push((*rep).to_string()),
            None => words.push(lower),
        }
    }
    let mut out = words.join(" ");
    loop {
        let before = out.len();
        for f in FILLER_PREFIXES {
            if let Some(rest) = out.strip_prefix(f) {
                out = rest.to_string();
            }
        }
        if out.len() == before {
            break;
        }
    }
    for suffix in [" please", " thanks", " thank you", " for me"] {
        if let Some(rest) = out.strip_suffix(suffix) {
            out = rest.to_string();
        }
    }
    out.replace(" please ", " ").trim().to_string()
}
