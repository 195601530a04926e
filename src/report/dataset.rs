//! Query results as plain values: a `Dataset` is named columns over rows of `Value`s.
//!
//! Cells are held column by column ([`Column`]): a query's cells as they come, text that
//! repeats over many rows (entity ids, labels, dates) once per distinct value with a code
//! per row, and computed numbers as plain `f64`/`i64` that become `Value`s only when a
//! column is first read. A scored series of 10^6 days is then a few flat vectors instead
//! of 10^6 small row vectors, and a column nobody reads (most of them, when a chart shows
//! one entity) costs no `Value`s at all. Readers see the same thing either way: `get`
//! returns a `&Value`; `rows[i]` still gives row `i` as a `Vec<Value>` (built on first use).

use std::fmt;
use std::sync::{Arc, OnceLock};

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

/// The cells of one column.
#[derive(Clone)]
pub enum Column {
    /// Values as they are.
    Values(Vec<Value>),
    /// Row `i` holds `dict[codes[i]]`: values repeated over many rows, stored once.
    Coded { codes: Vec<u32>, dict: Arc<Vec<Value>> },
    /// Reals, NaN standing for NULL; made into `Value`s when the column is first read.
    Reals(Vec<f64>, OnceLock<Vec<Value>>),
    /// Integers; made into `Value`s when the column is first read.
    Ints(Vec<i64>, OnceLock<Vec<Value>>),
    /// A query's cells where some are BLOBs: the values as they read (a BLOB reads as
    /// `<n bytes>`), and the bytes of each BLOB for a transform that unpacks them.
    Bytes { values: Vec<Value>, bytes: Vec<Option<Box<[u8]>>> },
}

impl Column {
    /// Reals with NaN as NULL (a computed figure that has no value, such as z without spread).
    pub fn reals(values: Vec<f64>) -> Column {
        Column::Reals(values, OnceLock::new())
    }

    pub fn ints(values: Vec<i64>) -> Column {
        Column::Ints(values, OnceLock::new())
    }

    pub fn len(&self) -> usize {
        match self {
            Column::Values(v) => v.len(),
            Column::Coded { codes, .. } => codes.len(),
            Column::Reals(v, _) => v.len(),
            Column::Ints(v, _) => v.len(),
            Column::Bytes { values, .. } => values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cell of row `i` (which must exist).
    pub fn cell(&self, i: usize) -> &Value {
        match self {
            Column::Values(v) => &v[i],
            Column::Coded { codes, dict } => &dict[codes[i] as usize],
            Column::Reals(v, made) => {
                &made.get_or_init(|| v.iter().map(|&x| if x.is_nan() { Value::Null } else { Value::Real(x) }).collect())[i]
            }
            Column::Ints(v, made) => &made.get_or_init(|| v.iter().map(|&n| Value::Int(n)).collect())[i],
            Column::Bytes { values, .. } => &values[i],
        }
    }

    /// The bytes of row `i` when it holds a BLOB.
    pub fn bytes_at(&self, i: usize) -> Option<&[u8]> {
        match self {
            Column::Bytes { bytes, .. } => bytes[i].as_deref(),
            _ => None,
        }
    }

    /// The number in row `i` without making `Value`s (NULL and text are `None`).
    pub fn f64_at(&self, i: usize) -> Option<f64> {
        match self {
            Column::Reals(v, _) => Some(v[i]).filter(|x| !x.is_nan()),
            Column::Ints(v, _) => Some(v[i] as f64),
            _ => self.cell(i).as_f64(),
        }
    }

    /// The rows `picked`, in that order.
    pub fn take(&self, picked: &[usize]) -> Column {
        match self {
            Column::Values(v) => Column::Values(picked.iter().map(|&i| v[i].clone()).collect()),
            Column::Coded { codes, dict } => Column::Coded { codes: picked.iter().map(|&i| codes[i]).collect(), dict: Arc::clone(dict) },
            Column::Reals(v, _) => Column::reals(picked.iter().map(|&i| v[i]).collect()),
            Column::Ints(v, _) => Column::ints(picked.iter().map(|&i| v[i]).collect()),
            Column::Bytes { values, bytes } => Column::Bytes {
                values: picked.iter().map(|&i| values[i].clone()).collect(),
                bytes: picked.iter().map(|&i| bytes[i].clone()).collect(),
            },
        }
    }
}

impl fmt::Debug for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries((0..self.len()).map(|i| self.cell(i))).finish()
    }
}

/// The cells of a dataset, held by column. `rows[i]` is row `i` as a vector of values (the
/// row-major copy is made on the first such access; prefer [`Dataset::get`]).
#[derive(Clone, Default)]
pub struct Rows {
    len: usize,
    columns: Vec<Column>,
    row_major: OnceLock<Vec<Vec<Value>>>,
}

impl Rows {
    /// Columns of equal length.
    pub fn from_columns(columns: Vec<Column>) -> Rows {
        let len = columns.first().map_or(0, Column::len);
        assert!(columns.iter().all(|c| c.len() == len), "columns of a dataset have equal lengths");
        Rows { len, columns, row_major: OnceLock::new() }
    }

    /// Rows of equal width.
    pub fn from_rows(rows: Vec<Vec<Value>>) -> Rows {
        let width = rows.first().map_or(0, Vec::len);
        let mut columns: Vec<Vec<Value>> = (0..width).map(|_| Vec::with_capacity(rows.len())).collect();
        let len = rows.len();
        for row in rows {
            assert_eq!(row.len(), width, "rows of a dataset have equal widths");
            for (c, v) in row.into_iter().enumerate() {
                columns[c].push(v);
            }
        }
        Rows { len, columns: columns.into_iter().map(Column::Values).collect(), row_major: OnceLock::new() }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Each row as a slice of values, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[Value]> + '_ {
        self.row_major().iter().map(Vec::as_slice)
    }

