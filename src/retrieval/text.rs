//! Terms for lexical (BM25) search: lowercase words, identifiers kept whole and split at
//! underscores (`SPOT_WITH_FALLBACK` → `spot_with_fallback`, `spot`, `fallback`), common
//! English words dropped, and a light suffix stemmer so that `autoscaling`, `autoscale`
//! and `autoscaled` meet.

/// Words too common to tell documents apart.
const STOPWORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been", "before", "being", "but", "by", "can",
    "could", "did", "do", "does", "doing", "each", "for", "from", "had", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its",
    "me", "more", "most", "my", "no", "not", "of", "on", "or", "other", "our", "out", "over", "own", "same", "should", "so", "some",
    "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under",
    "up", "use", "used", "using", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "why", "will", "with",
    "would", "you", "your",
];

fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

/// A light, deterministic suffix stemmer (plural, -ing, -ed, final e).
pub fn stem(word: &str) -> String {
    let mut w = word.to_string();
    let n = w.len();
    if n > 4 && w.ends_with("ies") {
        w.truncate(n - 3);
        w.push('y');
    } else if n > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        w.truncate(n - 1);
    }
    let n = w.len();
    if n > 5 && w.ends_with("ing") {
        w.truncate(n - 3);
    } else if n > 4 && w.ends_with("ed") {
        w.truncate(n - 2);
    }
    let n = w.len();
    if n > 4 && w.ends_with('e') {
        w.truncate(n - 1);
    }
    w
}

/// The search terms of `text`, in order (repeats kept: they are term frequencies).
pub fn terms(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    for word in lower.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()) {
        let word = word.trim_matches('_');
        if word.is_empty() {
            continue;
        }
        if word.contains('_') {
            out.push(word.to_string());
            for part in word.split('_').filter(|p| p.len() > 1 && !is_stopword(p)) {
                out.push(stem(part));
            }
        } else if !is_stopword(word) && (word.len() > 1 || word.chars().all(|c| c.is_ascii_digit())) {
            out.push(stem(word));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopwords_are_sorted_for_binary_search() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn identifiers_are_kept_whole_and_split() {
        assert_eq!(terms("How does SPOT_WITH_FALLBACK work?"), ["spot_with_fallback", "spot", "fallback", "work"]);
    }

    #[test]
    fn variants_of_a_word_meet() {
        for group in [["autoscaling", "autoscale", "autoscaled"], ["queues", "queued", "queuing"], ["policies", "policy", "policy"]] {
            let stems: Vec<String> = group.iter().map(|w| stem(w)).collect();
            assert!(stems.windows(2).all(|s| s[0] == s[1]), "{group:?} → {stems:?}");
        }
        assert_eq!(stem("class"), "class");
        assert_eq!(stem("status"), "status");
    }
}
