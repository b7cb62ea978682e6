//! The event store: one Delta Lake table per event table, in one folder or
//! under one prefix of an S3-compatible bucket ([`StoreLocation`]).
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
//! released by the OS if the process dies; on S3, with a lock object created
//! by put-if-absent, which a dead writer leaves behind ([`Store::lock_writer`]).

mod manifest;
pub mod objects;
mod snapshot;
pub mod staging;
mod writer;

use std::fs::File;
use std::path::Path;

use anyhow::{bail, Context, Result};
use borderscope_schema::EventTable;
use datafusion::prelude::SessionContext;
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel;
use deltalake::kernel::StructType;
use deltalake::{DeltaTable, DeltaTableBuilder};
use serde::{Deserialize, Serialize};
use url::Url;

pub use manifest::{IngestRecord, PriorIngest, INGESTS_TABLE};
pub use objects::{ObjectStores, StoreLocation};
pub use snapshot::Snapshot;
pub use writer::{BatchWriter, CommitReport};

use objects::Objects;

/// Version of the store's layout; a store written by an older layout is refused
/// with a message instead of being misread.
pub const STORE_FORMAT: u32 = 1;

const FORMAT_FILE: &str = "borderscope-store.json";

/// The single-writer lock's file (local) or object (S3), in the store's root.
const LOCK_FILE: &str = ".writer.lock";

#[derive(Serialize, Deserialize)]
struct FormatFile {
    format: u32,
    created_by: String,
}

/// A store: a folder, or a prefix of an S3-compatible bucket.
#[derive(Debug, Clone)]
pub struct Store {
    /// Canonical: an absolute folder, or `s3://BUCKET/PREFIX/`.
    location: StoreLocation,
    /// The bucket's client, for a store on S3.
    objects: Option<Objects>,
}

/// Held while writing; dropping it releases the lock.
pub struct WriterLock {
    held: Held,
}

enum Held {
    /// An OS lock, released by the OS if the process dies.
    File { _file: File },
    /// An object created with put-if-absent; deleted on release. A process
    /// that dies holding it leaves it behind (see [`Store::lock_writer`]).
    Object { objects: Objects, released: bool },
}

/// What a writer records in the lock object, so a refused writer can say
/// who holds the store.
#[derive(Serialize, Deserialize)]
struct LockHolder {
    host: String,
    pid: u32,
    since: String,
}

