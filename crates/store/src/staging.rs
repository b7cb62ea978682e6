//! Helpers every detector shares: running one stage of a detection plan and
//! keeping its result as a table the next stages query, and shaping results
//! to a findings table's stored schema.
//!
//! A staged result is an in-memory table when the plans run in this
//! process. When they run on a cluster, the processes that read it are
//! elsewhere: an in-memory table would have to travel inside every plan
//! (and every task) that reads it, so a session with a [`StagingArea`]
//! writes it as Parquet under the store instead, where every cluster
//! process already reads the store's own files: [`stage`] collects the
//! result here and writes one file (for results this process needs, such
//! as findings); [`keep`] lets the processes that compute a result write
//! it themselves (for large results only later stages read).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use anyhow::{Context, Result};
use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::MemTable;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{DataFrame, SessionContext};
use url::Url;

use crate::objects::Objects;
use crate::{Store, StoreLocation};

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
    let area = ctx.state().config().get_extension::<StagingArea>();
    let table: Arc<dyn datafusion::catalog::TableProvider> = match area {
        Some(area) => area
            .write(name, schema, &batches)
            .await
            .with_context(|| format!("cannot stage {what}"))?,
        None => mem_table(schema, &batches)?,
    };
    ctx.deregister_table(name)?;
    ctx.register_table(name, table)?;
    Ok(batches)
}

/// Runs `sql` and registers its result under `name`, like [`stage`], for
/// a result only later stages read: with a [`StagingArea`] the processes
/// that compute it write it (on a cluster, the executors, each its own
/// partitions), so it never passes through this one. Returns its rows.
pub async fn keep(ctx: &SessionContext, name: &str, what: &str, sql: &str) -> Result<u64> {
    let Some(area) = ctx.state().config().get_extension::<StagingArea>() else {
        let batches = stage(ctx, name, what, sql).await?;
        return Ok(batches.iter().map(|b| b.num_rows() as u64).sum());
    };
    let df = plan(ctx, what, sql).await?;
    let schema = df.schema().inner().clone();
    let url = area.new_folder(name)?;
    let started = std::time::Instant::now();
    let counts = df
        .write_parquet(url.as_str(), DataFrameWriteOptions::new(), None)
        .await
        .with_context(|| format!("cannot compute and stage {what}"))?;
    let rows = written_rows(&counts);
    tracing::info!(
        step = what,
        rows,
        seconds = started.elapsed().as_secs_f64(),
        folder = %url,
        "computed and staged"
    );
    ctx.deregister_table(name)?;
    ctx.register_table(name, parquet_table(&url, schema)?)?;
    Ok(rows)
}

/// The row count a write plan answers with (one `count` per partition).
fn written_rows(counts: &[RecordBatch]) -> u64 {
    counts
        .iter()
        .filter_map(|b| {
            b.column(0)
                .as_any()
                .downcast_ref::<datafusion::arrow::array::UInt64Array>()
        })
        .flat_map(|a| a.iter().flatten())
        .sum()
}

/// A table over the Parquet file or folder at `url`, read as `schema`.
fn parquet_table(url: &Url, schema: SchemaRef) -> Result<Arc<ListingTable>> {
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new(ListingTableUrl::parse(url.as_str())?)
        .with_listing_options(options)
        .with_schema(schema);
    Ok(Arc::new(ListingTable::try_new(config)?))
}

/// This process's folder name under a store's `staging/`: unique among
/// clients sharing the store, so one's clean-up leaves the others' files.
fn run_folder() -> &'static str {
    static RUN: OnceLock<String> = OnceLock::new();
    RUN.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        format!("staging/{}-{nanos}/", std::process::id())
    })
}

/// Where a session's staged results go as Parquet files (see the module
/// documentation). Put one in a session's configuration
/// (`SessionConfig::with_extension`) to use it.
#[derive(Debug)]
pub struct StagingArea {
    folder: Folder,
    /// Files are numbered, never replaced: a result staged again under the
    /// same name gets a new file.
    next: AtomicU64,
}

#[derive(Debug)]
enum Folder {
    Local(PathBuf),
    Objects(Objects),
}

impl StagingArea {
    /// Writes `batches` as one Parquet file and returns a table over it
    /// with `schema` (the first batch's, when there is one).
    async fn write(
        &self,
        name: &str,
        schema: SchemaRef,
        batches: &[RecordBatch],
    ) -> Result<Arc<ListingTable>> {
        let schema = batches.first().map(|b| b.schema()).unwrap_or(schema);
        let mut bytes = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut bytes, schema.clone(), None)?;
        for b in batches {
            writer.write(b)?;
        }
        writer.close()?;
        let file = format!("{}.parquet", self.new_entry(name));
        let url = match &self.folder {
            Folder::Local(root) => {
                let path = root.join(&file);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                }
                std::fs::write(&path, &bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Url::from_file_path(&path)
                    .map_err(|_| anyhow::anyhow!("cannot make a URL of {}", path.display()))?
            }
            Folder::Objects(objects) => {
                objects.put(&file, bytes).await?;
                objects.url_of(&file)?
            }
        };
        tracing::info!(table = name, file = %url, "staged");
        parquet_table(&url, schema)
    }

    /// The URL of a new, empty folder for the files of `name`.
    fn new_folder(&self, name: &str) -> Result<Url> {
        let folder = format!("{}/", self.new_entry(name));
        match &self.folder {
            Folder::Local(root) => {
                // Listing a folder that does not exist is an error; an
                // empty result writes no file.
                let path = root.join(&folder);
                std::fs::create_dir_all(&path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                Url::from_directory_path(&path)
                    .map_err(|_| anyhow::anyhow!("cannot make a URL of {}", path.display()))
            }
            Folder::Objects(objects) => objects.url_of(&folder),
        }
    }

    /// The path, under the store, of a new file or folder for `name`.
    fn new_entry(&self, name: &str) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{}{n:04}-{name}", run_folder())
    }

    /// Deletes everything this process staged under the store.
    async fn remove_all(&self) -> Result<()> {
        match &self.folder {
            Folder::Objects(objects) => objects.delete_all(run_folder()).await,
            Folder::Local(root) => {
                let dir = root.join(run_folder());
                match std::fs::remove_dir_all(&dir) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        Err(e).with_context(|| format!("cannot delete {}", dir.display()))
                    }
                    _ => Ok(()),
                }
            }
        }
    }
}

impl Store {
    /// A staging area under this store for this process's sessions.
    pub fn staging_area(&self) -> Result<StagingArea> {
        let folder = match (&self.location, &self.objects) {
            (_, Some(objects)) => Folder::Objects(objects.clone()),
            (StoreLocation::Local(root), None) => Folder::Local(root.clone()),
            (StoreLocation::S3(url), None) => anyhow::bail!("{url}: the store was not opened"),
        };
        Ok(StagingArea {
            folder,
            next: AtomicU64::new(0),
        })
    }

    /// Deletes what this process staged under the store, if anything.
    pub async fn remove_staged(&self) -> Result<()> {
        self.staging_area()?.remove_all().await
    }
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
