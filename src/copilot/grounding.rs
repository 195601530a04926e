//! Numeric grounding, by value: number extraction under the app's formatting rules (money,
//! percentages, counts, `k`/`M` scales, z-scores, dates, ranges such as `10-20%`) and the
//! rounding-aware comparison of a number with the evidence's. `copilot::checks` builds the
//! claim-level checks (labels, citations, comparisons) on these.
//!
//! Not numbers: digits inside identifiers (`R02`, `g4dn.xlarge`, `SLA-4hr`, `[T3]`,
//! `job.why_failing@1`, and digits joined to a unit such as `5kg` or `3x`), other digit
//! runs joined by `-`/`.`/`:` (`1.2.3`, `14:05`, `7-day`), invalid dates such as
//! `2025-13-40`, and ordered-list markers at the start of a line (`1.`, `2)`). A range's
//! two ends are one claim: `10-20%` is grounded only when 10% and 20% both are.

use serde::Serialize;

/// What a number denotes, which decides what it may be compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum NumberKind {
    /// Prefixed with `$`.
    Money,
    /// Suffixed with `%`.
    Percent,
    /// A valid `YYYY-MM-DD` date.
    Date,
    /// Anything else: counts, decimals, minutes, z-scores (`+9.96σ`).
    Plain,
}

/// A number as written in a text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NumberToken {
    /// The token as written, including sign, `$` and suffix.
    pub text: String,
    /// Byte offset of the token in the source.
    pub start: usize,
    /// Byte offset just past the token.
    pub end: usize,
    pub kind: NumberKind,
    /// Signed value with any `k`/`M` scale applied; for dates, days since 1970-01-01.
    pub value: f64,
    /// Digits after the decimal point as written (0 for integers and dates).
    pub decimals: u32,
    /// A range such as `10-20%`: `value` and `decimals` are its upper end; both ends are checked.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub range: bool,
}

/// One answer number and whether the evidence supports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NumberCheck {
    pub token: NumberToken,
    pub grounded: bool,
}

/// The grounding verdict for every number in an answer, in order of appearance.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroundingReport {
    pub checks: Vec<NumberCheck>,
}

impl GroundingReport {
    /// Numbers checked.
    pub fn total(&self) -> usize {
        self.checks.len()
    }

    /// Numbers the evidence does not support.
    pub fn ungrounded(&self) -> usize {
        self.checks.iter().filter(|check| !check.grounded).count()
    }

    /// The unsupported numbers as written.
    pub fn ungrounded_texts(&self) -> Vec<&str> {
        self.checks.iter().filter(|check| !check.grounded).map(|check| check.token.text.as_str()).collect()
    }
}

/// Every number in `text`, in order.
pub fn extract_numbers(text: &str) -> Vec<NumberToken> {
    scan(text).into_iter().map(|scanned| scanned.token).collect()
}

/// `evidence` is all the text the answer may draw numbers from (facts, graph summary, the
/// question itself).
///
/// An answer number is grounded when some evidence number of a compatible kind (money and
/// plain numbers interchange; percentages and dates only match their own kind), rounded
/// half away from zero to the answer's precision, equals it. Signs must agree.
pub fn check(answer: &str, evidence: &str) -> GroundingReport {
    let facts = scan(evidence);
    let checks = scan(answer)
        .into_iter()
        .map(|claim| {
            let grounded = claim.ends().iter().all(|end| facts.iter().any(|fact| agrees(end, fact)));
            NumberCheck { token: claim.token, grounded }
        })
        .collect();
    GroundingReport { checks }
}

/// An exact decimal `mantissa × 10^exponent` (signed; `$135.6k` is `1356 × 10^2`).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Exact {
    mantissa: i128,
    exponent: i64,
}

/// A token with its exact value, absent when the digits overflow `i128`; a range keeps
/// its lower end.
pub(crate) struct Scanned {
    pub(crate) token: NumberToken,
    exact: Option<Exact>,
    low: Option<Box<Scanned>>,
}

enum Lexed {
    Number(Scanned),
    /// Not a number; resume scanning at this byte offset.
    Skip(usize),
}

pub(crate) fn scan(text: &str) -> Vec<Scanned> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        i = match lex(text, i) {
            Lexed::Number(scanned) => {
                let end = scanned.token.end;
                found.push(scanned);
                end
            }
            Lexed::Skip(end) => end,
        };
    }
    found
}

