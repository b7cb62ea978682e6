//! Helpers the command-line tests share: the binary with borderscope's
//! environment cleared, and a run that must succeed.

use std::path::Path;
use std::process::{Command, Output};

/// The `borderscope` binary, unaffected by the caller's `BORDERSCOPE_*`.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_borderscope"));
    c.env_remove("BORDERSCOPE_STORE")
        .env_remove("BORDERSCOPE_MMDB")
        .env_remove("BORDERSCOPE_INTERNAL")
        .env_remove("BORDERSCOPE_COUNTRY")
        .env_remove("BORDERSCOPE_CONSTITUENCY");
    c
}

/// Runs `borderscope --store STORE ARGS...`, failing the test with its
/// output unless it succeeds.
pub fn run(store: &Path, args: &[&str]) -> Output {
    let o = bin().arg("--store").arg(store).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}
