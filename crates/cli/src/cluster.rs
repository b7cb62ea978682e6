//! `borderscope cluster scheduler` and `borderscope cluster executor`:
//! Apache DataFusion Ballista's processes with borderscope's SQL functions,
//! so that `--cluster` can run the same plans as the embedded engine.
//!
//! Ballista's own binaries cannot do this: they know only DataFusion's
//! functions, and a plan calling `ip_country` or `beacon_score` would fail
//! to decode. Both processes take the global `--mmdb`, `--country`,
//! `--internal` and `--constituency` options, which must match the
//! client's; plans carry the client's function context and a process with
//! another one refuses them (see `borderscope_engine::cluster`).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use ballista_core::serde::protobuf::{ShuffleWritePartition, TaskColumnStats};
use ballista_core::JobId;
use ballista_executor::execution_engine::{
    DefaultExecutionEngine, ExecutionEngine, QueryStageExecutor,
};
use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::{SchedulerConfig, TaskDistributionPolicy};
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use borderscope_engine::cluster::{
    executor_registry, executor_runtime, scheduler_session, PlanCodec, StageCodec,
    MAX_MESSAGE_BYTES,
};
use borderscope_engine::{ClusterUrl, FunctionContext};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::metrics::MetricsSet;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionConfig;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Run a scheduler: it receives plans from `--cluster` clients, splits
    /// them into stages and hands the stages to executors.
    Scheduler(SchedulerArgs),
    /// Run an executor: it registers with a scheduler and runs the stages it
    /// is given, reading the store's Parquet files itself.
    Executor(ExecutorArgs),
}

#[derive(clap::Args)]
pub struct SchedulerArgs {
    /// Address to listen on for clients and executors. Loopback by default:
    /// the scheduler has no authentication, so listening on another address
    /// opens it to that network.
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub bind: SocketAddr,
    /// Host name clients and executors reach this scheduler by, when it is
    /// not the bind address (e.g. when binding 0.0.0.0).
    #[arg(long)]
    pub advertise: Option<String>,
    /// Seconds after a job ends before the executors delete its shuffle
    /// files (0 keeps them).
    #[arg(long, default_value_t = 60)]
    pub clean_job_data_after: u64,
    /// Seconds without a heartbeat after which an executor counts as lost
    /// and its tasks run elsewhere; keep it above the executors'
    /// `--heartbeat`.
    #[arg(long, default_value_t = 180)]
    pub executor_timeout: u64,
}

#[derive(clap::Args)]
pub struct ExecutorArgs {
    /// The scheduler to register with: HOST:PORT or df://HOST:PORT.
    #[arg(long)]
    pub scheduler: String,
    /// Address of the executor's Arrow Flight service, which serves stage
    /// results to other executors and to clients. Loopback by default.
    #[arg(long, default_value = "127.0.0.1:50051")]
    pub bind: SocketAddr,
    /// Port of the executor's gRPC (task) service, on the bind address;
    /// default: the Flight port + 1.
    #[arg(long)]
    pub grpc_port: Option<u16>,
    /// Host name the scheduler, other executors and clients reach this
    /// executor by, when it is not the bind address.
    #[arg(long)]
    pub advertise: Option<String>,
    /// Folder for shuffle files (default: a temporary folder, removed when
    /// the executor exits normally).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Tasks run at once (default: the number of CPUs).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Seconds between heartbeats to the scheduler.
    #[arg(long, default_value_t = 60)]
    pub heartbeat: u64,
}

pub async fn run(functions: FunctionContext, cmd: &Command) -> Result<ExitCode> {
    match cmd {
        Command::Scheduler(a) => scheduler(functions, a).await,
        Command::Executor(a) => executor(functions, a).await,
    }
}

/// The name others reach a process by: `--advertise`, else the bind
/// address, which must then be a concrete one.
fn advertised(bind: &SocketAddr, advertise: &Option<String>) -> Result<String> {
    match advertise {
        Some(a) => Ok(a.clone()),
        None if bind.ip().is_unspecified() => bail!(
            "binding {} listens on every interface; say with --advertise which host name the others should use",
            bind.ip()
        ),
        None => Ok(bind.ip().to_string()),
    }
}

