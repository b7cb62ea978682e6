//! Running the engine's plans on an Apache DataFusion Ballista cluster.
//!
//! The same plans run embedded or on a cluster; what changes is where the
//! session sends them. Three kinds of process take part, and each needs
//! borderscope's SQL functions ([`crate::udf::register_functions`]):
//!
//! - the **client** (`borderscope --cluster df://HOST:PORT query|detect|report`)
//!   plans, resolves the store's pinned Delta versions to Parquet files
//!   ([`borderscope_store::Snapshot::register_files`]) and sends the logical
//!   plan to the scheduler;
//! - the **scheduler** (`borderscope cluster scheduler`) decodes and
//!   optimises it in a session from [`scheduler_session`] and splits it into
//!   stages;
//! - **executors** (`borderscope cluster executor`) decode stage plans with
//!   the functions of [`executor_registry`] and run them.
//!
//! Functions that answer from state (geolocation databases, the
//! constituency) are looked up by name on each process, so every process
//! must be started with the same `--mmdb`, `--country`, `--internal` and
//! `--constituency` options. That is checked, not assumed: the codecs here
//! write the client's [`FunctionContext::describe`] into every plan that
//! calls such a function, and a scheduler or executor whose own description
//! differs refuses the plan with both descriptions in the error. The brand
//! registry of `phish_score` and `phish_brand` is the client's choice per
//! command (`--brands`), so the codecs write the registry itself into the
//! plan and the other processes score with it.
//!
//! Detectors stage intermediate results; on a cluster the engine gives the
//! client session a [`borderscope_store::staging::StagingArea`], so they
//! become Parquet files under the store that executors read. The small
//! in-memory tables detectors build themselves (allow-lists, page
//! evidence) Ballista cannot ship, so [`PlanCodec`] writes their batches
//! into the plan as Arrow IPC.

use std::fmt;
use std::io::Cursor;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context};
use ballista_core::config::{
    BALLISTA_ADAPTIVE_PLANNER_ENABLED, BALLISTA_CLIENT_GRPC_MAX_MESSAGE_SIZE,
};
use ballista_core::extension::{SessionConfigExt, SessionStateExt};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use borderscope_phish::{Registry, Scorer};
use borderscope_store::ObjectStores;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::common::{plan_datafusion_err, DataFusionError, Result, TableReference};
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::datasource::MemTable;
use datafusion::execution::context::SessionState;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{AggregateUDF, Extension, LogicalPlan, ScalarUDF, WindowUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};

use crate::udf::{register_functions, register_udfs, scalar_udfs, stateful_function_names};
use crate::FunctionContext;

/// Largest gRPC message any cluster process sends or accepts. Plans carry
/// in-memory tables and the brand registry (see [`PlanCodec`]); Ballista's
/// default of 16 MiB leaves too little room for a long allow-list.
pub const MAX_MESSAGE_BYTES: u32 = 512 * 1024 * 1024;

/// Port a Ballista scheduler listens on unless told otherwise.
pub const DEFAULT_SCHEDULER_PORT: u16 = 50050;

/// Where the scheduler is: `df://HOST[:PORT]`, Ballista's own notation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterUrl {
    host: String,
    port: u16,
}

impl ClusterUrl {
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The scheduler's gRPC endpoint, as Ballista's client wants it.
    pub fn scheduler_endpoint(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }
}

impl fmt::Display for ClusterUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "df://{}:{}", self.host, self.port)
    }
}

impl FromStr for ClusterUrl {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> anyhow::Result<Self> {
        let url = url::Url::parse(s.trim()).with_context(|| {
            format!("{s:?} is not a cluster address such as df://127.0.0.1:50050")
        })?;
        if url.scheme() != "df" {
            bail!("{s:?}: a cluster address starts with df:// (e.g. df://127.0.0.1:50050)");
        }
        let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
            bail!("{s:?}: the cluster address names no scheduler host");
        };
        if !(url.path().is_empty() || url.path() == "/") || url.query().is_some() {
            bail!("{s:?}: a cluster address is df://HOST:PORT, nothing after the port");
        }
        Ok(ClusterUrl {
            host: host.to_string(),
            port: url.port().unwrap_or(DEFAULT_SCHEDULER_PORT),
        })
    }
}

