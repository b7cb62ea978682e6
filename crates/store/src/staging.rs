//! Helpers every detector shares: running one stage of a detection plan and
//! keeping its result as an in-memory table the next stages query, and
//! shaping results to a findings table's stored schema.

use std::sync::Arc;

use anyhow::{Context, Result};
use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::datasource::MemTable;
use datafusion::prelude::{DataFrame, SessionContext};

/// Runs `sql` and returns its batches; `what` names it in errors.
pub async fn collect(ctx: &SessionContext, what: &str, sql: &str) -> Result<Vec<RecordBatch>> {
    run(plan(ctx, what, sql).await?, what).await
}

async fn plan(ctx: &SessionContext, what: &str, sql: &str) -> Result<DataFrame> {
    ctx.sql(sql)
        .await
        .with_context(|| format!("cannot plan {what}: {sql}"))
}

async fn run(df: DataFrame, what: &str) -> Result<Vec<RecordBatch>> {
    let started = std::time::Instant::now();
    let batches = df
        .collect()
        .await
        .with_context(|| format!("cannot compute {what}"))?;
    // Detections run several plans in turn; `BORDERSCOPE_LOG=info` says
    // which one a long run is in and what each cost.
    tracing::info!(
        step = what,
        rows = batches.iter().map(RecordBatch::num_rows).sum::<usize>(),
        seconds = started.elapsed().as_secs_f64(),
        "computed"
    );
    Ok(batches)
}

/// An in-memory table of `batches` (possibly none) with `schema`.
pub fn mem_table(schema: SchemaRef, batches: &[RecordBatch]) -> Result<Arc<MemTable>> {
    let schema = batches.first().map(|b| b.schema()).unwrap_or(schema);
    Ok(Arc::new(MemTable::try_new(schema, vec![batches.to_vec()])?))
}

/// Runs `sql` and registers its result under `name` (replacing an earlier
/// one), so later stages read it instead of computing it again.
pub async fn stage(
    ctx: &SessionContext,
    name: &str,
    what: &str,
    sql: &str,
) -> Result<Vec<RecordBatch>> {
    let df = plan(ctx, what, sql).await?;
    let schema = df.schema().inner().clone();
    let batches = run(df, what).await?;
    ctx.deregister_table(name)?;
    ctx.register_table(name, mem_table(schema, &batches)?)?;
    Ok(batches)
}

/// Casts a result batch, column by column, to a stored schema: query
/// results may use other encodings (string views, other integer widths).
pub fn conform(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    anyhow::ensure!(
        batch.num_columns() == schema.fields().len(),
        "result has {} columns, the table {}",
        batch.num_columns(),
        schema.fields().len()
    );
    let cols: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, field)| {
            cast(c, field.data_type())
                .with_context(|| format!("column `{}` cannot be stored", field.name()))
        })
        .collect::<Result<_>>()?;
    Ok(RecordBatch::try_new(schema.clone(), cols)?)
}

/// [`conform`] for a whole result; an empty result becomes one empty batch,
/// because replacing a table with nothing still needs the schema.
pub fn conform_all(batches: &[RecordBatch], schema: &SchemaRef) -> Result<Vec<RecordBatch>> {
    let mut out: Vec<RecordBatch> = batches
        .iter()
        .map(|b| conform(b, schema))
        .collect::<Result<_>>()?;
    if out.is_empty() {
        out.push(RecordBatch::new_empty(schema.clone()));
    }
    Ok(out)
}
