//! Query results as plain tables of JSON values: what every renderer
//! (text, JSON, CSV, HTML, STIX) reads, so none of them touches Arrow.

use anyhow::{Context, Result};
use borderscope_engine::Engine;
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type, UInt64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use serde::Serialize;
use serde_json::Value;

/// A titled result with the SQL that produced it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Table {
    pub title: String,
    pub sql: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// The value of `column` in `row`, if both exist.
    pub fn get(&self, row: usize, column: &str) -> Option<&Value> {
        let i = self.columns.iter().position(|c| c == column)?;
        self.rows.get(row)?.get(i)
    }

    /// An integer cell, 0 when absent or null (counts over no rows).
    pub fn count(&self, row: usize, column: &str) -> u64 {
        self.get(row, column).and_then(Value::as_u64).unwrap_or(0)
    }
}

/// Runs `sql` and keeps its rows.
pub async fn run(engine: &Engine, title: &str, sql: String) -> Result<Table> {
    let batches = engine
        .sql(&sql)
        .await
        .with_context(|| format!("report section {title:?}"))?;
    let columns = match batches.first() {
        Some(b) => b
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect(),
        None => Vec::new(),
    };
    let mut rows = Vec::new();
    for batch in &batches {
        append_rows(batch, &mut rows)?;
    }
    Ok(Table {
        title: title.to_string(),
        sql,
        columns,
        rows,
    })
}

fn append_rows(batch: &RecordBatch, rows: &mut Vec<Vec<Value>>) -> Result<()> {
    let options = FormatOptions::default().with_null("");
    let cells: Vec<Vec<Value>> = batch
        .columns()
        .iter()
        .map(|c| column_values(c, &options))
        .collect::<Result<_>>()?;
    for r in 0..batch.num_rows() {
        rows.push(cells.iter().map(|c| c[r].clone()).collect());
    }
    Ok(())
}

/// Numbers stay numbers (floats rounded to 4 places so reruns print the same
/// digits), lists become arrays, everything else Arrow's display text.
fn column_values(array: &ArrayRef, options: &FormatOptions) -> Result<Vec<Value>> {
    let n = array.len();
    let values = match array.data_type() {
        DataType::Int64 => (0..n)
            .map(|i| {
                nullable(array, i, || {
                    array.as_primitive::<Int64Type>().value(i).into()
                })
            })
            .collect(),
        DataType::Int32 => (0..n)
            .map(|i| {
                nullable(array, i, || {
                    array.as_primitive::<Int32Type>().value(i).into()
                })
            })
            .collect(),
        DataType::UInt64 => (0..n)
            .map(|i| {
                nullable(array, i, || {
                    array.as_primitive::<UInt64Type>().value(i).into()
                })
            })
            .collect(),
        DataType::Float64 => (0..n)
            .map(|i| {
                nullable(array, i, || {
                    let v = array.as_primitive::<Float64Type>().value(i);
                    serde_json::Number::from_f64((v * 1e4).round() / 1e4)
                        .map_or(Value::Null, Value::Number)
                })
            })
            .collect(),
        DataType::Boolean => (0..n)
            .map(|i| nullable(array, i, || array.as_boolean().value(i).into()))
            .collect(),
        DataType::List(_) | DataType::LargeList(_) => (0..n)
            .map(|i| list_value(array, i, options))
            .collect::<Result<_>>()?,
        _ => {
            let f = ArrayFormatter::try_new(array.as_ref(), options)?;
            (0..n)
                .map(|i| nullable(array, i, || Value::String(f.value(i).to_string())))
                .collect()
        }
    };
    Ok(values)
}

fn list_value(array: &ArrayRef, i: usize, options: &FormatOptions) -> Result<Value> {
    if array.is_null(i) {
        return Ok(Value::Null);
    }
    let inner = match array.data_type() {
        DataType::List(_) => array.as_list::<i32>().value(i),
        _ => array.as_list::<i64>().value(i),
    };
    Ok(Value::Array(column_values(&inner, options)?))
}

fn nullable(array: &ArrayRef, i: usize, value: impl FnOnce() -> Value) -> Value {
    if array.is_null(i) {
        Value::Null
    } else {
        value()
    }
}

/// A cell as display text (for text, CSV and HTML).
pub fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}
