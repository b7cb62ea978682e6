//! Where a store lives — a local folder or a prefix of an S3-compatible
//! bucket — and the object stores every process resolves `s3://` URLs with.
//!
//! ## One configuration, every process
//!
//! S3 settings come from the standard AWS environment variables
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
//! `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, ..., as
//! `object_store`'s `AmazonS3Builder::from_env` reads them), so the client,
//! the scheduler and the executors configure the same way and no secret
//! travels inside a plan. The client opens the store's bucket when it opens
//! the store; the scheduler and the executors open a bucket the first time
//! a plan names one of its files ([`ObjectStores`]), so a cluster serves
//! stores in any bucket its settings can reach.
//!
//! ## What is assumed of the object store
//!
//! Delta commits and the single-writer lock rely on *put if absent*: a
//! write with `If-None-Match: *` that fails when the object exists
//! (`object_store`'s `PutMode::Create`). AWS S3 has had it since August
//! 2024; MinIO, Ceph RGW, Cloudflare R2 and moto have it too. A server that
//! ignores the header would let two commits claim one version; one that
//! refuses it is reported when the store is created.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex, Once, OnceLock};

use anyhow::{bail, Context, Result};
use datafusion::error::DataFusionError;
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use deltalake::logstore::{
    default_logstore, logstore_factories, object_store_factories, LogStore, LogStoreFactory,
    ObjectStoreFactory, ObjectStoreRef, StorageConfig,
};
use deltalake::DeltaResult;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use url::Url;

/// Where a store is: `--store` as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A folder on a local (or shared, mounted) file system.
    Local(PathBuf),
    /// A prefix in an S3-compatible bucket: `s3://BUCKET/PREFIX/`, always
    /// with the trailing slash so table URLs can be joined onto it.
    S3(Url),
}

impl StoreLocation {
    pub fn is_object_store(&self) -> bool {
        matches!(self, StoreLocation::S3(_))
    }
}

impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::Local(p) => write!(f, "{}", p.display()),
            StoreLocation::S3(u) => write!(f, "{u}"),
        }
    }
}

impl FromStr for StoreLocation {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        let Some((scheme, _)) = s.split_once("://") else {
            return Ok(StoreLocation::Local(PathBuf::from(s)));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "file" => {
                let url = Url::parse(s).with_context(|| format!("{s:?} is not a file URL"))?;
                let path = url
                    .to_file_path()
                    .map_err(|_| anyhow::anyhow!("{s:?} names no local folder"))?;
                Ok(StoreLocation::Local(path))
            }
            "s3" => {
                let mut url =
                    Url::parse(s).with_context(|| format!("{s:?} is not an s3://BUCKET/PREFIX URL"))?;
                if url.host_str().is_none_or(str::is_empty) {
                    bail!("{s:?}: an S3 store is s3://BUCKET/PREFIX; the bucket is missing");
                }
                if url.query().is_some() || url.fragment().is_some() || url.port().is_some() {
                    bail!(
                        "{s:?}: an S3 store is s3://BUCKET/PREFIX; the endpoint and other settings go in AWS_* environment variables"
                    );
                }
                if !url.path().ends_with('/') {
                    let path = format!("{}/", url.path());
                    url.set_path(&path);
                }
                Ok(StoreLocation::S3(url))
            }
            other => bail!(
                "{s:?}: a store is a local folder or s3://BUCKET/PREFIX; {other}:// object stores are not supported"
            ),
        }
    }
}

impl From<&Path> for StoreLocation {
    fn from(p: &Path) -> Self {
        StoreLocation::Local(p.to_path_buf())
    }
}

impl From<PathBuf> for StoreLocation {
    fn from(p: PathBuf) -> Self {
        StoreLocation::Local(p)
    }
}

impl From<&PathBuf> for StoreLocation {
    fn from(p: &PathBuf) -> Self {
        StoreLocation::Local(p.clone())
    }
}

impl From<&StoreLocation> for StoreLocation {
    fn from(l: &StoreLocation) -> Self {
        l.clone()
    }
}

/// The S3 client of `bucket`, built once per process from the AWS
/// environment variables and shared by the store, delta-rs and DataFusion,
/// so they share one connection pool.
pub fn s3_bucket(bucket: &str) -> Result<Arc<dyn ObjectStore>> {
    static BUCKETS: OnceLock<Mutex<HashMap<String, Arc<dyn ObjectStore>>>> = OnceLock::new();
    let mut buckets = BUCKETS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(s) = buckets.get(bucket) {
        return Ok(s.clone());
    }
    let store: Arc<dyn ObjectStore> = Arc::new(
        AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .with_context(|| {
                format!("cannot set up S3 access to bucket `{bucket}` from the AWS_* environment variables")
            })?,
    );
    buckets.insert(bucket.to_string(), store.clone());
    Ok(store)
}

/// The bucket of an `s3://` URL.
fn bucket_of(url: &Url) -> Result<&str> {
    url.host_str()
        .filter(|h| !h.is_empty())
        .with_context(|| format!("{url} names no bucket"))
}