/// A session for the scheduler: Ballista's defaults for a configuration
/// the client sent, plus borderscope's functions. Ballista builds one per
/// client session (its `override_session_builder`).
///
/// Its object stores are this process's [`ObjectStores`]: planning lists
/// the Parquet files a client's plan names, which are `s3://` URLs for a
/// store on S3.
pub fn scheduler_session(config: SessionConfig, f: &FunctionContext) -> Result<SessionState> {
    let state = ballista_core::utils::default_session_builder(config)?;
    let runtime = RuntimeEnvBuilder::from_runtime_env(state.runtime_env())
        .with_object_store_registry(ObjectStores::shared())
        .build_arc()?;
    let mut state = SessionStateBuilder::new_from_existing(state)
        .with_runtime_env(runtime)
        .build();
    register_functions(&mut state, f)?;
    Ok(state)
}

/// The runtime of an executor's tasks: spill files in `work_dir`, and this
/// process's [`ObjectStores`], so the store's Parquet files resolve
/// whether they are `file://` or `s3://` URLs.
pub fn executor_runtime(work_dir: &str) -> Result<Arc<RuntimeEnv>> {
    RuntimeEnvBuilder::new()
        .with_temp_file_path(work_dir)
        .with_object_store_registry(ObjectStores::shared())
        .build_arc()
}

/// The functions an executor decodes plans with: DataFusion's and
/// borderscope's, the same set as [`scheduler_session`].
pub fn executor_registry(f: &FunctionContext) -> Result<BallistaFunctionRegistry> {
    let state = scheduler_session(SessionConfig::new_with_ballista(), f)?;
    Ok(BallistaFunctionRegistry::from(&state))
}

/// Optimizer rules the client must not apply before sending a plan.
///
/// The client optimises a plan, serialises it and the scheduler decodes it.
/// DataFusion 55's leaf-expression extraction moves struct field accesses
/// (`median(p['period_s'])` in `detect c2`) into columns named
/// `__datafusion_extracted_N` that later nodes refer to with a qualifier
/// the serialised plan does not keep; the scheduler then refuses the plan
/// ("No field named median(__datafusion_extracted_29)"). The scheduler
/// optimises the decoded plan again with every rule, so skipping them here
/// costs nothing.
const CLIENT_SKIPPED_RULES: [&str; 2] = ["extract_leaf_expressions", "push_down_leaf_projections"];

/// A client session whose plans run on the cluster at `url`, with
/// `config` (the embedded engine's settings) and borderscope's functions.
///
/// Ballista's upgrade replaces the state's function lists with its own, so
/// the functions are registered on the upgraded session, not before.
pub async fn client_context(
    url: &ClusterUrl,
    config: SessionConfig,
    f: &FunctionContext,
) -> anyhow::Result<SessionContext> {
    // Ballista connects lazily, at the first query; a dead address would
    // then fail deep inside a detector. Ask once, now, with a plain answer.
    tokio::net::TcpStream::connect((url.host(), url.port()))
        .await
        .with_context(|| {
            format!(
                "cannot reach the Ballista scheduler at {url}; start one with `borderscope cluster scheduler` or run without --cluster"
            )
        })?;
    let config = config
        .upgrade_for_ballista()
        // Ballista 55's adaptive planner re-plans stages while they run;
        // on `detect c2` its stage metrics stop matching the plans the
        // executors report and the job never completes ("task metrics
        // array size 33 does not equal with the stage metrics array size
        // 34"). The static planner runs the same plans to the end.
        .set_bool(BALLISTA_ADAPTIVE_PLANNER_ENABLED, false)
        .set_usize(
            BALLISTA_CLIENT_GRPC_MAX_MESSAGE_SIZE,
            MAX_MESSAGE_BYTES as usize,
        )
        .with_ballista_logical_extension_codec(Arc::new(PlanCodec::new(f.clone())?));
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .build()
        .upgrade_for_ballista(url.scheduler_endpoint())
        .with_context(|| format!("cannot set up a session on {url}"))?;
    let rules = state
        .optimizers()
        .iter()
        .filter(|r| !CLIENT_SKIPPED_RULES.contains(&r.name()))
        .cloned()
        .collect();
    let state = SessionStateBuilder::new_from_existing(state)
        .with_optimizer_rules(rules)
        .build();
    let ctx = SessionContext::new_with_state(state);
    register_udfs(&ctx, f)?;
    Ok(ctx)
}