/// Lexes the token whose first digit is at `first_digit` (the first of its digit run).
fn lex(text: &str, first_digit: usize) -> Lexed {
    let bytes = text.as_bytes();
    let skip = || Lexed::Skip(identifier_end(text, first_digit));

    // Prefix: an optional sign and `$`, in either order.
    let mut start = first_digit;
    let mut sign = sign_before(text, start);
    if let Some((_, len)) = sign {
        start -= len;
    }
    let money = text[..start].ends_with('$');
    if money {
        start -= 1;
        if sign.is_none() {
            sign = sign_before(text, start);
            if let Some((_, len)) = sign {
                start -= len;
            }
        }
    }
    if joined_left(text, start) {
        return skip();
    }
    let negative = sign.is_some_and(|(negative, _)| negative);
    let bare = sign.is_none() && !money;

    if bare {
        if let Some(days) = date_at(bytes, first_digit) {
            let end = first_digit + 10;
            if joined_right(text, end) {
                return skip();
            }
            let exact = Exact { mantissa: i128::from(days), exponent: 0 };
            return token(text, start..end, NumberKind::Date, days as f64, 0, Some(exact));
        }
    }

    let end = digit_run_end(bytes, first_digit);
    if bare && at_line_start(text, start) && is_list_marker(bytes, end) {
        return Lexed::Skip(end + 1);
    }
    let Some(low) = body(text, first_digit, negative, money) else { return skip() };
    if let Some(range) = range_after(text, start, &low) {
        return range;
    }
    if joined_right(text, low.end) {
        return skip();
    }
    token(text, start..low.end, low.kind, low.value, low.decimals, low.exact)
}

/// The digits, decimals and suffix of a number whose first digit is at `first_digit`.
struct Body {
    end: usize,
    kind: NumberKind,
    value: f64,
    decimals: u32,
    exact: Option<Exact>,
}

fn body(text: &str, first_digit: usize, negative: bool, money: bool) -> Option<Body> {
    let bytes = text.as_bytes();
    let mut end = digit_run_end(bytes, first_digit);
    let mut digits = text[first_digit..end].to_string();
    if end - first_digit <= 3 {
        while let Some(group_end) = thousands_group_end(bytes, end) {
            digits.push_str(&text[end + 1..group_end]);
            end = group_end;
        }
    }
    let mut decimals = 0;
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        let fraction_end = digit_run_end(bytes, end + 1);
        digits.push_str(&text[end + 1..fraction_end]);
        decimals = u32::try_from(fraction_end - end - 1).unwrap_or(u32::MAX);
        end = fraction_end;
    }

    // Suffix: `%`, `σ`, or a `k`/`K`/`M` scale not followed by a word character.
    let mut kind = if money { NumberKind::Money } else { NumberKind::Plain };
    let mut scale = 0;
    let mut rest = text[end..].chars();
    match rest.next() {
        Some('%') => {
            kind = NumberKind::Percent;
            end += 1;
        }
        Some('σ') => end += 'σ'.len_utf8(),
        Some(suffix @ ('k' | 'K' | 'M')) if !rest.next().is_some_and(is_word) => {
            scale = if suffix == 'M' { 6 } else { 3 };
            end += 1;
        }
        _ => {}
    }
    let exponent = scale - i64::from(decimals);
    let sign_text = if negative { "-" } else { "" };
    let value = format!("{sign_text}{digits}e{exponent}").parse::<f64>().ok()?;
    let exact = digits
        .bytes()
        .try_fold(0i128, |acc, digit| acc.checked_mul(10)?.checked_add(i128::from(digit - b'0')))
        .map(|magnitude| Exact { mantissa: if negative { -magnitude } else { magnitude }, exponent });
    Some(Body { end, kind, value, decimals, exact })
}

