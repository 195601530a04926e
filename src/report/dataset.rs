//! Query results as plain values: a `Dataset` is named columns over rows of `Value`s.

use std::fmt;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// One cell. Integers and reals stay distinct so counts print as counts.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl Value {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(n) => Some(*n as f64),
            Value::Real(x) => Some(*x),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Orders values for sorting: nulls first, numbers by value, text by bytes.
    pub fn sort_cmp(&self, other: &Value) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match (self.as_f64(), other.as_f64()) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            _ => match (self, other) {
                (Value::Null, Value::Null) => Ordering::Equal,
                (Value::Null, _) => Ordering::Less,
                (_, Value::Null) => Ordering::Greater,
                (Value::Text(a), Value::Text(b)) => a.cmp(b),
                (Value::Text(_), _) => Ordering::Greater,
                _ => Ordering::Less,
            },
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Int(n) => write!(f, "{n}"),
            Value::Real(x) => write!(f, "{x}"),
            Value::Text(s) => f.write_str(s),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_none(),
            Value::Int(n) => s.serialize_i64(*n),
            Value::Real(x) if x.is_finite() => s.serialize_f64(*x),
            Value::Real(_) => s.serialize_none(),
            Value::Text(t) => s.serialize_str(t),
        }
    }
}

impl From<rusqlite::types::ValueRef<'_>> for Value {
    fn from(v: rusqlite::types::ValueRef<'_>) -> Value {
        use rusqlite::types::ValueRef;
        match v {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) => Value::Int(n),
            ValueRef::Real(x) => Value::Real(x),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Text(format!("<{} bytes>", b.len())),
        }
    }
}

/// A table of values with named columns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Dataset {
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The value of `column` in row `row` (`Null` for an unknown column).
    pub fn get(&self, row: usize, column: &str) -> &Value {
        const NULL: Value = Value::Null;
        match (self.column_index(column), self.rows.get(row)) {
            (Some(c), Some(r)) => &r[c],
            _ => &NULL,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// A view of one row that looks values up by column name.
    pub fn row(&self, index: usize) -> RowRef<'_> {
        RowRef { dataset: self, index }
    }

    /// Adds a column filled by `f(row index)`; replaces it if it exists.
    pub fn set_column(&mut self, name: &str, mut f: impl FnMut(usize) -> Value) {
        match self.column_index(name) {
            Some(c) => {
                for i in 0..self.rows.len() {
                    let v = f(i);
                    self.rows[i][c] = v;
                }
            }
            None => {
                self.columns.push(name.to_string());
                for i in 0..self.rows.len() {
                    let v = f(i);
                    self.rows[i].push(v);
                }
            }
        }
    }
}

/// One row of a dataset, addressed by column name.
#[derive(Clone, Copy)]
pub struct RowRef<'a> {
    pub dataset: &'a Dataset,
    pub index: usize,
}

impl<'a> RowRef<'a> {
    pub fn get(&self, column: &str) -> &'a Value {
        self.dataset.get(self.index, column)
    }

    pub fn f64(&self, column: &str) -> Option<f64> {
        self.get(column).as_f64()
    }

    pub fn text(&self, column: &str) -> String {
        self.get(column).to_string()
    }
}

/// Serialises a dataset as a JSON array of objects with keys in column order.
pub struct RowsAsObjects<'a>(pub &'a Dataset);

impl Serialize for RowsAsObjects<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.rows.len()))?;
        for i in 0..self.0.rows.len() {
            seq.serialize_element(&RowAsObject(self.0.row(i)))?;
        }
        seq.end()
    }
}

struct RowAsObject<'a>(RowRef<'a>);

impl Serialize for RowAsObject<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ds = self.0.dataset;
        let mut map = s.serialize_map(Some(ds.columns.len()))?;
        for (c, name) in ds.columns.iter().enumerate() {
            map.serialize_entry(name, &ds.rows[self.0.index][c])?;
        }
        map.end()
    }
}
