//! Budgets: the monthly spend limits a user sets for a dataset (for all spend, a workspace,
//! a compute type or a tag), their file format, and the connection table the report SQL
//! reads them from.
//!
//! Budgets are the user's, not the data's: they are kept beside the dataset (the browser's
//! catalog of datasets, or a file given to the CLI), never written into the usage database,
//! so the seeded demo and a database opened read-only can have them too. For every
//! connection they live in the temp table `budgets` ([`install`]), which [`ensure_table`]
//! creates empty for reports that read it before any budget was set.
//!
//! The file is JSON (`{"version": 1, "budgets": [...]}`), written with stable key order and
//! indentation so the same budgets always give the same bytes.

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

/// The version of the budgets file this build writes and reads.
pub const FILE_VERSION: u32 = 1;

/// Longest budget name accepted.
pub const MAX_NAME_CHARS: usize = 80;

/// Most budgets a dataset keeps.
pub const MAX_BUDGETS: usize = 50;

/// What a budget covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetScope {
    /// All spend of the dataset.
    All,
    /// The spend of one workspace's jobs, clusters and warehouses (`value` = workspace id).
    Workspace,
    /// One compute type (`value` = JOB_RUN, APC_CLUSTER or SQL_WAREHOUSE).
    ComputeType,
    /// The spend of the jobs carrying one tag (`value` = the tag as stored, e.g.
    /// `team=Finance`, matched without regard to case).
    Tag,
}

impl BudgetScope {
    pub const ALL: [BudgetScope; 4] = [BudgetScope::All, BudgetScope::Workspace, BudgetScope::ComputeType, BudgetScope::Tag];

    /// The name used in files, SQL and the page.
    pub fn name(self) -> &'static str {
        match self {
            BudgetScope::All => "all",
            BudgetScope::Workspace => "workspace",
            BudgetScope::ComputeType => "compute_type",
            BudgetScope::Tag => "tag",
        }
    }

    pub fn parse(text: &str) -> Option<BudgetScope> {
        BudgetScope::ALL.into_iter().find(|s| s.name() == text)
    }

    /// In words, for the page.
    pub fn describe(self) -> &'static str {
        match self {
            BudgetScope::All => "All spend",
            BudgetScope::Workspace => "Workspace",
            BudgetScope::ComputeType => "Compute type",
            BudgetScope::Tag => "Job tag",
        }
    }
}

/// The compute types a `compute_type` budget may name.
pub const COMPUTE_TYPES: [&str; 3] = ["JOB_RUN", "APC_CLUSTER", "SQL_WAREHOUSE"];

/// One monthly budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    pub name: String,
    pub scope: BudgetScope,
    /// What the scope names (empty for `all`).
    #[serde(default)]
    pub value: String,
    /// The limit for each calendar month, in US dollars.
    pub monthly_usd: f64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetFile {
    version: u32,
    budgets: Vec<Budget>,
}

/// Why budgets were refused. Messages are shown to users as they are.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BudgetError {
    #[error("The budgets file is not valid: {message} (line {line}, column {column}).")]
    Syntax { message: String, line: usize, column: usize },
    #[error("The budgets file is version {0}; this app reads version {FILE_VERSION}.")]
    Version(u32),
    #[error("Budget {index}: {problem}")]
    Invalid { index: usize, problem: String },
    #[error("At most {MAX_BUDGETS} budgets can be kept; this has {0}.")]
    TooMany(usize),
}