/// A range `10-20%`, `$5–10k`, `1—2` right after the number `low`: one claim whose two
/// ends must both be in the evidence. The unit of either end applies to the other.
fn range_after(text: &str, start: usize, low: &Body) -> Option<Lexed> {
    let mut rest = text[low.end..].chars();
    let dash = rest.next().filter(|c| matches!(c, '-' | '–' | '—'))?;
    let mut at = low.end + dash.len_utf8();
    let money = text[at..].starts_with('$');
    if money {
        at += 1;
    }
    if !text.as_bytes().get(at).is_some_and(u8::is_ascii_digit) || date_at(text.as_bytes(), at).is_some() {
        return None;
    }
    let mut high = body(text, at, false, money || low.kind == NumberKind::Money)?;
    if joined_right(text, high.end) || low.kind == NumberKind::Date {
        return None;
    }
    let mut low_kind = low.kind;
    match (low.kind, high.kind) {
        (NumberKind::Plain, NumberKind::Percent) => low_kind = NumberKind::Percent,
        (NumberKind::Percent, NumberKind::Plain) => high.kind = NumberKind::Percent,
        (NumberKind::Plain, NumberKind::Money) => low_kind = NumberKind::Money,
        _ => {}
    }
    if low_kind != high.kind {
        return None;
    }
    let span = start..high.end;
    let whole = NumberToken {
        text: text[span.clone()].to_string(),
        start: span.start,
        end: span.end,
        kind: high.kind,
        value: high.value,
        decimals: high.decimals,
        range: true,
    };
    let low_token = NumberToken {
        text: text[start..low.end].to_string(),
        start,
        end: low.end,
        kind: low_kind,
        value: low.value,
        decimals: low.decimals,
        range: false,
    };
    let low = Scanned { token: low_token, exact: low.exact, low: None };
    Some(Lexed::Number(Scanned { token: whole, exact: high.exact, low: Some(Box::new(low)) }))
}

fn token(text: &str, span: std::ops::Range<usize>, kind: NumberKind, value: f64, decimals: u32, exact: Option<Exact>) -> Lexed {
    let token = NumberToken { text: text[span.clone()].to_string(), start: span.start, end: span.end, kind, value, decimals, range: false };
    Lexed::Number(Scanned { token, exact, low: None })
}

/// Characters that make digits part of an identifier.
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A sign right before byte `at`: whether it is negative, and its length in bytes.
fn sign_before(text: &str, at: usize) -> Option<(bool, usize)> {
    match text[..at].chars().next_back()? {
        '-' => Some((true, 1)),
        '+' => Some((false, 1)),
        minus @ '−' => Some((true, minus.len_utf8())),
        _ => None,
    }
}

/// A word character before `start`, or one joined to it by `-`, `.` or `@`.
fn joined_left(text: &str, start: usize) -> bool {
    let mut before = text[..start].chars().rev();
    match before.next() {
        Some(c) if is_word(c) => true,
        Some('-' | '.' | '@') => before.next().is_some_and(is_word),
        _ => false,
    }
}

/// A word character at `end`, or one joined to it by `-`, `.`, `@` or `:`.
fn joined_right(text: &str, end: usize) -> bool {
    let mut after = text[end..].chars();
    match after.next() {
        Some(c) if is_word(c) => true,
        Some('-' | '.' | '@' | ':') => after.next().is_some_and(is_word),
        _ => false,
    }
}

/// End of the identifier-like run starting at `start` (word characters, and `-`, `.`,
/// `@`, `:` between them).
fn identifier_end(text: &str, start: usize) -> usize {
    let mut end = start;
    let mut chars = text[start..].chars().peekable();
    while let Some(c) = chars.next() {
        let joins = matches!(c, '-' | '.' | '@' | ':') && chars.peek().copied().is_some_and(is_word);
        if !is_word(c) && !joins {
            break;
        }
        end += c.len_utf8();
    }
    end
}

fn digit_run_end(bytes: &[u8], start: usize) -> usize {
    start + bytes[start..].iter().take_while(|b| b.is_ascii_digit()).count()
}

/// End of a `,ddd` thousands group at `at` (exactly three digits).
fn thousands_group_end(bytes: &[u8], at: usize) -> Option<usize> {
    let group = bytes.get(at..at + 4)?;
    let exact_three = group[0] == b',' && group[1..].iter().all(u8::is_ascii_digit) && !bytes.get(at + 4).is_some_and(u8::is_ascii_digit);
    exact_three.then_some(at + 4)
}

/// Whether only whitespace and heading, quote or bullet markers precede `start` on its line.
fn at_line_start(text: &str, start: usize) -> bool {
    let line_start = text[..start].rfind('\n').map_or(0, |newline| newline + 1);
    text[line_start..start].chars().all(|c| matches!(c, ' ' | '\t' | '#' | '>' | '-' | '*' | '+'))
}