/// Marks a function definition written by these codecs: the function
/// context of the process that wrote the plan.
const FUNCTIONS_TAG: &[u8] = b"borderscope-functions:";
/// Marks a phishing function's definition: the brand registry (JSON) it
/// scores with.
const BRANDS_TAG: &[u8] = b"borderscope-brands:";
/// Marks an in-memory table written into a plan.
const MEMTABLE_TAG: &[u8] = b"borderscope-memtable:";

/// A brand registry a plan brought (JSON) and the scorer built from it.
type Received = (Arc<str>, Arc<Scorer>);

/// The part of a codec both directions share: which functions this process
/// has, described and built.
///
/// Two kinds of state are treated differently. Geolocation and the
/// constituency come from files each process opens itself, so a plan only
/// names them (by description) and a process whose own differ refuses it.
/// The brand registry is small and the client's choice per command
/// (`--brands`), so it travels inside the plan and executors score with it.
#[derive(Clone)]
struct Functions {
    context: FunctionContext,
    description: String,
    /// This process's registry as [`Registry::to_json`] writes it.
    brands: Arc<str>,
    /// The scorer of the registry a plan last brought, by its JSON: the
    /// stages of one job all bring the same one.
    received: Arc<Mutex<Option<Received>>>,
}

impl Functions {
    fn new(context: FunctionContext) -> anyhow::Result<Self> {
        let description = context.describe();
        let brands = context.phish.registry().to_json()?.into();
        Ok(Functions {
            context,
            description,
            brands,
            received: Arc::default(),
        })
    }

    fn encode(&self, udf: &ScalarUDF, buf: &mut Vec<u8>) -> Result<bool> {
        if let Some(scorer) = borderscope_phish::udf::scorer_of(udf) {
            buf.extend_from_slice(BRANDS_TAG);
            buf.extend_from_slice(self.brands_json(&scorer)?.as_bytes());
            return Ok(true);
        }
        if !stateful_function_names().contains(&udf.name()) {
            return Ok(false);
        }
        buf.extend_from_slice(FUNCTIONS_TAG);
        buf.extend_from_slice(self.description.as_bytes());
        Ok(true)
    }

    /// The registry `scorer` answers from, as JSON: the scheduler passes on
    /// to executors the registry the client sent, not its own.
    fn brands_json(&self, scorer: &Arc<Scorer>) -> Result<Arc<str>> {
        if Arc::ptr_eq(scorer, &self.context.phish) {
            return Ok(self.brands.clone());
        }
        if let Some((json, received)) = &*self.last_received()? {
            if Arc::ptr_eq(scorer, received) {
                return Ok(json.clone());
            }
        }
        let json = scorer
            .registry()
            .to_json()
            .map_err(|e| plan_datafusion_err!("{e:#}"))?;
        Ok(json.into())
    }

