//! The event store: one Delta Lake table per event table, in one folder.
//!
//! ## Atomicity across tables
//!
//! Delta commits are atomic per table, but one ingest writes several tables.
//! The `ingests` table is the store's commit point: each ingest batch commits
//! its data tables first, then one row per input file into `ingests`, carrying
//! the table versions the batch produced. Readers pin every table to the
//! highest version `ingests` knows ([`Snapshot`]), so a batch whose process died
//! before its `ingests` commit is invisible; the next writer rolls such tails
//! back with a Delta `RESTORE` ([`Store::recover`]). Killing an ingest at any
//! moment therefore leaves the store as before or as after, never half.
//!
//! One writer at a time is enforced with an OS file lock on `<root>/.writer.lock`,
//! released by the OS if the process dies.

mod manifest;
mod snapshot;
pub mod staging;
mod writer;

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use borderscope_schema::EventTable;
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel;
use deltalake::kernel::StructType;
use deltalake::{DeltaTable, DeltaTableBuilder};
use serde::{Deserialize, Serialize};
use url::Url;

pub use manifest::{IngestRecord, PriorIngest, INGESTS_TABLE};
pub use snapshot::Snapshot;
pub use writer::{BatchWriter, CommitReport};

/// Version of the store's layout; a store written by an older layout is refused
/// with a message instead of being misread.
pub const STORE_FORMAT: u32 = 1;

const FORMAT_FILE: &str = "borderscope-store.json";

#[derive(Serialize, Deserialize)]
struct FormatFile {
    format: u32,
    created_by: String,
}

/// A store folder.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// Held while writing; dropping it releases the lock.
pub struct WriterLock {
    _file: File,
}

impl Store {
    /// Opens the store at `root`, creating it (and its empty tables) if absent.
    pub async fn create_or_open(root: &Path) -> Result<Store> {
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create store folder {}", root.display()))?;
        let root = root
            .canonicalize()
            .with_context(|| format!("cannot resolve store folder {}", root.display()))?;
        let format_path = root.join(FORMAT_FILE);
        if !format_path.exists() {
            let f = FormatFile {
                format: STORE_FORMAT,
                created_by: format!("borderscope {}", env!("CARGO_PKG_VERSION")),
            };
            std::fs::write(&format_path, serde_json::to_vec_pretty(&f)?)
                .with_context(|| format!("cannot write {}", format_path.display()))?;
        }
        let store = Store::open(&root).await?;
        for table in EventTable::ALL {
            store
                .ensure_table(
                    table.name(),
                    &table.schema(),
                    Some(table.partition_column()),
                )
                .await?;
        }
        store
            .ensure_table(INGESTS_TABLE, &manifest::schema(), None)
            .await?;
        Ok(store)
    }

    /// Opens an existing store; a missing folder or another layout version is a
    /// clear error, not an empty answer.
    pub async fn open(root: &Path) -> Result<Store> {
        let format_path = root.join(FORMAT_FILE);
        let text = std::fs::read(&format_path).with_context(|| {
            format!(
                "no borderscope store at {} (missing {FORMAT_FILE}); ingest some telemetry first with `borderscope ingest PATH`",
                root.display()
            )
        })?;
        let f: FormatFile = serde_json::from_slice(&text).with_context(|| {
            format!("{} is not a borderscope store file", format_path.display())
        })?;
        if f.format != STORE_FORMAT {
            bail!(
                "store at {} has layout version {} but this borderscope reads version {STORE_FORMAT}; re-ingest into a new store",
                root.display(),
                f.format
            );
        }
        let root = root
            .canonicalize()
            .with_context(|| format!("cannot resolve store folder {}", root.display()))?;
        Ok(Store { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn table_path(&self, name: &str) -> PathBuf {
        self.root.join("tables").join(name)
    }

    pub fn table_url(&self, name: &str) -> Result<Url> {
        let path = self.table_path(name);
        Url::from_directory_path(&path)
            .map_err(|_| anyhow::anyhow!("cannot make a URL of {}", path.display()))
    }

    /// Every table in the store folder.
    pub fn table_names(&self) -> Result<Vec<String>> {
        let dir = self.root.join("tables");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("_delta_log").is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    /// Takes the single-writer lock, waiting for another writer to finish.
    pub fn lock_writer(&self) -> Result<WriterLock> {
        let path = self.root.join(".writer.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        file.lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(WriterLock { _file: file })
    }

    /// Loads a table at its latest version.
    pub async fn load_latest(&self, name: &str) -> Result<DeltaTable> {
        DeltaTableBuilder::from_url(self.table_url(name)?)?
            .load()
            .await
            .with_context(|| format!("cannot load table `{name}` of the store"))
    }

    /// Loads a table at a given version.
    pub async fn load_version(&self, name: &str, version: u64) -> Result<DeltaTable> {
        DeltaTableBuilder::from_url(self.table_url(name)?)?
            .with_version(version)
            .load()
            .await
            .with_context(|| format!("cannot load table `{name}` at version {version}"))
    }

    /// Creates a table with `schema` unless it exists. Creation is version 0,
    /// empty, so a snapshot can always pin a table that was never written.
    pub async fn ensure_table(
        &self,
        name: &str,
        schema: &datafusion::arrow::datatypes::Schema,
        partition: Option<&str>,
    ) -> Result<()> {
        let path = self.table_path(name);
        if path.join("_delta_log").exists() {
            return Ok(());
        }
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let kernel: StructType = schema
            .try_into_kernel()
            .with_context(|| format!("schema of `{name}` is not a Delta schema"))?;
        // Built, not loaded: there is no table here yet to load.
        let table = DeltaTableBuilder::from_url(self.table_url(name)?)?.build()?;
        let mut create = table
            .create()
            .with_table_name(name)
            .with_columns(kernel.fields().cloned());
        if let Some(p) = partition {
            create = create.with_partition_columns([p]);
        }
        create
            .await
            .with_context(|| format!("cannot create table `{name}`"))?;
        Ok(())
    }

    /// Rolls back data-table commits that no `ingests` row accounts for: the
    /// tail of an ingest that died before its commit point. Returns what was
    /// rolled back, for the caller to report.
    pub async fn recover(&self, _lock: &WriterLock) -> Result<Vec<String>> {
        let snapshot = self.snapshot().await?;
        let mut done = Vec::new();
        let mut restored = std::collections::BTreeMap::new();
        for name in self.table_names()? {
            let name = name.as_str();
            if name == INGESTS_TABLE {
                continue;
            }
            let latest = self.load_latest(name).await?;
            let current = latest.version().unwrap_or(0);
            let pinned = snapshot.version(name);
            if current > pinned {
                let (after, _) = latest
                    .restore()
                    .with_version_to_restore(pinned)
                    .await
                    .with_context(|| format!("cannot roll `{name}` back to version {pinned}"))?;
                restored.insert(name.to_string(), after.version().unwrap_or(pinned));
                done.push(format!(
                    "table `{name}`: rolled back an unfinished ingest (versions {}..={current} → {pinned})",
                    pinned + 1
                ));
            }
        }
        if !restored.is_empty() {
            // The restore commits are new versions with the old content; record
            // them so the snapshot pins them and recovery does not run again.
            manifest::record_rollback(self, &restored).await?;
        }
        Ok(done)
    }
}