fn warn_if_exposed(what: &str, ip: IpAddr) {
    if !ip.is_loopback() {
        eprintln!(
            "warning: the {what} listens on {ip}, beyond this machine; Ballista has no authentication"
        );
    }
}

async fn scheduler(functions: FunctionContext, a: &SchedulerArgs) -> Result<ExitCode> {
    warn_if_exposed("scheduler", a.bind.ip());
    let session_functions = functions.clone();
    let config = SchedulerConfig {
        bind_host: a.bind.ip().to_string(),
        bind_port: a.bind.port(),
        external_host: advertised(&a.bind, &a.advertise)?,
        finished_job_data_clean_up_interval_seconds: a.clean_job_data_after,
        executor_timeout_seconds: a.executor_timeout,
        grpc_server_max_decoding_message_size: MAX_MESSAGE_BYTES,
        grpc_server_max_encoding_message_size: MAX_MESSAGE_BYTES,
        grpc_client_max_message_size: MAX_MESSAGE_BYTES,
        // Ballista's default fills one executor's slots before the next;
        // with one scheduler its docs recommend spreading tasks evenly.
        task_distribution: TaskDistributionPolicy::RoundRobin,
        // With no executor left, fail running jobs after the same time
        // rather than let a client wait for ever.
        no_executors_grace_period_seconds: a.executor_timeout,
        override_logical_codec: Some(Arc::new(PlanCodec::new(functions.clone())?)),
        override_physical_codec: Some(Arc::new(StageCodec::new(functions.clone())?)),
        ..SchedulerConfig::default()
    }
    .with_override_session_builder(Arc::new(move |config| {
        scheduler_session(config, &session_functions)
    }));
    config.validate().context("scheduler configuration")?;
    let config = Arc::new(config);
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .context("cannot set up the scheduler's cluster state")?;
    let scheduler = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, config)
        .await
        .context("cannot start the scheduler")?;
    let listener = tokio::net::TcpListener::bind(a.bind)
        .await
        .with_context(|| format!("scheduler cannot listen on {}", a.bind))?;
    eprintln!(
        "borderscope scheduler listening on {} (clients: --cluster df://{}); functions: {}",
        a.bind,
        a.bind,
        functions.describe()
    );
    start_grpc_service_with_listener(listener, scheduler)
        .await
        .context("scheduler stopped")?;
    Ok(ExitCode::SUCCESS)
}

/// `HOST:PORT` or `df://HOST:PORT`.
fn scheduler_address(s: &str) -> Result<ClusterUrl> {
    if s.contains("://") {
        s.parse()
    } else {
        format!("df://{s}").parse()
    }
}