    fn last_received(&self) -> Result<std::sync::MutexGuard<'_, Option<Received>>> {
        self.received
            .lock()
            .map_err(|_| plan_datafusion_err!("a thread failed while reading a brand registry"))
    }

    /// The function `name` as the process that wrote the plan has it: this
    /// process's own geolocation function when the plan was written with the
    /// same context, a phishing function with the plan's registry; `None`
    /// when `buf` is not ours.
    fn decode(&self, name: &str, buf: &[u8]) -> Option<Result<Arc<ScalarUDF>>> {
        if let Some(brands) = buf.strip_prefix(BRANDS_TAG) {
            return Some(self.phish_function(name, brands));
        }
        let theirs = buf.strip_prefix(FUNCTIONS_TAG)?;
        let theirs = String::from_utf8_lossy(theirs);
        if theirs != self.description {
            return Some(Err(plan_datafusion_err!(
                "`{name}` would answer differently here than where the query was planned: \
                 start every cluster process with the same --mmdb, --country, --internal and \
                 --constituency options.\n  planned with: {theirs}\n  this process has: {}",
                self.description
            )));
        }
        Some(find_udf(scalar_udfs(&self.context), name))
    }

    /// `phish_score` or `phish_brand` scoring with the registry the plan
    /// brought (`brands`, JSON).
    fn phish_function(&self, name: &str, brands: &[u8]) -> Result<Arc<ScalarUDF>> {
        let brands = std::str::from_utf8(brands)
            .map_err(|_| plan_datafusion_err!("the brand registry in the plan is not UTF-8"))?;
        let scorer = if brands == &*self.brands {
            self.context.phish.clone()
        } else {
            self.received_scorer(brands)?
        };
        find_udf(borderscope_phish::udf::scalar_udfs(scorer), name)
    }

    fn received_scorer(&self, brands: &str) -> Result<Arc<Scorer>> {
        let mut last = self.last_received()?;
        if let Some((json, scorer)) = &*last {
            if &**json == brands {
                return Ok(scorer.clone());
            }
        }
        let registry = Registry::from_json(brands)
            .map_err(|e| plan_datafusion_err!("the brand registry in the plan: {e:#}"))?;
        let scorer = Arc::new(Scorer::new(registry));
        *last = Some((brands.into(), scorer.clone()));
        Ok(scorer)
    }
}

fn find_udf(udfs: Vec<ScalarUDF>, name: &str) -> Result<Arc<ScalarUDF>> {
    udfs.into_iter()
        .find(|u| u.name() == name)
        .map(Arc::new)
        .ok_or_else(|| plan_datafusion_err!("no borderscope function named `{name}`"))
}

/// Logical-plan codec of the client and the scheduler: Ballista's own, plus
/// in-memory tables (as Arrow IPC) and the function-context check.
pub struct PlanCodec {
    inner: BallistaLogicalExtensionCodec,
    functions: Functions,
}

impl PlanCodec {
    pub fn new(f: FunctionContext) -> anyhow::Result<Self> {
        Ok(PlanCodec {
            inner: BallistaLogicalExtensionCodec::default(),
            functions: Functions::new(f)?,
        })
    }
}

impl fmt::Debug for PlanCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlanCodec")
            .field("functions", &self.functions.description)
            .finish_non_exhaustive()
    }
}

fn encode_mem_table(table: &MemTable, buf: &mut Vec<u8>) -> Result<()> {
    buf.extend_from_slice(MEMTABLE_TAG);
    buf.extend_from_slice(&(table.batches.len() as u64).to_le_bytes());
    for partition in &table.batches {
        // Staged tables are written once and only read afterwards; a held
        // write lock would mean someone is still filling it.
        let batches = partition.try_read().map_err(|_| {
            DataFusionError::Plan("an in-memory table is being written while planning".into())
        })?;
        let mut ipc = Vec::new();
        {
            let mut w = StreamWriter::try_new(&mut ipc, &table.schema())?;
            for b in batches.iter() {
                w.write(b)?;
            }
            w.finish()?;
        }
        buf.extend_from_slice(&(ipc.len() as u64).to_le_bytes());
        buf.extend_from_slice(&ipc);
    }
    Ok(())
}