impl Store {
    /// Opens the store at `location`, creating it (and its empty tables) if
    /// absent. On S3 the bucket must exist.
    pub async fn create_or_open(location: impl Into<StoreLocation>) -> Result<Store> {
        let location = location.into();
        let format = serde_json::to_vec_pretty(&FormatFile {
            format: STORE_FORMAT,
            created_by: format!("borderscope {}", env!("CARGO_PKG_VERSION")),
        })?;
        let location = match location {
            StoreLocation::Local(root) => {
                std::fs::create_dir_all(&root)
                    .with_context(|| format!("cannot create store folder {}", root.display()))?;
                let root = root
                    .canonicalize()
                    .with_context(|| format!("cannot resolve store folder {}", root.display()))?;
                let format_path = root.join(FORMAT_FILE);
                if !format_path.exists() {
                    std::fs::write(&format_path, format)
                        .with_context(|| format!("cannot write {}", format_path.display()))?;
                }
                StoreLocation::Local(root)
            }
            StoreLocation::S3(url) => {
                // Put-if-absent: two processes creating one store write the
                // same content, and the first one's stays.
                Objects::connect(&url)?.create(FORMAT_FILE, format).await?;
                StoreLocation::S3(url)
            }
        };
        let store = Store::open(location).await?;
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

    /// Opens an existing store; a missing folder, bucket or another layout
    /// version is a clear error, not an empty answer.
    pub async fn open(location: impl Into<StoreLocation>) -> Result<Store> {
        let location = location.into();
        let missing = || {
            format!(
                "no borderscope store at {location} (missing {FORMAT_FILE}); ingest some telemetry first with `borderscope ingest PATH`"
            )
        };
        let (text, objects) = match &location {
            StoreLocation::Local(root) => {
                let text = std::fs::read(root.join(FORMAT_FILE)).with_context(missing)?;
                (text, None)
            }
            StoreLocation::S3(url) => {
                let objects = Objects::connect(url)?;
                match objects.read(FORMAT_FILE).await? {
                    Some(text) => (text, Some(objects)),
                    None => {
                        // S3 answers a missing bucket like a missing object;
                        // listing tells them apart.
                        objects.folders("").await?;
                        bail!(missing());
                    }
                }
            }
        };
        let f: FormatFile = serde_json::from_slice(&text).with_context(|| {
            format!("{location}: {FORMAT_FILE} is not a borderscope store file")
        })?;
        if f.format != STORE_FORMAT {
            bail!(
                "store at {location} has layout version {} but this borderscope reads version {STORE_FORMAT}; re-ingest into a new store",
                f.format
            );
        }
        let location = match location {
            StoreLocation::Local(root) => StoreLocation::Local(
                root.canonicalize()
                    .with_context(|| format!("cannot resolve store folder {}", root.display()))?,
            ),
            s3 => s3,
        };
        Ok(Store { location, objects })
    }

    /// Where the store is.
    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    /// The store's folder, for a store on the local file system.
    pub fn local_root(&self) -> Option<&Path> {
        match &self.location {
            StoreLocation::Local(p) => Some(p),
            StoreLocation::S3(_) => None,
        }
    }

    pub fn table_url(&self, name: &str) -> Result<Url> {
        match (&self.location, &self.objects) {
            (_, Some(objects)) => objects.url_of(&format!("tables/{name}/")),
            (StoreLocation::Local(root), None) => {
                let path = root.join("tables").join(name);
                Url::from_directory_path(&path)
                    .map_err(|_| anyhow::anyhow!("cannot make a URL of {}", path.display()))
            }
            (StoreLocation::S3(url), None) => bail!("{url}: the store was not opened"),
        }
    }

    /// A table builder that reaches the table through the store's own
    /// client: on S3, delta-rs has no client of its own (see
    /// [`objects`]).
    fn table_builder(&self, name: &str) -> Result<DeltaTableBuilder> {
        let url = self.table_url(name)?;
        let builder = DeltaTableBuilder::from_url(url.clone())?;
        Ok(match &self.objects {
            Some(objects) => builder.with_storage_backend(objects.store.clone(), url),
            None => builder,
        })
    }

    /// Makes the store's files readable by `ctx` by URL (plain Parquet
    /// scans of them, as on a cluster). Local files always are.
    pub fn register_object_store(&self, ctx: &SessionContext) {
        if let Some(objects) = &self.objects {
            ctx.runtime_env()
                .register_object_store(&objects.bucket_url(), objects.store.clone());
        }
    }

    /// Every table in the store.
    pub async fn table_names(&self) -> Result<Vec<String>> {
        let mut names = match (&self.location, &self.objects) {
            // A prefix exists only while objects are under it, and the first
            // object of a table is its creating commit in `_delta_log`: every
            // prefix under `tables/` is a table. (A local folder can be
            // created and left empty by a crash, hence the check there.)
            (_, Some(objects)) => objects.folders("tables").await?,
            (StoreLocation::Local(root), None) => {
                let dir = root.join("tables");
                std::fs::read_dir(&dir)
                    .with_context(|| format!("cannot list {}", dir.display()))?
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().join("_delta_log").is_dir())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            }
            (StoreLocation::S3(url), None) => bail!("{url}: the store was not opened"),
        };
        names.sort();
        Ok(names)
    }

    async fn has_table(&self, name: &str) -> Result<bool> {
        match (&self.location, &self.objects) {
            (_, Some(objects)) => Ok(objects
                .folders(&format!("tables/{name}"))
                .await?
                .iter()
                .any(|f| f == "_delta_log")),
            (StoreLocation::Local(root), None) => {
                Ok(root.join("tables").join(name).join("_delta_log").exists())
            }
            (StoreLocation::S3(url), None) => bail!("{url}: the store was not opened"),
        }
    }

