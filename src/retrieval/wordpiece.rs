//! The BERT "uncased" WordPiece tokenizer of all-MiniLM-L6-v2, from its `vocab.txt`: text
//! is lowercased, accents on Latin letters are dropped, punctuation becomes its own token,
//! and each word is split greedily into the longest vocabulary pieces (`##` marks a piece
//! inside a word). Used by the distiller natively and by the static model in the browser,
//! so both see the same token ids.

use std::collections::HashMap;

/// Longest word the tokenizer splits; longer words become `[UNK]`.
const MAX_WORD_CHARS: usize = 100;

#[derive(Clone, Debug)]
pub struct WordPiece {
    ids: HashMap<String, u32>,
    tokens: Vec<String>,
    unk: u32,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VocabError {
    #[error("the vocabulary has no {0} token")]
    Missing(&'static str),
    #[error("the vocabulary lists {0:?} twice")]
    Duplicate(String),
}

impl WordPiece {
    /// A tokenizer over `tokens` (id = position), as read from `vocab.txt`.
    pub fn new(tokens: Vec<String>) -> Result<WordPiece, VocabError> {
        let mut ids = HashMap::with_capacity(tokens.len());
        for (i, t) in tokens.iter().enumerate() {
            if ids.insert(t.clone(), i as u32).is_some() {
                return Err(VocabError::Duplicate(t.clone()));
            }
        }
        let unk = *ids.get("[UNK]").ok_or(VocabError::Missing("[UNK]"))?;
        for special in ["[CLS]", "[SEP]"] {
            if !ids.contains_key(special) {
                return Err(VocabError::Missing(special));
            }
        }
        Ok(WordPiece { ids, tokens, unk })
    }

    /// Reads `vocab.txt`: one token per line.
    pub fn from_vocab_txt(text: &str) -> Result<WordPiece, VocabError> {
        WordPiece::new(text.lines().map(|l| l.trim_end_matches('\r').to_string()).collect())
    }

    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    pub fn id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    pub fn unk(&self) -> u32 {
        self.unk
    }

    /// Token ids of `text`, without `[CLS]`/`[SEP]`.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        for word in basic_words(text) {
            self.word_pieces(&word, &mut out);
        }
        out
    }

    fn word_pieces(&self, word: &str, out: &mut Vec<u32>) {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() > MAX_WORD_CHARS {
            out.push(self.unk);
            return;
        }
        let mut pieces = Vec::new();
        let mut start = 0;
        while start < chars.len() {
            let mut end = chars.len();
            let mut found = None;
            while start < end {
                let mut piece: String = chars[start..end].iter().collect();
                if start > 0 {
                    piece.insert_str(0, "##");
                }
                if let Some(&id) = self.ids.get(&piece) {
                    found = Some(id);
                    break;
                }
                end -= 1;
            }
            match found {
                Some(id) => pieces.push(id),
                None => {
                    out.push(self.unk);
                    return;
                }
            }
            start = end;
        }
        out.extend(pieces);
    }
}

/// BERT's basic tokenisation: clean, lowercase, strip accents, split on whitespace and
/// around punctuation and CJK characters.
fn basic_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, words: &mut Vec<String>| {
        if !current.is_empty() {
            words.push(std::mem::take(current));
        }
    };
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || (c.is_control() && !c.is_whitespace()) {
            continue;
        }
        if c.is_whitespace() {
            flush(&mut current, &mut words);
            continue;
        }
        if is_punctuation(c) || is_cjk(c) {
            flush(&mut current, &mut words);
            words.push(c.to_string());
            continue;
        }
        for lower in c.to_lowercase() {
            if let Some(base) = strip_accent(lower) {
                current.push(base);
            } else if !is_combining_mark(lower) {
                current.push(lower);
            }
        }
    }
    flush(&mut current, &mut words);
    words
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || matches!(c as u32, 0x00A1..=0x00BF | 0x2010..=0x2027 | 0x2030..=0x205E | 0x3000..=0x303F | 0xFF01..=0xFF0F)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F)
}

/// The base letter of an accented Latin-1 / Latin Extended-A lowercase letter.
fn strip_accent(c: char) -> Option<char> {
    Some(match c {
        'à'..='å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' => 'i',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò'..='ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ý' | 'ÿ' => 'y',
        'ś' | 'š' | 'ş' => 's',
        'ź' | 'ż' | 'ž' => 'z',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> WordPiece {
        let tokens =
            ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "spot", "with", "_", "fall", "##back", "how", "?", "cafe", "auto", "##sca", "##ling"];
        WordPiece::new(tokens.iter().map(|t| t.to_string()).collect()).unwrap()
    }

    #[test]
    fn splits_words_into_longest_pieces() {
        let v = vocab();
        let ids = v.encode("How SPOT_WITH_FALLBACK?");
        let pieces: Vec<&str> = ids.iter().map(|&i| v.tokens()[i as usize].as_str()).collect();
        assert_eq!(pieces, ["how", "spot", "_", "with", "_", "fall", "##back", "?"]);
    }

    #[test]
    fn unknown_words_and_accents() {
        let v = vocab();
        let pieces: Vec<&str> = v.encode("Café autoscaling zebra").iter().map(|&i| v.tokens()[i as usize].as_str()).collect();
        assert_eq!(pieces, ["cafe", "auto", "##sca", "##ling", "[UNK]"]);
    }

    #[test]
    fn a_vocabulary_without_unk_is_refused() {
        assert_eq!(WordPiece::new(vec!["a".into()]).unwrap_err(), VocabError::Missing("[UNK]"));
    }
}
