//! Report values as users read them, by the column's unit: `$1,234.50`, `52.47%`,
//! `1,234`, `205.1 min`, `12.25 h`, `+3.72σ`. Used by tables, charts, evidence and CSV alike.

use crate::base::format::{hours, minutes, thousands, usd};
use crate::report::dataset::Value;
use crate::report::spec::Unit;

/// A report value as users read it, by unit: `$1,234.50`, `52.47%`, `1,234`, `205.1 min`,
/// `+3.72σ`. Nulls read as an en dash.
pub fn report_value(value: &Value, unit: Unit) -> String {
    let Some(x) = value.as_f64() else {
        return match value {
            Value::Null => "–".to_string(),
            other => other.to_string(),
        };
    };
    match unit {
        Unit::Usd => usd(x),
        Unit::Pct => format!("{x:.2}%"),
        Unit::Count => {
            let n = x.round();
            let s = thousands(n.abs() as u64);
            if n < 0.0 {
                format!("-{s}")
            } else {
                s
            }
        }
        Unit::Minutes => minutes(x),
        Unit::Hours => hours(x),
        Unit::Ratio => format!("{x:.3}"),
        Unit::Score => format!("{x:.2}"),
        Unit::Zscore => format!("{x:+.2}σ"),
        Unit::Date | Unit::Text => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_unit() {
        assert_eq!(report_value(&Value::Real(1234.5), Unit::Usd), "$1,234.50");
        assert_eq!(report_value(&Value::Real(52.468), Unit::Pct), "52.47%");
        assert_eq!(report_value(&Value::Int(1234), Unit::Count), "1,234");
        assert_eq!(report_value(&Value::Real(-5.4912), Unit::Zscore), "-5.49σ");
        assert_eq!(report_value(&Value::Real(12.246), Unit::Hours), "12.25 h");
        assert_eq!(report_value(&Value::Real(3.72), Unit::Zscore), "+3.72σ");
        assert_eq!(report_value(&Value::Null, Unit::Usd), "–");
        assert_eq!(report_value(&Value::Text("2025-12-05".into()), Unit::Date), "2025-12-05");
    }
}