/// `.` or `)` then a space or tab at `end`, right after the integer.
fn is_list_marker(bytes: &[u8], end: usize) -> bool {
    matches!(bytes.get(end), Some(b'.' | b')')) && matches!(bytes.get(end + 1), Some(b' ' | b'\t'))
}

/// Days since 1970-01-01 of a valid `YYYY-MM-DD` at `start`.
fn date_at(bytes: &[u8], start: usize) -> Option<i64> {
    let date = bytes.get(start..start + 10)?;
    let shaped = date.iter().enumerate().all(|(i, &b)| match i {
        4 | 7 => b == b'-',
        _ => b.is_ascii_digit(),
    });
    if !shaped {
        return None;
    }
    let text = std::str::from_utf8(date).ok()?;
    crate::base::calendar::Date::parse(text).map(|d| d.days_since_epoch())
}

/// Money and plain numbers interchange; percentages and dates only match their own kind.
fn compatible(claim: NumberKind, fact: NumberKind) -> bool {
    use NumberKind::{Date, Money, Percent, Plain};
    matches!((claim, fact), (Money | Plain, Money | Plain) | (Percent, Percent) | (Date, Date))
}

impl Scanned {
    /// The values a claim states: its own, or a range's two ends.
    pub(crate) fn ends(&self) -> Vec<&Scanned> {
        match &self.low {
            Some(low) => vec![low.as_ref(), self],
            None => vec![self],
        }
    }

    /// The number `text` (as formatted, e.g. by `base::format`), if it is one.
    pub(crate) fn parse(text: &str) -> Option<Scanned> {
        scan(text).into_iter().next()
    }
}

/// Whether the answer number `claim` (one end of a claim) is the evidence number `fact`,
/// by kind and value rounded to the claim's precision.
pub(crate) fn agrees(claim: &Scanned, fact: &Scanned) -> bool {
    fact.low.is_none()
        && compatible(claim.token.kind, fact.token.kind)
        && (matches!((claim.exact, fact.exact), (Some(c), Some(f)) if rounds_to(f, c))
            || (claim.token.value - fact.token.value).abs() <= 1e-9)
}

/// Whether `fact`, rounded half away from zero to `claim`'s precision, equals `claim`.
fn rounds_to(fact: Exact, claim: Exact) -> bool {
    if fact.exponent >= claim.exponent {
        let scaled = pow10(fact.exponent - claim.exponent).and_then(|p| fact.mantissa.checked_mul(p));
        scaled == Some(claim.mantissa)
    } else {
        // A divisor beyond i128 exceeds twice any mantissa, so the fact rounds to zero.
        let rounded = pow10(claim.exponent - fact.exponent).map_or(0, |p| divide_rounding(fact.mantissa, p));
        rounded == claim.mantissa
    }
}

fn pow10(exponent: i64) -> Option<i128> {
    10i128.checked_pow(u32::try_from(exponent).ok()?)
}