/// Makes delta-rs find a log store (and, for its own look-ups, an object
/// store) for `s3://` tables without its `s3` feature, which would bring
/// in the AWS SDK and its DynamoDB locking client.
///
/// The log store is delta-rs's default one: it commits version N by
/// writing `_delta_log/N.json` with put-if-absent, so of two writers racing
/// for a version exactly one succeeds and the other retries on N+1. That is
/// all a Delta commit needs on a store with conditional writes (see the
/// module docs); no external lock table is involved.
pub(crate) fn register_s3_with_delta() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let scheme = Url::parse("s3://").expect("a valid scheme URL");
        logstore_factories().insert(scheme.clone(), Arc::new(PutIfAbsentLogStores));
        object_store_factories().insert(scheme, Arc::new(EnvS3Stores));
    });
}

struct PutIfAbsentLogStores;

impl LogStoreFactory for PutIfAbsentLogStores {
    fn with_options(
        &self,
        prefixed_store: ObjectStoreRef,
        root_store: ObjectStoreRef,
        location: &Url,
        options: &StorageConfig,
    ) -> DeltaResult<Arc<dyn LogStore>> {
        Ok(default_logstore(
            prefixed_store,
            root_store,
            location,
            options,
        ))
    }
}

/// delta-rs's own look-up of an `s3://` URL (the store always hands it
/// the bucket's client, but a few of its operations look the store up by
/// URL again): the same per-process client as [`s3_bucket`].
struct EnvS3Stores;

impl ObjectStoreFactory for EnvS3Stores {
    fn parse_url_opts(
        &self,
        url: &Url,
        _config: &StorageConfig,
    ) -> DeltaResult<(ObjectStoreRef, ObjectPath)> {
        let err = |e: anyhow::Error| deltalake::DeltaTableError::Generic(format!("{e:#}"));
        let store = s3_bucket(bucket_of(url).map_err(err)?).map_err(err)?;
        let path = ObjectPath::from_url_path(url.path())
            .map_err(|e| deltalake::DeltaTableError::Generic(e.to_string()))?;
        Ok((store, path))
    }
}

/// DataFusion's object store registry, plus `s3://` buckets opened on
/// first use with this process's AWS settings. Cluster processes use it
/// so that the Parquet files a client's plan names resolve wherever the
/// plan runs.
#[derive(Debug, Default)]
pub struct ObjectStores {
    known: DefaultObjectStoreRegistry,
}

impl ObjectStores {
    /// The registry of this process: one, so every session shares its clients.
    pub fn shared() -> Arc<ObjectStores> {
        static SHARED: OnceLock<Arc<ObjectStores>> = OnceLock::new();
        SHARED.get_or_init(Default::default).clone()
    }
}

impl ObjectStoreRegistry for ObjectStores {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.known.register_store(url, store)
    }

    fn deregister_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        self.known.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        match self.known.get_store(url) {
            Ok(store) => Ok(store),
            Err(_) if url.scheme() == "s3" => {
                let store = bucket_of(url)
                    .and_then(s3_bucket)
                    .map_err(|e| DataFusionError::External(e.into()))?;
                self.known.register_store(url, store.clone());
                Ok(store)
            }
            Err(e) => Err(e),
        }
    }
}

/// A store's objects in its bucket: the bucket's client and the store's
/// prefix in it.
#[derive(Debug, Clone)]
pub(crate) struct Objects {
    pub(crate) store: Arc<dyn ObjectStore>,
    /// `s3://BUCKET/PREFIX/`.
    url: Url,
    prefix: ObjectPath,
}

impl Objects {
    pub(crate) fn connect(url: &Url) -> Result<Objects> {
        register_s3_with_delta();
        let store = s3_bucket(bucket_of(url)?)?;
        let prefix = ObjectPath::from_url_path(url.path())
            .with_context(|| format!("{url}: not a valid object prefix"))?;
        Ok(Objects {
            store,
            url: url.clone(),
            prefix,
        })
    }

    /// `s3://BUCKET/`, the key DataFusion registers the bucket's client under.
    pub(crate) fn bucket_url(&self) -> Url {
        let mut u = self.url.clone();
        u.set_path("/");
        u
    }

    /// The URL of `rel` (`a/b/`) under the store's prefix.
    pub(crate) fn url_of(&self, rel: &str) -> Result<Url> {
        self.url
            .join(rel)
            .with_context(|| format!("cannot make a URL of {rel} under {}", self.url))
    }

    /// The object path of `rel` (`a/b`) under the store's prefix.
    pub(crate) fn path(&self, rel: &str) -> ObjectPath {
        rel.split('/')
            .filter(|s| !s.is_empty())
            .fold(self.prefix.clone(), |p, part| p.join(part))
    }

    /// Reads `rel`; `None` when there is no such object.
    pub(crate) async fn read(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path(rel);
        match self.store.get(&path).await {
            Ok(got) => {
                let bytes = got
                    .bytes()
                    .await
                    .with_context(|| self.failed("cannot read", rel))?;
                Ok(Some(bytes.to_vec()))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.explain(e, "cannot read", rel)),
        }
    }