    /// Takes the single-writer lock.
    ///
    /// Local stores wait for another writer to finish (an OS file lock,
    /// which the OS releases if the writer dies). Object stores have no
    /// such lock: the lock is an object created with put-if-absent and
    /// deleted when the writer is done, and a second writer is refused at
    /// once with the holder's host, process and start time, because waiting
    /// would wait for ever on the lock of a writer that died. Such a stale
    /// lock is removed by hand, once that process is known to be gone.
    pub async fn lock_writer(&self) -> Result<WriterLock> {
        match (&self.location, &self.objects) {
            (_, Some(objects)) => {
                let holder = LockHolder {
                    host: hostname(),
                    pid: std::process::id(),
                    since: chrono::Utc::now().to_rfc3339(),
                };
                if objects
                    .create(LOCK_FILE, serde_json::to_vec(&holder)?)
                    .await?
                {
                    return Ok(WriterLock {
                        held: Held::Object {
                            objects: objects.clone(),
                            released: false,
                        },
                    });
                }
                let who = match objects.read(LOCK_FILE).await {
                    Ok(Some(bytes)) => match serde_json::from_slice::<LockHolder>(&bytes) {
                        Ok(h) => format!("process {} on {} since {}", h.pid, h.host, h.since),
                        Err(_) => "an unknown writer".to_string(),
                    },
                    Ok(None) => "a writer that has just finished; try again".to_string(),
                    Err(e) => format!("an unknown writer ({e:#})"),
                };
                bail!(
                    "the store {} is being written by {who}; one writer at a time. If that process is gone, delete {}{LOCK_FILE} and run again",
                    self.location,
                    self.location
                )
            }
            (StoreLocation::Local(root), None) => {
                let path = root.join(LOCK_FILE);
                let file = File::options()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                    .with_context(|| format!("cannot open {}", path.display()))?;
                file.lock()
                    .with_context(|| format!("cannot lock {}", path.display()))?;
                Ok(WriterLock {
                    held: Held::File { _file: file },
                })
            }
            (StoreLocation::S3(url), None) => bail!("{url}: the store was not opened"),
        }
    }

    /// Loads a table at its latest version.
    pub async fn load_latest(&self, name: &str) -> Result<DeltaTable> {
        self.table_builder(name)?
            .load()
            .await
            .with_context(|| format!("cannot load table `{name}` of the store {}", self.location))
    }

    /// Loads a table at a given version.
    pub async fn load_version(&self, name: &str, version: u64) -> Result<DeltaTable> {
        self.table_builder(name)?
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
        if self.has_table(name).await? {
            return Ok(());
        }
        if let StoreLocation::Local(root) = &self.location {
            let path = root.join("tables").join(name);
            std::fs::create_dir_all(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
        }
        let kernel: StructType = schema
            .try_into_kernel()
            .with_context(|| format!("schema of `{name}` is not a Delta schema"))?;
        // Built, not loaded: there is no table here yet to load.
        let table = self.table_builder(name)?.build()?;
        let mut create = table
            .create()
            .with_table_name(name)
            .with_columns(kernel.fields().cloned());
        if let Some(p) = partition {
            create = create.with_partition_columns([p]);
        }
        create
            .await
            .with_context(|| format!("cannot create table `{name}` in {}", self.location))?;
        Ok(())
    }

    /// Rolls back data-table commits that no `ingests` row accounts for: the
    /// tail of an ingest that died before its commit point. Returns what was
    /// rolled back, for the caller to report.
    pub async fn recover(&self, _lock: &WriterLock) -> Result<Vec<String>> {
        let snapshot = self.snapshot().await?;
        let mut done = Vec::new();
        let mut restored = std::collections::BTreeMap::new();
        for name in self.table_names().await? {
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

impl WriterLock {
    /// Releases the lock now, reporting a failure; dropping the lock
    /// releases it too, but can only warn.
    pub async fn release(mut self) -> Result<()> {
        if let Held::Object { objects, released } = &mut self.held {
            *released = true;
            objects.delete(LOCK_FILE).await?;
        }
        Ok(())
    }
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        let Held::Object { objects, released } = &mut self.held else {
            return;
        };
        if *released {
            return;
        }
        *released = true;
        let objects = objects.clone();
        let warn = |e: anyhow::Error| {
            eprintln!("warning: cannot release the store's writer lock: {e:#}; delete it before the next write");
        };
        use tokio::runtime::{Handle, RuntimeFlavor};
        match Handle::try_current() {
            // The usual case (the command line): wait for the delete, so the
            // lock is gone when the command ends.
            Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => {
                if let Err(e) =
                    tokio::task::block_in_place(|| h.block_on(objects.delete(LOCK_FILE)))
                {
                    warn(e);
                }
            }
            // A single-threaded runtime cannot block here without
            // stopping the very connection the delete needs.
            Ok(h) => {
                h.spawn(async move {
                    if let Err(e) = objects.delete(LOCK_FILE).await {
                        warn(e);
                    }
                });
            }
            Err(_) => warn(anyhow::anyhow!("no async runtime left to delete it with")),
        }
    }
}

/// This machine's name, for the lock object.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "an unknown host".to_string())
}
