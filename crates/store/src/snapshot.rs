//! A consistent view of the store: every table pinned to the version the
//! `ingests` manifest accounts for. Reports name these versions so a figure can
//! be reproduced from the same data later.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, Result};
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
            tables: self.table_names()?,
        })
    }

    /// Content hashes already ingested.
    pub async fn prior_ingests(&self) -> Result<HashMap<String, PriorIngest>> {
        manifest::prior_ingests(&manifest::read_all(self).await?)
    }
}
