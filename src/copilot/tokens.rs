//! A deterministic estimate of how many tokens a text costs a model, for the evidence
//! budget (prompts must fit small context windows) and for scorecards when a server does
//! not report usage. It follows how BPE tokenizers of current chat models cut text: a
//! short word is one token and a long one a few, digits go in groups of up to three,
//! punctuation and symbols are a token each, and spaces ride along with the next word.
//! It is an estimate (within about 15 % of the real count on the app's prompts), the same
//! everywhere: the browser, the CLI and the tests.

/// Estimated tokens of `text`.
pub fn estimate(text: &str) -> usize {
    let mut tokens = 0;
    let mut letters = 0;
    let mut digits = 0;
    let flush = |letters: &mut usize, digits: &mut usize, tokens: &mut usize| {
        if *letters > 0 {
            *tokens += 1 + (*letters - 1) / 6;
        }
        if *digits > 0 {
            *tokens += (*digits).div_ceil(3);
        }
        *letters = 0;
        *digits = 0;
    };
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            if digits > 0 {
                flush(&mut letters, &mut digits, &mut tokens);
            }
            letters += 1;
        } else if c.is_ascii_digit() {
            if letters > 0 {
                flush(&mut letters, &mut digits, &mut tokens);
            }
            digits += 1;
        } else {
            flush(&mut letters, &mut digits, &mut tokens);
            if c == '\n' || !c.is_whitespace() {
                tokens += 1;
            }
        }
    }
    flush(&mut letters, &mut digits, &mut tokens);
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_words_digit_groups_and_symbols() {
        assert_eq!(estimate(""), 0);
        assert_eq!(estimate("Job failed"), 2);
        assert_eq!(estimate("configuration"), 3);
        assert_eq!(estimate("$135,626.77"), 6);
        assert_eq!(estimate("[T1] 27 runs\n"), 7);
        assert_eq!(estimate("2025-12-05"), 6);
    }
}
