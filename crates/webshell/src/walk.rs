//! Walking a web root that may be hostile: symlink loops, links that leave the
//! root, trees deeper than any real site, FIFOs and devices, names in any
//! encoding. Each of these becomes a reported [`Entry::Problem`]; the walk
//! goes on with the neighbours.

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// One thing found under the root.
#[derive(Debug)]
pub enum Entry {
    /// A regular file to scan (`path` as reachable, `rel` relative to the root).
    File {
        path: PathBuf,
        rel: PathBuf,
        size: u64,
    },
    /// Something not scanned, and why.
    Problem { rel: PathBuf, reason: String },
}

struct Dir {
    path: PathBuf,
    rel: PathBuf,
    depth: usize,
    /// (device, inode) of this folder and its ancestors: seeing one again
    /// below itself is a loop.
    ancestors: Vec<(u64, u64)>,
}

/// Calls `visit` for every file and problem under `root`, depth-first, in
/// name order. Folders nested deeper than `max_depth` are reported, not
/// entered. Symlinks are followed only while they stay inside the root.
pub fn walk(root: &Path, max_depth: usize, visit: &mut dyn FnMut(Entry)) -> Result<()> {
    let canon = root
        .canonicalize()
        .with_context(|| format!("cannot open web root {}", root.display()))?;
    let meta =
        fs::metadata(&canon).with_context(|| format!("cannot read web root {}", root.display()))?;
    if meta.is_file() {
        let name = PathBuf::from(root.file_name().unwrap_or(root.as_os_str()));
        visit(Entry::File {
            path: root.to_path_buf(),
            rel: name,
            size: meta.len(),
        });
        return Ok(());
    }
    let mut seen = HashSet::new();
    seen.insert((meta.dev(), meta.ino()));
    let mut stack = vec![Dir {
        path: root.to_path_buf(),
        rel: PathBuf::new(),
        depth: 0,
        ancestors: vec![(meta.dev(), meta.ino())],
    }];
    while let Some(dir) = stack.pop() {
        let mut children = Vec::new();
        list_dir(&canon, &dir, max_depth, &mut seen, visit, &mut children);
        // Reverse so the stack pops them in name order.
        stack.extend(children.into_iter().rev());
    }
    Ok(())
}

fn list_dir(
    root: &Path,
    dir: &Dir,
    max_depth: usize,
    seen: &mut HashSet<(u64, u64)>,
    visit: &mut dyn FnMut(Entry),
    children: &mut Vec<Dir>,
) {
    let entries = match fs::read_dir(&dir.path) {
        Ok(e) => e,
        Err(e) => {
            return visit(Entry::Problem {
                rel: dir.rel.clone(),
                reason: format!("unreadable folder: {e}"),
            })
        }
    };
    let mut names: Vec<_> = entries
        .filter_map(|e| match e {
            Ok(e) => Some(e.file_name()),
            Err(err) => {
                visit(Entry::Problem {
                    rel: dir.rel.clone(),
                    reason: format!("folder listing failed part way: {err}"),
                });
                None
            }
        })
        .collect();
    names.sort();
    for name in names {
        let path = dir.path.join(&name);
        let rel = dir.rel.join(&name);
        match classify(root, &path) {
            Err(reason) => visit(Entry::Problem { rel, reason }),
            Ok(Kind::File(size)) => visit(Entry::File { path, rel, size }),
            Ok(Kind::Dir(id)) => {
                if dir.ancestors.contains(&id) {
                    visit(Entry::Problem {
                        rel,
                        reason: "symlink loop: leads back to a folder above it".into(),
                    });
                } else if !seen.insert(id) {
                    visit(Entry::Problem {
                        rel,
                        reason: "folder already scanned through another path (symlink)".into(),
                    });
                } else if dir.depth + 1 > max_depth {
                    visit(Entry::Problem {
                        rel,
                        reason: format!("folder deeper than {max_depth} levels: not entered"),
                    });
                } else {
                    let mut ancestors = dir.ancestors.clone();
                    ancestors.push(id);
                    children.push(Dir {
                        path,
                        rel,
                        depth: dir.depth + 1,
                        ancestors,
                    });
                }
            }
        }
    }
}

enum Kind {
    File(u64),
    Dir((u64, u64)),
}

/// What `path` is once symlinks are followed, or why it is not scanned.
fn classify(root: &Path, path: &Path) -> std::result::Result<Kind, String> {
    let link = fs::symlink_metadata(path).map_err(|e| format!("unreadable: {e}"))?;
    if link.file_type().is_symlink() {
        let target =
            fs::canonicalize(path).map_err(|e| format!("broken or looping symlink: {e}"))?;
        if !target.starts_with(root) {
            return Err(format!(
                "symlink leaves the web root (to {}): not followed",
                crate::content::path_text(&target)
            ));
        }
    }
    let meta = fs::metadata(path).map_err(|e| format!("unreadable: {e}"))?;
    if meta.is_dir() {
        Ok(Kind::Dir((meta.dev(), meta.ino())))
    } else if meta.is_file() {
        Ok(Kind::File(meta.len()))
    } else {
        // Reading a FIFO blocks forever and a device never ends.
        Err("not a regular file (FIFO, socket or device): not read".into())
    }
}