fn decode_mem_table(mut buf: &[u8], schema: SchemaRef) -> Result<MemTable> {
    let bad = || DataFusionError::Plan("truncated in-memory table in the plan".into());
    let mut take = |n: usize| -> Result<&[u8]> {
        if buf.len() < n {
            return Err(bad());
        }
        let (head, rest) = buf.split_at(n);
        buf = rest;
        Ok(head)
    };
    let count = u64::from_le_bytes(take(8)?.try_into().map_err(|_| bad())?);
    let mut partitions = Vec::new();
    for _ in 0..count {
        let len = u64::from_le_bytes(take(8)?.try_into().map_err(|_| bad())?) as usize;
        let reader = StreamReader::try_new(Cursor::new(take(len)?), None)?;
        let batches = reader.collect::<std::result::Result<Vec<RecordBatch>, _>>()?;
        partitions.push(batches);
    }
    MemTable::try_new(schema, partitions)
}

impl LogicalExtensionCodec for PlanCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.inner.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        match buf.strip_prefix(MEMTABLE_TAG) {
            Some(rest) => Ok(Arc::new(decode_mem_table(rest, schema)?)),
            None => self
                .inner
                .try_decode_table_provider(buf, table_ref, schema, ctx),
        }
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        match node.downcast_ref::<MemTable>() {
            Some(table) => encode_mem_table(table, buf),
            None => self.inner.try_encode_table_provider(table_ref, node, buf),
        }
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.inner.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        match self.functions.decode(name, buf) {
            Some(udf) => udf,
            None => self.inner.try_decode_udf(name, buf),
        }
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        if self.functions.encode(node, buf)? {
            return Ok(());
        }
        self.inner.try_encode_udf(node, buf)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        self.inner.try_decode_udaf(name, buf)
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udaf(node, buf)
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        self.inner.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udwf(node, buf)
    }
}

/// Physical-plan codec of the scheduler and the executors: Ballista's own,
/// plus the function-context check on stage plans.
pub struct StageCodec {
    inner: BallistaPhysicalExtensionCodec,
    functions: Functions,
}

impl StageCodec {
    pub fn new(f: FunctionContext) -> anyhow::Result<Self> {
        Ok(StageCodec {
            inner: BallistaPhysicalExtensionCodec::default(),
            functions: Functions::new(f)?,
        })
    }
}

impl fmt::Debug for StageCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StageCodec")
            .field("functions", &self.functions.description)
            .finish_non_exhaustive()
    }
}

