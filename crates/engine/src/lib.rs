//! The engine: a DataFusion session over a consistent snapshot of the store,
//! with borderscope's functions registered. Every figure borderscope prints is
//! a plan run here, so the same figures can be had with `borderscope query`.

pub mod cluster;
pub mod summary;
pub mod udf;

use std::sync::Arc;

use anyhow::{Context, Result};
use borderscope_store::{Snapshot, Store, StoreLocation};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::{SessionConfig, SessionContext};

pub use cluster::ClusterUrl;
pub use udf::{register_functions, register_udfs, scalar_udfs, FunctionContext};

/// Where an engine's plans run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Runner {
    /// In this process.
    #[default]
    Embedded,
    /// On the Ballista cluster whose scheduler is at this address.
    Cluster(ClusterUrl),
}

/// A session over the store as of its last committed ingest.
pub struct Engine {
    ctx: SessionContext,
    store: Store,
    snapshot: Snapshot,
    functions: FunctionContext,
    runner: Runner,
}

impl Engine {
    /// Opens the store at `root` (which must exist) for querying.
    pub async fn open(
        root: impl Into<StoreLocation>,
        functions: FunctionContext,
    ) -> Result<Engine> {
        Self::open_on(root, functions, &Runner::Embedded).await
    }

    /// [`Engine::open`], with the plans run by `runner`.
    pub async fn open_on(
        root: impl Into<StoreLocation>,
        functions: FunctionContext,
        runner: &Runner,
    ) -> Result<Engine> {
        let store = Store::open(root).await?;
        Self::over_on(store, functions, runner).await
    }

    pub async fn over(store: Store, functions: FunctionContext) -> Result<Engine> {
        Self::over_on(store, functions, &Runner::Embedded).await
    }

    /// A session over `store` whose plans run embedded or on a cluster. The
    /// tables and functions are the same either way; on a cluster the tables
    /// are the Parquet files of the pinned Delta versions.
    pub async fn over_on(
        store: Store,
        functions: FunctionContext,
        runner: &Runner,
    ) -> Result<Engine> {
        let snapshot = store.snapshot().await?;
        let config = SessionConfig::new()
            .with_information_schema(true)
            .with_default_catalog_and_schema("borderscope", "store");
        let ctx = match runner {
            Runner::Embedded => {
                let ctx = SessionContext::new_with_config(config);
                snapshot.register(&store, &ctx).await?;
                register_udfs(&ctx, &functions)?;
                ctx
            }
            Runner::Cluster(url) => {
                // Staged results go to files the executors can read.
                let config = config.with_extension(Arc::new(store.staging_area()?));
                let ctx = cluster::client_context(url, config, &functions).await?;
                snapshot.register_files(&store, &ctx).await?;
                ctx
            }
        };
        Ok(Engine {
            ctx,
            store,
            snapshot,
            functions,
            runner: runner.clone(),
        })
    }

    /// The same store, functions and runner over the store's latest commit.
    pub async fn reopen(&self) -> Result<Engine> {
        Self::over_on(self.store.clone(), self.functions.clone(), &self.runner).await
    }

    pub fn runner(&self) -> &Runner {
        &self.runner
    }

    pub fn ctx(&self) -> &SessionContext {
        &self.ctx
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn functions(&self) -> &FunctionContext {
        &self.functions
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Runs one SQL statement and collects its result.
    pub async fn sql(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        let df = self
            .ctx
            .sql(sql)
            .await
            .with_context(|| format!("cannot plan: {sql}"))?;
        df.collect()
            .await
            .with_context(|| format!("cannot run: {sql}"))
    }
}