    /// Writes `rel` unless it exists; `false` when it did.
    pub(crate) async fn create(&self, rel: &str, bytes: Vec<u8>) -> Result<bool> {
        let path = self.path(rel);
        let opts = PutOptions::from(PutMode::Create);
        match self
            .store
            .put_opts(&path, PutPayload::from(bytes), opts)
            .await
        {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(object_store::Error::NotImplemented { .. }) => bail!(
                "{}: conditional writes (put if absent) are disabled (AWS_CONDITIONAL_PUT?); borderscope needs them for atomic Delta commits and its writer lock",
                self.url_of(rel).map(|u| u.to_string()).unwrap_or_default()
            ),
            Err(e) => Err(self.explain(e, "cannot write", rel)),
        }
    }

    /// Writes (or replaces) `rel`.
    pub(crate) async fn put(&self, rel: &str, bytes: Vec<u8>) -> Result<()> {
        self.store
            .put(&self.path(rel), PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(|e| self.explain(e, "cannot write", rel))
    }

    /// Deletes every object under `rel` (a "folder").
    pub(crate) async fn delete_all(&self, rel: &str) -> Result<()> {
        use futures::TryStreamExt;
        let listed: Vec<_> = self
            .store
            .list(Some(&self.path(rel)))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await
            .map_err(|e| self.explain(e, "cannot list", rel))?;
        for path in listed {
            self.store
                .delete(&path)
                .await
                .map_err(|e| self.explain(e, "cannot delete under", rel))?;
        }
        Ok(())
    }

    pub(crate) async fn delete(&self, rel: &str) -> Result<()> {
        self.store
            .delete(&self.path(rel))
            .await
            .map_err(|e| self.explain(e, "cannot delete", rel))
    }

    /// The names of the "folders" directly under `rel`.
    pub(crate) async fn folders(&self, rel: &str) -> Result<Vec<String>> {
        let path = self.path(rel);
        let listed = self
            .store
            .list_with_delimiter(Some(&path))
            .await
            .map_err(|e| self.explain(e, "cannot list", rel))?;
        Ok(listed
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect())
    }

    fn failed(&self, what: &str, rel: &str) -> String {
        match self.url_of(rel) {
            Ok(u) => format!("{what} {u}"),
            Err(_) => format!("{what} {rel} under {}", self.url),
        }
    }

    /// An object store error with what was being done and, for the errors
    /// a misconfiguration gives, what to check.
    pub(crate) fn explain(&self, e: object_store::Error, what: &str, rel: &str) -> anyhow::Error {
        let bucket = self.url.host_str().unwrap_or_default();
        // Listing errors arrive as generic ones: S3's error code in the
        // answer (a stable part of its API) tells what went wrong there.
        let text = e.to_string();
        let missing =
            matches!(e, object_store::Error::NotFound { .. }) || text.contains("NoSuchBucket");
        let refused = matches!(
            e,
            object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. }
        ) || [
            "AccessDenied",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
        ]
        .iter()
        .any(|code| text.contains(code));
        let hint = if missing {
            format!(
                "; does bucket `{bucket}` exist at the endpoint (AWS_ENDPOINT_URL)? create it first"
            )
        } else if refused {
            format!(
                "; access to bucket `{bucket}` was refused: check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) and the bucket's policy"
            )
        } else {
            String::new()
        };
        // object_store's message already carries its sources; chaining the
        // error would print each of them again.
        anyhow::anyhow!("{}{hint}: {text}", self.failed(what, rel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_locations() {
        let l: StoreLocation = "s3://bucket/some/prefix".parse().unwrap();
        assert_eq!(l.to_string(), "s3://bucket/some/prefix/");
        assert!(l.is_object_store());
        let l: StoreLocation = "s3://bucket".parse().unwrap();
        assert_eq!(l.to_string(), "s3://bucket/");
        let l: StoreLocation = "file:///var/store".parse().unwrap();
        assert_eq!(l, StoreLocation::Local(PathBuf::from("/var/store")));
        let l: StoreLocation = "relative/store".parse().unwrap();
        assert_eq!(l, StoreLocation::Local(PathBuf::from("relative/store")));
        for bad in [
            "s3:///prefix",
            "s3://bucket:9000/p",
            "s3://bucket/p?region=x",
            "gs://bucket/p",
        ] {
            assert!(bad.parse::<StoreLocation>().is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn object_paths_and_urls_stay_under_the_prefix() {
        let url = Url::parse("s3://bucket/a%20b/store/").unwrap();
        let o = Objects {
            store: Arc::new(object_store::memory::InMemory::new()),
            url: url.clone(),
            prefix: ObjectPath::from_url_path(url.path()).unwrap(),
        };
        assert_eq!(o.path("tables/flows").as_ref(), "a b/store/tables/flows");
        assert_eq!(
            o.url_of("tables/flows/").unwrap().as_str(),
            "s3://bucket/a%20b/store/tables/flows/"
        );
        assert_eq!(o.bucket_url().as_str(), "s3://bucket/");
    }
}