impl Budget {
    /// What is wrong with this budget, if anything.
    pub fn problem(&self) -> Option<String> {
        let name = self.name.trim();
        if name.is_empty() {
            return Some("it needs a name.".into());
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Some(format!("its name is longer than {MAX_NAME_CHARS} characters."));
        }
        if !self.monthly_usd.is_finite() || self.monthly_usd <= 0.0 {
            return Some(format!("\"{name}\" needs a monthly amount above $0 (got {}).", self.monthly_usd));
        }
        let value = self.value.trim();
        match self.scope {
            BudgetScope::All if !value.is_empty() => Some(format!("\"{name}\" covers all spend, so it takes no value (got \"{value}\").")),
            BudgetScope::All => None,
            _ if value.is_empty() => Some(format!("\"{name}\" needs the {} it covers.", self.scope.describe().to_lowercase())),
            BudgetScope::ComputeType if !COMPUTE_TYPES.contains(&value) => {
                Some(format!("\"{name}\": the compute type must be one of {} (got \"{value}\").", COMPUTE_TYPES.join(", ")))
            }
            _ => None,
        }
    }

    /// The same budget with its text trimmed.
    fn tidy(mut self) -> Budget {
        self.name = self.name.trim().to_string();
        self.value = self.value.trim().to_string();
        self
    }
}

/// Checks a list of budgets: each valid, names unique, not too many. Returns them trimmed.
pub fn validate(budgets: Vec<Budget>) -> Result<Vec<Budget>, BudgetError> {
    if budgets.len() > MAX_BUDGETS {
        return Err(BudgetError::TooMany(budgets.len()));
    }
    let mut out: Vec<Budget> = Vec::with_capacity(budgets.len());
    for (i, b) in budgets.into_iter().enumerate() {
        let index = i + 1;
        if let Some(problem) = b.problem() {
            return Err(BudgetError::Invalid { index, problem });
        }
        let b = b.tidy();
        if out.iter().any(|o| o.name.eq_ignore_ascii_case(&b.name)) {
            return Err(BudgetError::Invalid { index, problem: format!("the name \"{}\" is used twice.", b.name) });
        }
        out.push(b);
    }
    Ok(out)
}

/// A dollar amount as typed: `12000`, `12,000.50` or `$12,000`.
pub fn parse_usd(text: &str) -> Result<f64, String> {
    let plain: String = text.trim().trim_start_matches('$').chars().filter(|c| *c != ',').collect();
    plain
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("The monthly amount \"{}\" is not a number of dollars.", text.trim()))
}

/// Reads a budgets file.
pub fn parse_file(text: &str) -> Result<Vec<Budget>, BudgetError> {
    let file: BudgetFile = serde_json::from_str(text).map_err(|e| BudgetError::Syntax {
        message: e.to_string().split(" at line ").next().unwrap_or_default().to_string(),
        line: e.line(),
        column: e.column(),
    })?;
    if file.version != FILE_VERSION {
        return Err(BudgetError::Version(file.version));
    }
    validate(file.budgets)
}

/// Writes a budgets file (same budgets, same bytes).
pub fn to_file(budgets: &[Budget]) -> String {
    let file = BudgetFile { version: FILE_VERSION, budgets: budgets.to_vec() };
    let mut text = serde_json::to_string_pretty(&file).expect("budgets serialise");
    text.push('\n');
    text
}

const TABLE_DDL: &str = "CREATE TEMP TABLE IF NOT EXISTS budgets (
    budget_id   INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    value       TEXT NOT NULL,
    monthly_usd REAL NOT NULL
)";

/// Creates the connection's (empty) `budgets` table if it has none.
pub fn ensure_table(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(TABLE_DDL)
}

