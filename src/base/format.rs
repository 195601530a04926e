//! Number formatting shared by the UI and the CLI: money, percentages and counts, so
//! the same figure reads the same everywhere.

/// `1234567` → `"1,234,567"`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
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

/// A file size as people read it (1 KB = 1,024 bytes): `"512 bytes"`, `"912 KB"`,
/// `"1.1 MB"`, `"1.05 GB"`.
pub fn file_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    match bytes {
        b if b < KB => format!("{} bytes", thousands(b)),
        b if b < KB * KB => format!("{} KB", thousands(b.div_ceil(KB))),
        b if b < KB * KB * KB => format!("{:.1} MB", b as f64 / (KB * KB) as f64),
        b => format!("{:.2} GB", b as f64 / (KB * KB * KB) as f64),
    }
}

/// A percentage with one decimal place: `52.468` → `"52.5%"`.
pub fn pct(value: f64) -> String {
    format!("{value:.1}%")
}

/// Minutes with one decimal: `122.8 min`.
pub fn minutes(value: f64) -> String {
    format!("{value:.1} min")
}

/// "12.25 h": hours with two decimals.
pub fn hours(value: f64) -> String {
    format!("{value:.2} h")
}

/// "2025-11-28 to 2025-11-30, 2025-12-03" from sorted, distinct dates.
pub fn date_ranges(dates: &[String]) -> String {
    let parsed: Vec<crate::base::calendar::Date> = dates.iter().filter_map(|d| crate::base::calendar::Date::parse(d)).collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < parsed.len() {
        let mut j = i;
        while j + 1 < parsed.len() && parsed[i].days_until(parsed[j + 1]) == (j + 1 - i) as i64 {
            j += 1;
        }
        out.push(match j - i {
            0 => parsed[i].to_string(),
            1 => format!("{}, {}", parsed[i], parsed[j]),
            _ => format!("{} to {}", parsed[i], parsed[j]),
        });
        i = j + 1;
    }
    out.join(", ")
}

/// Escapes text for inclusion in HTML (chart tooltips render HTML).
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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
        assert_eq!(file_size(0), "0 bytes");
        assert_eq!(file_size(1023), "1,023 bytes");
        assert_eq!(file_size(933_888), "912 KB");
        assert_eq!(file_size(1_153_433), "1.1 MB");
        assert_eq!(file_size(1_127_428_915), "1.05 GB");
    }

    #[test]
    fn compresses_runs_of_days() {
        let d = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(date_ranges(&d(&["2025-11-28", "2025-11-29", "2025-11-30", "2025-12-03"])), "2025-11-28 to 2025-11-30, 2025-12-03");
        assert_eq!(date_ranges(&d(&["2025-12-05", "2025-12-06"])), "2025-12-05, 2025-12-06");
        assert_eq!(date_ranges(&[]), "");
        assert_eq!(minutes(122.84), "122.8 min");
    }

    #[test]
    fn escapes_html() {
        assert_eq!(html_escape("<b>\"R&D\"</b>"), "&lt;b&gt;&quot;R&amp;D&quot;&lt;/b&gt;");
    }
}
