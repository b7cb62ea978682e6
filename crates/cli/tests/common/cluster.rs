//! A Ballista cluster of `borderscope cluster` processes on 127.0.0.1 for
//! the tests that compare it with the embedded engine.

// Each test file that includes this uses part of it.
#![allow(dead_code)]

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::common::bin;

/// Child processes of the test, killed when it ends however it ends.
pub struct Processes {
    pub children: Vec<(String, Child, PathBuf)>,
}

impl Processes {
    /// Each process's log, for a failure message.
    pub fn logs(&self) -> String {
        self.children
            .iter()
            .map(|(name, _, log)| {
                format!(
                    "--- {name} ---\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                )
            })
            .collect()
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for (_, child, _) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A port that was free a moment ago. Another process could take it before
/// ours binds it; the wait for the port then fails with the process's log.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Cluster {
    pub url: String,
    pub processes: Processes,
}

impl Cluster {
    /// A scheduler and `executors` executors, each started with `global`
    /// (the options every cluster process shares with its clients).
    pub fn start(dir: &Path, global: &[&str], executors: usize) -> Cluster {
        Self::start_with(dir, global, executors, &[], &[])
    }

    /// [`Cluster::start`] with more options for the scheduler and for each
    /// executor.
    pub fn start_with(
        dir: &Path,
        global: &[&str],
        executors: usize,
        scheduler_options: &[&str],
        executor_options: &[&str],
    ) -> Cluster {
        Self::start_in_env(
            dir,
            &[],
            global,
            executors,
            scheduler_options,
            executor_options,
        )
    }

    /// [`Cluster::start_with`], each process with the environment
    /// variables `env` besides the test's own.
    pub fn start_in_env(
        dir: &Path,
        env: &[(&str, &str)],
        global: &[&str],
        executors: usize,
        scheduler_options: &[&str],
        executor_options: &[&str],
    ) -> Cluster {
        let mut processes = Processes {
            children: Vec::new(),
        };
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        spawn(
            &mut processes,
            dir,
            "scheduler",
            env,
            global,
            &[
                &["cluster", "scheduler", "--bind", &bind],
                scheduler_options,
            ]
            .concat(),
            port,
        );
        for i in 0..executors {
            let (flight, grpc) = (free_port(), free_port());
            let work = dir.join(format!("executor-{i}"));
            spawn(
                &mut processes,
                dir,
                &format!("executor-{i}"),
                env,
                global,
                &[
                    &[
                        "cluster",
                        "executor",
                        "--scheduler",
                        &bind,
                        "--bind",
                        &format!("127.0.0.1:{flight}"),
                        "--grpc-port",
                        &grpc.to_string(),
                        "--work-dir",
                        work.to_str().unwrap(),
                        "--concurrency",
                        "2",
                    ],
                    executor_options,
                ]
                .concat(),
                flight,
            );
        }
        Cluster {
            url: format!("df://{bind}"),
            processes,
        }
    }
}

/// Starts `borderscope GLOBAL ARGS` with `env` and its output in
/// `dir/NAME.log`, and waits until it listens on `port`.
pub fn spawn(
    p: &mut Processes,
    dir: &Path,
    name: &str,
    env: &[(&str, &str)],
    global: &[&str],
    args: &[&str],
    port: u16,
) {
    let log = dir.join(format!("{name}.log"));
    let out = File::create(&log).unwrap();
    let child = bin()
        .env("BORDERSCOPE_LOG", "warn")
        .envs(env.iter().copied())
        .args(global)
        .args(args)
        .stdout(Stdio::from(out.try_clone().unwrap()))
        .stderr(Stdio::from(out))
        .spawn()
        .unwrap();
    p.children.push((name.to_string(), child, log));
    // Bounded: a process that cannot start says why in its log.
    for _ in 0..600 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        let (_, child, _) = p.children.last_mut().unwrap();
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{name} exited ({status}) before listening:\n{}", p.logs());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "{name} did not listen on port {port} within 60 s:\n{}",
        p.logs()
    );
}