/// Replaces the connection's budgets: `budget_id` is the budget's position, 1, 2, …
pub fn install(conn: &Connection, budgets: &[Budget]) -> rusqlite::Result<()> {
    ensure_table(conn)?;
    conn.execute("DELETE FROM temp.budgets", [])?;
    let mut insert = conn.prepare("INSERT INTO temp.budgets(budget_id, name, scope, value, monthly_usd) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for (i, b) in budgets.iter().enumerate() {
        insert.execute(params![i as i64 + 1, b.name, b.scope.name(), b.value, b.monthly_usd])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(name: &str, scope: BudgetScope, value: &str, usd: f64) -> Budget {
        Budget { name: name.into(), scope, value: value.into(), monthly_usd: usd }
    }

    #[test]
    fn a_file_round_trips_to_the_same_bytes() {
        let budgets =
            vec![budget("Everything", BudgetScope::All, "", 250_000.0), budget("Finance", BudgetScope::Tag, "team=Finance", 20_000.5)];
        let text = to_file(&budgets);
        assert_eq!(parse_file(&text).unwrap(), budgets);
        assert_eq!(to_file(&parse_file(&text).unwrap()), text);
        assert!(
            text.starts_with("{\n  \"version\": 1,\n  \"budgets\": [\n    {\n      \"name\": \"Everything\",\n      \"scope\": \"all\"")
        );
    }

    #[test]
    fn bad_files_say_what_and_where() {
        let err = parse_file("{\"version\": 1,\n \"budgets\": [ {\"name\": \"x\", \"scope\": \"al\", \"monthly_usd\": 1} ]}").unwrap_err();
        let BudgetError::Syntax { message, line, .. } = &err else { panic!("{err:?}") };
        assert_eq!(*line, 2);
        assert!(message.contains("unknown variant `al`"), "{message}");
        assert_eq!(parse_file("{\"version\": 2, \"budgets\": []}").unwrap_err(), BudgetError::Version(2));
        let invalid = |b: Budget| validate(vec![b]).unwrap_err().to_string();
        assert_eq!(invalid(budget(" ", BudgetScope::All, "", 1.0)), "Budget 1: it needs a name.");
        assert_eq!(invalid(budget("A", BudgetScope::All, "", 0.0)), "Budget 1: \"A\" needs a monthly amount above $0 (got 0).");
        assert_eq!(invalid(budget("A", BudgetScope::All, "", f64::NAN)), "Budget 1: \"A\" needs a monthly amount above $0 (got NaN).");
        assert_eq!(invalid(budget("A", BudgetScope::Workspace, "", 5.0)), "Budget 1: \"A\" needs the workspace it covers.");
        assert_eq!(invalid(budget("A", BudgetScope::All, "x", 5.0)), "Budget 1: \"A\" covers all spend, so it takes no value (got \"x\").");
        assert!(invalid(budget("A", BudgetScope::ComputeType, "GPU", 5.0)).contains("must be one of JOB_RUN, APC_CLUSTER, SQL_WAREHOUSE"));
        let twice = validate(vec![budget("Ops", BudgetScope::All, "", 1.0), budget("ops ", BudgetScope::All, "", 2.0)]).unwrap_err();
        assert_eq!(twice.to_string(), "Budget 2: the name \"ops\" is used twice.");
        let many = vec![budget("A", BudgetScope::All, "", 1.0); MAX_BUDGETS + 1];
        assert_eq!(validate(many).unwrap_err(), BudgetError::TooMany(MAX_BUDGETS + 1));
    }

    #[test]
    fn amounts_are_read_as_typed() {
        assert_eq!(parse_usd(" $12,000.50 "), Ok(12_000.5));
        assert_eq!(parse_usd("300"), Ok(300.0));
        assert_eq!(parse_usd("12k"), Err("The monthly amount \"12k\" is not a number of dollars.".to_string()));
        assert!(parse_usd("inf").is_err() && parse_usd("").is_err());
    }

    #[test]
    fn installed_budgets_replace_the_last_ones() {
        let conn = Connection::open_in_memory().unwrap();
        ensure_table(&conn).unwrap();
        let count = |conn: &Connection| conn.query_row("SELECT COUNT(*) FROM budgets", [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(count(&conn), 0);
        install(&conn, &[budget("A", BudgetScope::All, "", 1.0), budget("B", BudgetScope::ComputeType, "JOB_RUN", 2.0)]).unwrap();
        install(&conn, &[budget("C", BudgetScope::Workspace, "W1", 3.0)]).unwrap();
        let row: (i64, String, String, String, f64) = conn
            .query_row("SELECT budget_id, name, scope, value, monthly_usd FROM budgets", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap();
        assert_eq!((count(&conn), row), (1, (1, "C".into(), "workspace".into(), "W1".into(), 3.0)));
    }
}
