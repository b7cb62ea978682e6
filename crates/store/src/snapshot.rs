//! A consistent view of the store: every table pinned to the version the
//! `ingests` manifest accounts for. Reports name these versions so a figure can
//! be reproduced from the same data later.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::{Context, Result};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::common::{Column, ScalarValue};
use datafusion::datasource::empty::EmptyTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::{provider_as_source, ViewTable};
use datafusion::logical_expr::{lit, Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::SessionContext;

use crate::manifest::{self, PriorIngest, INGESTS_TABLE};
use crate::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Table name → pinned Delta version. Tables absent here are at version 0
    /// (created, never written).
    versions: BTreeMap<String, u64>,
    /// Version of the `ingests` table itself.
    manifest_version: u64,
    /// Every table of the store when the snapshot was taken.
    tables: Vec<String>,
}

impl Snapshot {
    pub fn version(&self, table: &str) -> u64 {
        if table == INGESTS_TABLE {
            return self.manifest_version;
        }
        self.versions.get(table).copied().unwrap_or(0)
    }

    /// Every table of the store with its pinned version.
    pub fn versions(&self) -> BTreeMap<String, u64> {
        self.tables
            .iter()
            .map(|t| (t.clone(), self.version(t)))
            .collect()
    }

    /// Registers every table, at its pinned version, in a DataFusion context.
    pub async fn register(&self, store: &Store, ctx: &SessionContext) -> Result<()> {
        for (name, version) in self.versions() {
            let table = store.load_version(&name, version).await?;
            table.update_datafusion_session(&ctx.state())?;
            let provider = table
                .table_provider()
                .await
                .with_context(|| format!("cannot scan table `{name}`"))?;
            ctx.register_table(name.as_str(), provider)?;
        }
        Ok(())
    }
}

impl Snapshot {
    /// Registers every table, at its pinned version, as plain Parquet scans
    /// of exactly the files that version holds, for engines that cannot use
    /// the Delta table provider: a Ballista cluster serialises plans, and
    /// only DataFusion's own table kinds cross the wire.
    ///
    /// The Delta log is read here, on the client, so the version pinned by
    /// the snapshot is the one every executor reads, whatever is committed
    /// meanwhile (listing the table's folder would also see newer files,
    /// and files a findings overwrite removed but did not delete). Partition
    /// values live in the log, not in the files: each partition becomes a
    /// scan of its files with the value as a literal column, and the table
    /// the union of those, in the column order the Delta provider shows.
    pub async fn register_files(&self, store: &Store, ctx: &SessionContext) -> Result<()> {
        // The file URLs are `s3://` ones for a store on S3: the client's
        // session resolves them with the store's own client (the scheduler
        // and executors with theirs, `ObjectStores`).
        store.register_object_store(ctx);
        for (name, version) in self.versions() {
            let table = store.load_version(&name, version).await?;
            let provider = table
                .table_provider()
                .await
                .with_context(|| format!("cannot scan table `{name}`"))?;
            let schema = provider.schema();
            let state = table
                .snapshot()
                .with_context(|| format!("table `{name}` has no state"))?;
            let partition_cols: Vec<String> = state.metadata().partition_columns().to_vec();
            let log_store = table.log_store();
            // Partition values (in partition column order) → file URIs.
            let mut groups: BTreeMap<Vec<Option<String>>, Vec<String>> = BTreeMap::new();
            for file in state.log_data() {
                let values = file.partition_values_map();
                let key = partition_cols
                    .iter()
                    .map(|c| values.get(c).cloned().flatten())
                    .collect();
                groups
                    .entry(key)
                    .or_default()
                    .push(log_store.to_uri(&file.object_store_path()));
            }
            let provider: Arc<dyn TableProvider> = if groups.is_empty() {
                Arc::new(EmptyTable::new(schema))
            } else {
                let plan = files_plan(ctx, &name, &schema, &partition_cols, groups)
                    .with_context(|| format!("cannot plan the files of table `{name}`"))?;
                Arc::new(ViewTable::new(plan, None))
            };
            ctx.deregister_table(name.as_str())?;
            ctx.register_table(name.as_str(), provider)?;
        }
        Ok(())
    }
}

/// The union, over partitions, of a Parquet scan of the partition's files
/// with the partition values as literal columns.
fn files_plan(
    ctx: &SessionContext,
    name: &str,
    schema: &SchemaRef,
    partition_cols: &[String],
    groups: BTreeMap<Vec<Option<String>>, Vec<String>>,
) -> Result<LogicalPlan> {
    let file_schema = Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .filter(|f| !partition_cols.contains(f.name()))
            .cloned()
            .collect::<Vec<_>>(),
    ));
    let parquet_options = ctx.state().table_options().parquet.clone();
    let mut union: Option<LogicalPlanBuilder> = None;
    for (values, files) in groups {
        let urls = files
            .iter()
            .map(|f| ListingTableUrl::parse(f).with_context(|| format!("file {f}")))
            .collect::<Result<Vec<_>>>()?;
        let options = ListingOptions::new(Arc::new(
            ParquetFormat::default().with_options(parquet_options.clone()),
        ))
        .with_file_extension(".parquet");
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .with_schema(file_schema.clone());
        let listing = ListingTable::try_new(config)?;
        let columns = schema
            .fields()
            .iter()
            .map(
                |f| match partition_cols.iter().position(|c| c == f.name()) {
                    Some(i) => {
                        let value = match &values[i] {
                            Some(v) => ScalarValue::try_from_string(v.clone(), f.data_type())
                                .with_context(|| {
                                    format!("partition value {v:?} of `{}`", f.name())
                                })?,
                            None => ScalarValue::try_new_null(f.data_type())?,
                        };
                        Ok(lit(value).alias(f.name()))
                    }
                    None => Ok(Expr::Column(Column::from_name(f.name()))),
                },
            )
            .collect::<Result<Vec<_>>>()?;
        let part = LogicalPlanBuilder::scan(name, provider_as_source(Arc::new(listing)), None)?
            .project(columns)?
            .build()?;
        union = Some(match union {
            None => LogicalPlanBuilder::from(part),
            Some(u) => u.union(part)?,
        });
    }
    let union = union.context("no files")?;
    Ok(union.build()?)
}

impl Store {
    /// The store as of its last committed ingest.
    pub async fn snapshot(&self) -> Result<Snapshot> {
        let manifest_version = self
            .load_latest(INGESTS_TABLE)
            .await?
            .version()
            .unwrap_or(0);
        let rows = manifest::read_all(self).await?;
        Ok(Snapshot {
            versions: manifest::pinned_versions(&rows)?,
            manifest_version,
            tables: self.table_names().await?,
        })
    }

    /// Content hashes already ingested.
    pub async fn prior_ingests(&self) -> Result<HashMap<String, PriorIngest>> {
        manifest::prior_ingests(&manifest::read_all(self).await?)
    }
}
