//! Locating the real sample data in `../shared/data` for tests.
//!
//! The data lives beside the project, not in it. A test that needs it calls
//! [`shared_data`]: when the data is missing the test is skipped with a printed
//! reason, except under `CI=true`, where a missing data set is a failure (CI
//! always has it, so its absence means the tests silently tested nothing).

use std::path::PathBuf;

/// Folder of the shared data: `BORDERSCOPE_SHARED_DATA`, else `../shared/data`
/// relative to the workspace root.
pub fn shared_root() -> PathBuf {
    if let Ok(p) = std::env::var("BORDERSCOPE_SHARED_DATA") {
        return PathBuf::from(p);
    }
    // Every crate is `crates/NAME`, two below the workspace root. Cargo and
    // nextest give a test its crate's folder at run time; that is preferred
    // to this crate's folder at build time, which is wrong when a target
    // folder shared between checkouts reuses a build made in another one.
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let path = crate_dir.join("../../../shared/data");
    path.canonicalize().unwrap_or(path)
}

/// Path of `rel` inside the shared data, or `None` (after printing why) when it
/// is absent outside CI. Panics when it is absent under `CI=true`.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let path = shared_root().join(rel);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
        panic!(
            "shared data {} is missing under CI=true; CI must run with ../shared beside the project",
            path.display()
        );
    }
    eprintln!("SKIPPED: shared data {} is absent", path.display());
    None
}

/// Like [`shared_data`], returning from the calling test when the data is absent.
#[macro_export]
macro_rules! require_shared {
    ($rel:expr) => {
        match $crate::shared_data($rel) {
            Some(p) => p,
            None => return,
        }
    };
}

/// Path of an external program CI installs (`chromium`, `stix2_validator`),
/// or `None` (after printing why) when it is not on `PATH` outside CI.
/// Panics when it is missing under `CI=true`: `.ci/run` installs it.
pub fn external_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_some() {
        return found;
    }
    if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
        panic!("{name} is not installed under CI=true; .ci/run must install it");
    }
    eprintln!("SKIPPED: {name} is not installed");
    None
}