async fn executor(functions: FunctionContext, a: &ExecutorArgs) -> Result<ExitCode> {
    warn_if_exposed("executor", a.bind.ip());
    let scheduler = scheduler_address(&a.scheduler)?;
    let grpc_port = match a.grpc_port {
        Some(p) => p,
        None => a
            .bind
            .port()
            .checked_add(1)
            .with_context(|| format!("no port follows {}; give --grpc-port", a.bind.port()))?,
    };
    // Ballista's own default work folder is a temporary one it drops at
    // once; keep ours alive for the life of the process.
    let (_temp, work_dir) = match &a.work_dir {
        Some(d) => {
            std::fs::create_dir_all(d)
                .with_context(|| format!("cannot create work folder {}", d.display()))?;
            (None, d.clone())
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("borderscope-executor-")
                .tempdir()
                .context("cannot create a work folder")?;
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    let registry = executor_registry(&functions).context("cannot register the SQL functions")?;
    let spill_dir = work_dir.to_string_lossy().into_owned();
    let config = ExecutorProcessConfig {
        bind_host: a.bind.ip().to_string(),
        external_host: Some(advertised(&a.bind, &a.advertise)?),
        port: a.bind.port(),
        grpc_port,
        scheduler_host: scheduler.host().to_string(),
        scheduler_port: scheduler.port(),
        vcores: a.concurrency.unwrap_or(0),
        executor_heartbeat_interval_seconds: a.heartbeat,
        grpc_max_decoding_message_size: MAX_MESSAGE_BYTES,
        grpc_max_encoding_message_size: MAX_MESSAGE_BYTES,
        work_dir: Some(work_dir.to_string_lossy().into_owned()),
        override_function_registry: Some(Arc::new(registry)),
        // Ballista's own runtime knows only local files; ours also opens
        // the S3 buckets plans name, with this process's AWS settings.
        override_runtime_producer: Some(Arc::new(move |_| executor_runtime(&spill_dir))),
        override_logical_codec: Some(Arc::new(PlanCodec::new(functions.clone())?)),
        override_physical_codec: Some(Arc::new(StageCodec::new(functions.clone())?)),
        override_execution_engine: Some(Arc::new(WithoutOperatorMetrics(
            DefaultExecutionEngine::new(),
        ))),
        ..ExecutorProcessConfig::default()
    };
    eprintln!(
        "borderscope executor on {} (gRPC port {grpc_port}, work folder {}) for scheduler {scheduler}; functions: {}",
        a.bind,
        work_dir.display(),
        functions.describe()
    );
    start_executor_process(Arc::new(config))
        .await
        .with_context(|| format!("executor for scheduler {scheduler} stopped"))?;
    Ok(ExitCode::SUCCESS)
}

/// Ballista's execution engine, except that tasks report no per-operator
/// metrics to the scheduler.
///
/// Ballista 55's scheduler merges a task's operator metrics into its
/// stage's by position, and refuses the whole task status when the counts
/// differ. They do differ whenever an operator's metrics exist only once it
/// ran (a join side never executed for an empty partition): on `detect c2`
/// some tasks report 33 sets against the stage's 34, the scheduler never
/// records those tasks as done, and the job waits for ever. Without
/// operator metrics the scheduler skips the merge; it loses only the
/// per-operator figures of its stage display.
struct WithoutOperatorMetrics(DefaultExecutionEngine);

impl ExecutionEngine for WithoutOperatorMetrics {
    fn create_query_stage_exec(
        &self,
        job_id: JobId,
        stage_id: usize,
        task_id: usize,
        global_output_partition_ids: Vec<usize>,
        plan: Arc<dyn ExecutionPlan>,
        work_dir: &str,
        config: &SessionConfig,
    ) -> datafusion::error::Result<Arc<dyn QueryStageExecutor>> {
        let inner = self.0.create_query_stage_exec(
            job_id,
            stage_id,
            task_id,
            global_output_partition_ids,
            plan,
            work_dir,
            config,
        )?;
        Ok(Arc::new(StageWithoutOperatorMetrics(inner)))
    }
}

#[derive(Debug)]
struct StageWithoutOperatorMetrics(Arc<dyn QueryStageExecutor>);

impl std::fmt::Display for StageWithoutOperatorMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[async_trait::async_trait]
impl QueryStageExecutor for StageWithoutOperatorMetrics {
    async fn execute_query_stage(
        &self,
        task_id: usize,
        context: Arc<TaskContext>,
    ) -> datafusion::error::Result<Vec<ShuffleWritePartition>> {
        self.0.execute_query_stage(task_id, context).await
    }

    fn collect_plan_metrics(&self) -> Vec<MetricsSet> {
        Vec::new()
    }

    fn collect_runtime_stats_reports(
        &self,
    ) -> Vec<ballista_core::serde::protobuf::RuntimeStatsReport> {
        self.0.collect_runtime_stats_reports()
    }

    fn collect_window_state_reports(
        &self,
    ) -> datafusion::error::Result<Vec<ballista_core::serde::protobuf::WindowStateReport>> {
        self.0.collect_window_state_reports()
    }

    fn collect_column_stats(&self) -> Vec<TaskColumnStats> {
        self.0.collect_column_stats()
    }
}