impl PhysicalExtensionCodec for StageCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.inner.try_decode(buf, inputs, ctx, proto_converter)
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        self.inner.try_encode(node, buf, proto_converter)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        match self.functions.decode(name, buf) {
            Some(udf) => udf,
            None => self.inner.try_decode_udf(name, buf),
        }
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        if self.functions.encode(node, buf)? {
            return Ok(());
        }
        self.inner.try_encode_udf(node, buf)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        self.inner.try_decode_udaf(name, buf)
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udaf(node, buf)
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        self.inner.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udwf(node, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use borderscope_geo::GeoDb;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    fn functions(internal: &str) -> FunctionContext {
        let mut f = FunctionContext::new(Arc::new(GeoDb::builtin()));
        f.constituency = Arc::new(
            borderscope_geo::Constituency::default().with_networks([internal.parse().unwrap()]),
        );
        f
    }

    #[test]
    fn cluster_addresses() {
        let u: ClusterUrl = "df://127.0.0.1:50051".parse().unwrap();
        assert_eq!(u.scheduler_endpoint(), "http://127.0.0.1:50051");
        assert_eq!(u.to_string(), "df://127.0.0.1:50051");
        let u: ClusterUrl = "df://sched.example".parse().unwrap();
        assert_eq!(u.port(), DEFAULT_SCHEDULER_PORT);
        for bad in [
            "http://127.0.0.1:50050",
            "127.0.0.1:50050",
            "df://",
            "df://h:1/x",
        ] {
            assert!(bad.parse::<ClusterUrl>().is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn in_memory_tables_cross_the_plan_codec() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("ip", DataType::Utf8, true),
            Field::new("n", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec![Some("10.0.0.1"), None])),
                Arc::new(Int64Array::from(vec![1, 2])),
            ],
        )
        .unwrap();
        let table = MemTable::try_new(schema.clone(), vec![vec![batch.clone()], vec![]]).unwrap();
        let codec = PlanCodec::new(functions("192.0.2.0/24")).unwrap();
        let mut buf = Vec::new();
        let name = TableReference::bare("t");
        codec
            .try_encode_table_provider(&name, Arc::new(table), &mut buf)
            .unwrap();
        let ctx = TaskContext::default();
        let back = codec
            .try_decode_table_provider(&buf, &name, schema, &ctx)
            .unwrap();
        let back = back.downcast_ref::<MemTable>().unwrap();
        assert_eq!(back.batches.len(), 2);
        let first = back.batches[0].try_read().unwrap();
        assert_eq!(first.as_slice(), [batch]);
        assert!(back.batches[1].try_read().unwrap().is_empty());
    }

    #[test]
    fn a_process_with_other_functions_refuses_the_plan() {
        let client = PlanCodec::new(functions("192.0.2.0/24")).unwrap();
        let same = PlanCodec::new(functions("192.0.2.0/24")).unwrap();
        let other = StageCodec::new(functions("198.51.100.0/24")).unwrap();
        let udf = scalar_udfs(&client.functions.context)
            .into_iter()
            .find(|u| u.name() == "ip_is_internal")
            .unwrap();
        let mut buf = Vec::new();
        client.try_encode_udf(&udf, &mut buf).unwrap();
        assert!(!buf.is_empty(), "stateful functions carry their context");
        assert_eq!(
            same.try_decode_udf("ip_is_internal", &buf).unwrap().name(),
            "ip_is_internal"
        );
        let err = other
            .try_decode_udf("ip_is_internal", &buf)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("198.51.100.0/24") && err.contains("192.0.2.0/24"),
            "{err}"
        );
        // Pure functions are looked up by name as usual.
        let pure = scalar_udfs(&client.functions.context)
            .into_iter()
            .find(|u| u.name() == "ip_in_network")
            .unwrap();
        let mut buf = Vec::new();
        client.try_encode_udf(&pure, &mut buf).unwrap();
        assert!(buf.is_empty());
    }

    #[test]
    fn the_clients_brand_registry_reaches_the_executors() {
        let user = r#"
            [[brand]]
            name = "Lantern Bank"
            country = "CN"
            domains = ["lanternbank.cn"]
            keywords = ["lanternbank"]
        "#;
        let mut registry = Registry::builtin();
        registry.extend(Registry::parse(user, std::path::Path::new(".")).unwrap());
        let client_functions = functions("192.0.2.0/24").with_brands(registry);
        let client = PlanCodec::new(client_functions.clone()).unwrap();
        // The scheduler and the executor were started with the built-in
        // registry only.
        let scheduler = StageCodec::new(functions("192.0.2.0/24")).unwrap();
        let executor = StageCodec::new(functions("192.0.2.0/24")).unwrap();
        let udf = scalar_udfs(&client_functions)
            .into_iter()
            .find(|u| u.name() == "phish_brand")
            .unwrap();
        let mut planned = Vec::new();
        client.try_encode_udf(&udf, &mut planned).unwrap();
        let on_scheduler = scheduler.try_decode_udf("phish_brand", &planned).unwrap();
        let mut staged = Vec::new();
        scheduler
            .try_encode_udf(&on_scheduler, &mut staged)
            .unwrap();
        assert_eq!(
            staged, planned,
            "the scheduler passes the client's registry on"
        );
        let on_executor = executor.try_decode_udf("phish_brand", &staged).unwrap();
        let scorer = borderscope_phish::udf::scorer_of(&on_executor).unwrap();
        let id = scorer.registry().by_name("Lantern Bank");
        assert!(id.is_some(), "the executor scores with the client's brands");
        assert!(Registry::builtin().by_name("Lantern Bank").is_none());
    }
}
