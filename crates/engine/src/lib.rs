//! The engine: a DataFusion session over a consistent snapshot of the store,
//! with borderscope's functions registered. Every figure borderscope prints is
//! a plan run here, so the same figures can be had with `borderscope query`.

pub mod summary;
pub mod udf;

use std::path::Path;

use anyhow::{Context, Result};
use borderscope_store::{Snapshot, Store};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::{SessionConfig, SessionContext};

pub use udf::{register_udfs, scalar_udfs, FunctionContext};

/// A session over the store as of its last committed ingest.
pub struct Engine {
    ctx: SessionContext,
    store: Store,
    snapshot: Snapshot,
    functions: FunctionContext,
}

impl Engine {
    /// Opens the store at `root` (which must exist) for querying.
    pub async fn open(root: &Path, functions: FunctionContext) -> Result<Engine> {
        let store = Store::open(root).await?;
        Self::over(store, functions).await
    }

    pub async fn over(store: Store, functions: FunctionContext) -> Result<Engine> {
        let snapshot = store.snapshot().await?;
        let config = SessionConfig::new()
            .with_information_schema(true)
            .with_default_catalog_and_schema("borderscope", "store");
        let ctx = SessionContext::new_with_config(config);
        snapshot.register(&store, &ctx).await?;
        register_udfs(&ctx, &functions);
        Ok(Engine {
            ctx,
            store,
            snapshot,
            functions,
        })
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