/// `n / d` rounded half away from zero, for `d > 0`.
fn divide_rounding(n: i128, d: i128) -> i128 {
    let (quotient, remainder) = (n / d, (n % d).abs());
    if remainder >= d - remainder {
        quotient + n.signum()
    } else {
        quotient
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(text, kind, value, decimals)` of each token.
    fn summary(text: &str) -> Vec<(String, NumberKind, f64, u32)> {
        extract_numbers(text).into_iter().map(|t| (t.text, t.kind, t.value, t.decimals)).collect()
    }

    fn one(text: &str) -> NumberToken {
        let mut tokens = extract_numbers(text);
        assert_eq!(tokens.len(), 1, "{text}: {tokens:?}");
        tokens.remove(0)
    }

    fn texts(text: &str) -> Vec<String> {
        extract_numbers(text).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn extracts_each_format() {
        use NumberKind::*;
        let cases: [(&str, &str, NumberKind, f64, u32); 18] = [
            ("total $135,626.77 spent", "$135,626.77", Money, 135_626.77, 2),
            ("change -$114.90 today", "-$114.90", Money, -114.9, 2),
            ("change $-5 today", "$-5", Money, -5.0, 0),
            ("share 37.50% of spend", "37.50%", Percent, 37.5, 2),
            ("rate (57.3%)", "57.3%", Percent, 57.3, 1),
            ("1,234 runs", "1,234", Plain, 1234.0, 0),
            ("took 205.1 min", "205.1", Plain, 205.1, 1),
            ("z = +9.96σ", "+9.96σ", Plain, 9.96, 2),
            ("z = -5.49σ", "-5.49σ", Plain, -5.49, 2),
            ("z = −5.49σ", "−5.49σ", Plain, -5.49, 2),
            ("ratio 0.4 here", "0.4", Plain, 0.4, 1),
            ("score 1.572.", "1.572", Plain, 1.572, 3),
            ("about $135.6k total", "$135.6k", Money, 135_600.0, 1),
            ("about 2M rows", "2M", Plain, 2_000_000.0, 0),
            ("about 1.5K, then", "1.5K", Plain, 1500.0, 1),
            ("delta -5 runs", "-5", Plain, -5.0, 0),
            ("cost $1,234.50.", "$1,234.50", Money, 1234.5, 2),
            ("on 2025-12-05, jobs", "2025-12-05", Date, 20_427.0, 0),
        ];
        for (input, text, kind, value, decimals) in cases {
            let token = one(input);
            assert_eq!((token.text.as_str(), token.kind, token.decimals), (text, kind, decimals), "{input}");
            assert!((token.value - value).abs() < 1e-9, "{input}: {}", token.value);
        }
    }

    #[test]
    fn reports_byte_offsets() {
        let text = "Spend −$5.00 on 2025-12-05";
        let tokens = extract_numbers(text);
        assert_eq!((tokens[0].start, tokens[0].end), (6, 14));
        assert_eq!(&text[tokens[0].start..tokens[0].end], "−$5.00");
        assert_eq!(tokens[0].value, -5.0);
        assert_eq!((tokens[1].start, tokens[1].end), (18, 28));
        assert_eq!(tokens[1].kind, NumberKind::Date);
    }

    #[test]
    fn splits_malformed_thousands_groups() {
        assert_eq!(
            summary("1,2 and 1,2345"),
            vec![
                ("1".to_string(), NumberKind::Plain, 1.0, 0),
                ("2".to_string(), NumberKind::Plain, 2.0, 0),
                ("1".to_string(), NumberKind::Plain, 1.0, 0),
                ("2345".to_string(), NumberKind::Plain, 2345.0, 0),
            ]
        );
        assert_eq!(texts("1,234,567 and 27, 3"), ["1,234,567", "27", "3"]);
    }

    #[test]
    fn skips_identifiers_and_fact_ids() {
        let text = "J-FIN-DAILY R02 g4dn.xlarge i3.xlarge m5.xlarge v1 ML2 SLA-4hr Q-ADHOC-0001 \
                    CU-J-X-20251205-R01 job.why_failing@1 5kg 3Mb 3x snake_2_case run-2025-12-05 \
                    [T3] [D12] [G2] [T3, D12] 7-day 1.2.3";
        assert_eq!(texts(text), Vec::<String>::new());
        assert_eq!(texts("[T3] cost $5 (R01), then 4."), ["$5", "4"]);
    }

    #[test]
    fn reads_ranges_as_one_claim_with_both_ends_checked() {
        let t = extract_numbers("industry average 10-20% and $5–10k, 1—2 runs, 10%-20%");
        let shown: Vec<(&str, bool, NumberKind)> = t.iter().map(|t| (t.text.as_str(), t.range, t.kind)).collect();
        assert_eq!(
            shown,
            [
                ("10-20%", true, NumberKind::Percent),
                ("$5–10k", true, NumberKind::Money),
                ("1—2", true, NumberKind::Plain),
                ("10%-20%", true, NumberKind::Percent)
            ]
        );
        assert_eq!(check("10-20%", "share 10.0%, and 20.0% later").ungrounded(), 0);
        assert_eq!(check("10-20%", "share 10.0% only, 20 runs").ungrounded_texts(), ["10-20%"]);
        assert_eq!(texts("a 7-day window, 14:05-15:00"), Vec::<String>::new());
    }

    #[test]
    fn skips_list_markers_and_times() {
        assert_eq!(texts("1. First $5\r\n2) Second\n   3. third\n## 4. Heading\n- 5. nested\n> 6) quoted"), ["$5"]);
        assert_eq!(texts("item 1. then 2) here"), ["1", "2"]);
        assert_eq!(texts("at 02:30 and 14:05:09, 2025-12-05 14:05:09 UTC"), ["2025-12-05"]);
    }

    #[test]
    fn validates_dates() {
        // Impossible dates are not numbers at all (their digit runs are joined by `-`).
        assert_eq!(texts("2025-13-40 2025-02-29 2025-00-10"), Vec::<String>::new());
        assert_eq!(one("leap 2024-02-29").value, 19_782.0);
        assert_eq!(one("1970-01-01").value, 0.0);
        assert_eq!(one("1969-12-31").value, -1.0);
        assert_eq!(one("2000-03-01").value, 11_017.0);
    }

    const EVIDENCE: &str = "[T1] Job J-FIN-DAILY failed 27 times between 2025-12-01 and 2025-12-05.\n\
        [T2] Cost of failed runs $5,427.27; top job share 37.50%; failure rate 57.26%.\n\
        [T3] Spend $135,626.77, change -$114.90, z-score +9.96σ, runtime 205.1 min, 1,234 runs.";

    #[test]
    fn accepts_a_faithful_narrative() {
        let answer = "## Summary\n1. **J-FIN-DAILY** failed 27 times through 2025-12-05 [T1], \
                      costing $5,427.27 [T2].\n2. Spend was $135,626.77 (about $135.6k, or $136k) \
                      with a change of −$114.90 and a +9.96σ spike [T3].\n3. Failure rate 57.3% \
                      (57.26%), top share 37.5% — roughly 38% — over 1,234 runs averaging 205.1 min.";
        let report = check(answer, EVIDENCE);
        assert_eq!(report.ungrounded_texts(), Vec::<&str>::new());
        assert_eq!(report.total(), 14);
        assert_eq!(report.ungrounded(), 0);
    }

    #[test]
    fn flags_exactly_the_changed_number() {
        for (answer, wrong) in [
            ("27 failed runs cost $5,427.27 by 2025-12-05; 28 failed", "28"),
            ("27 failed runs cost $5,427.72 by 2025-12-05", "$5,427.72"),
            ("27 failed runs cost $5,427.27 by 2025-12-06", "2025-12-06"),
        ] {
            let report = check(answer, EVIDENCE);
            assert_eq!(report.ungrounded_texts(), [wrong], "{answer}");
            assert_eq!(report.total(), 3 + usize::from(wrong == "28"));
        }
    }

    #[test]
    fn applies_rounding_rules() {
        let grounded = |answer: &str| check(answer, EVIDENCE).ungrounded() == 0;
        assert!(grounded("$135.6k"));
        assert!(grounded("$136k"));
        assert!(grounded("$135,627"));
        assert!(grounded("$0.1M"));
        assert!(!grounded("$135.7k"));
        assert!(grounded("$135,626.8"));
        assert!(!grounded("$135,626.7"));
    }

    #[test]
    fn rounds_percentages_half_away_from_zero() {
        let grounded = |answer: &str| check(answer, EVIDENCE).ungrounded() == 0;
        assert!(grounded("57.3%"));
        assert!(grounded("57%"));
        assert!(!grounded("57.2%"));
        assert!(grounded("37.5%"));
        assert!(grounded("37.500%"));
        assert!(grounded("38%"));
        assert!(!grounded("37%"));
        assert!(!grounded("37.5"), "a plain number never matches a percentage");
        assert!(!grounded("27%"), "a percentage never matches a plain number");
        assert!(grounded("1,234 runs at $1,234"), "money and plain numbers interchange");
    }

    #[test]
    fn requires_matching_signs() {
        let grounded = |answer: &str| check(answer, EVIDENCE).ungrounded() == 0;
        assert!(grounded("-$114.90"));
        assert!(grounded("$-114.9"));
        assert!(grounded("−$114.90"));
        assert!(!grounded("$114.90"));
        assert!(!grounded("-9.96σ"));
        assert!(grounded("9.96σ"));
        assert!(!check("+$114.90", "-$114.90").checks[0].grounded);
        assert!(check("$0.00", "-$0.004").checks[0].grounded);
    }

    #[test]
    fn handles_degenerate_input() {
        assert_eq!(check("", "").total(), 0);
        let huge = "9".repeat(60);
        let report = check(&huge, &huge);
        assert_eq!(report.ungrounded(), 0);
        for text in ["$", "-", "−", "σ5", "$-", "1.", ".5", "9%%", "٣", "12,", "1e5", "0x1F"] {
            extract_numbers(text);
        }
    }
}