    fn row_major(&self) -> &Vec<Vec<Value>> {
        self.row_major.get_or_init(|| (0..self.len).map(|i| self.columns.iter().map(|c| c.cell(i).clone()).collect()).collect())
    }
}

impl std::ops::Index<usize> for Rows {
    type Output = Vec<Value>;
    fn index(&self, i: usize) -> &Vec<Value> {
        &self.row_major()[i]
    }
}

impl FromIterator<Vec<Value>> for Rows {
    fn from_iter<I: IntoIterator<Item = Vec<Value>>>(iter: I) -> Rows {
        Rows::from_rows(iter.into_iter().collect())
    }
}

impl fmt::Debug for Rows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries((0..self.len).map(|i| self.columns.iter().map(|c| c.cell(i)).collect::<Vec<_>>())).finish()
    }
}

/// A table of values with named columns.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    pub columns: Vec<String>,
    pub rows: Rows,
}

impl PartialEq for Dataset {
    fn eq(&self, other: &Dataset) -> bool {
        self.columns == other.columns
            && self.len() == other.len()
            && (0..self.rows.columns.len().min(other.rows.columns.len()))
                .all(|c| (0..self.len()).all(|i| self.rows.columns[c].cell(i) == other.rows.columns[c].cell(i)))
    }
}

impl Dataset {
    /// Named columns of equal length.
    pub fn from_columns(names: Vec<String>, columns: Vec<Column>) -> Dataset {
        assert_eq!(names.len(), columns.len(), "one name per column");
        Dataset { columns: names, rows: Rows::from_columns(columns) }
    }

    /// Named columns over rows of values.
    pub fn from_rows(columns: Vec<String>, rows: Vec<Vec<Value>>) -> Dataset {
        Dataset { columns, rows: Rows::from_rows(rows) }
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The cells of the column at `index`.
    pub fn column(&self, index: usize) -> Option<&Column> {
        self.rows.columns.get(index)
    }

    /// The value of `column` in row `row` (`Null` for an unknown column).
    pub fn get(&self, row: usize, column: &str) -> &Value {
        match self.column_index(column) {
            Some(c) => self.cell(row, c),
            None => &NULL,
        }
    }

    /// The value of the column at `index` in row `row` (`Null` when either is out of range).
    pub fn cell(&self, row: usize, index: usize) -> &Value {
        match self.rows.columns.get(index) {
            Some(col) if row < self.rows.len => col.cell(row),
            _ => &NULL,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len
    }

    pub fn is_empty(&self) -> bool {
        self.rows.len == 0
    }

    /// A view of one row that looks values up by column name.
    pub fn row(&self, index: usize) -> RowRef<'_> {
        RowRef { dataset: self, index }
    }

    /// Row `index` as values, in column order.
    pub fn row_values(&self, index: usize) -> Vec<Value> {
        (0..self.columns.len()).map(|c| self.cell(index, c).clone()).collect()
    }

    /// The rows `picked`, in that order.
    pub fn take(&self, picked: &[usize]) -> Dataset {
        let columns = self.rows.columns.iter().map(|c| c.take(picked)).collect();
        Dataset { columns: self.columns.clone(), rows: Rows { len: picked.len(), columns, row_major: OnceLock::new() } }
    }

    /// Adds a column filled by `f(row index)`; replaces it if it exists.
    pub fn set_column(&mut self, name: &str, f: impl FnMut(usize) -> Value) {
        let values = Column::Values((0..self.len()).map(f).collect());
        self.rows.row_major = OnceLock::new();
        match self.column_index(name) {
            Some(c) => self.rows.columns[c] = values,
            None => {
                self.columns.push(name.to_string());
                self.rows.columns.push(values);
            }
        }
    }
}

const NULL: Value = Value::Null;

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
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for i in 0..self.0.len() {
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
            map.serialize_entry(name, ds.cell(self.0.index, c))?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_kind_reads_as_values_and_row_by_row() {
        let dict = Arc::new(vec![Value::Text("a".into()), Value::Null]);
        let data = Dataset::from_columns(
            vec!["k".into(), "x".into(), "n".into(), "v".into()],
            vec![
                Column::Coded { codes: vec![0, 1, 0], dict },
                Column::reals(vec![1.5, f64::NAN, -2.0]),
                Column::ints(vec![3, 4, 5]),
                Column::Values(vec![Value::Int(1), Value::Text("t".into()), Value::Null]),
            ],
        );
        assert_eq!(data.len(), 3);
        assert_eq!(data.get(0, "k"), &Value::Text("a".into()));
        assert_eq!(data.get(1, "k"), &Value::Null);
        assert_eq!(data.get(1, "x"), &Value::Null);
        assert_eq!(data.get(2, "x"), &Value::Real(-2.0));
        assert_eq!(data.get(2, "n"), &Value::Int(5));
        assert_eq!(data.get(9, "n"), &Value::Null);
        assert_eq!(data.get(0, "missing"), &Value::Null);
        assert_eq!(data.rows[1], vec![Value::Null, Value::Null, Value::Int(4), Value::Text("t".into())]);
        let picked = data.take(&[2, 0]);
        assert_eq!(picked.row_values(0), vec![Value::Text("a".into()), Value::Real(-2.0), Value::Int(5), Value::Null]);
        let same = Dataset::from_rows(data.columns.clone(), data.rows.iter().map(<[Value]>::to_vec).collect());
        assert_eq!(same, data);
        let collected = Dataset { columns: data.columns.clone(), rows: [2usize, 0].iter().map(|&i| data.rows[i].clone()).collect() };
        assert_eq!(collected, picked);
    }
}
