//! Number formatting shared by the UI and the CLI: money, percentages and counts, so
//! the same figure reads the same everywhere.

/// `1234567` → `"1,234,567"`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// US dollars with cents: `-1234.5` → `"-$1,234.50"`.
pub fn usd(amount: f64) -> String {
    let cents = (amount.abs() * 100.0).round() as u64;
    let sign = if amount < 0.0 && cents > 0 { "-" } else { "" };
    format!("{sign}${}.{:02}", thousands(cents / 100), cents % 100)
}

/// A percentage with one decimal place: `52.468` → `"52.5%"`.
pub fn pct(value: f64) -> String {
    format!("{value:.1}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_money_counts_and_percentages() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(usd(249_865.775), "$249,865.78");
        assert_eq!(usd(0.004), "$0.00");
        assert_eq!(usd(-1234.5), "-$1,234.50");
        assert_eq!(pct(52.468), "52.5%");
    }
}
