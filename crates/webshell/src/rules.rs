//! Compiling the rule set: borderscope's own rules plus the user's files or
//! folders of rules.
//!
//! Public webshell rule sets (LOKI/THOR-style, e.g. signature-base) refer to
//! external variables a scanner must define: `filename` (base name),
//! `filepath` (full path), `extension` (lower case with the dot, `.php`) and
//! `filetype` (upper-case magic type such as `ZIP`, `GIF`, `UNKNOWN`). They
//! are defined here before any source is added, and set per file by
//! [`crate::Scanner`]. A rule file that does not compile is reported and the
//! rest are kept: one bad file in a downloaded set must not stop a scan.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The rules shipped with borderscope, by file name.
pub const BUILTIN_RULES: &[(&str, &str)] = &[
    ("php.yar", include_str!("../rules/php.yar")),
    ("jsp.yar", include_str!("../rules/jsp.yar")),
    ("asp.yar", include_str!("../rules/asp.yar")),
    ("other.yar", include_str!("../rules/other.yar")),
];

/// Namespace of the built-in rules; match names are `namespace:rule`.
pub const BUILTIN_NAMESPACE: &str = "borderscope";

/// External variables defined for every rule source, with their initial values.
pub const EXTERNALS: &[&str] = &["filename", "filepath", "extension", "filetype"];

/// A rule file that could not be read or compiled (its other rules may be kept).
#[derive(Debug, Clone)]
pub struct RuleProblem {
    pub file: String,
    pub message: String,
}

/// Compiled rules and where they came from.
pub struct RuleSet {
    pub rules: yara_x::Rules,
    /// Rule files compiled (built-in ones as `builtin:NAME`).
    pub sources: Vec<String>,
    pub problems: Vec<RuleProblem>,
}

impl RuleSet {
    /// Compiles the built-in rules (unless `builtin` is false) and every
    /// `.yar`/`.yara` file at `user_paths` (files, or folders searched
    /// recursively). Fails only when no rule at all compiled.
    pub fn compile(builtin: bool, user_paths: &[PathBuf]) -> Result<RuleSet> {
        let mut compiler = yara_x::Compiler::new();
        // libyara accepts some regular expressions yara-x rejects by default
        // (unescaped braces and the like); public sets are written for libyara.
        compiler.relaxed_re_syntax(true);
        for name in EXTERNALS {
            compiler
                .define_global(name, "")
                .with_context(|| format!("cannot define external variable `{name}`"))?;
        }
        let mut sources = Vec::new();
        let mut problems = Vec::new();
        if builtin {
            compiler.new_namespace(BUILTIN_NAMESPACE);
            for (name, text) in BUILTIN_RULES {
                let origin = format!("builtin:{name}");
                let src = yara_x::SourceCode::from(*text).with_origin(origin.clone());
                if let Err(e) = compiler.add_source(src) {
                    // Our own rules must compile; a failure is a bug, not input.
                    bail!("built-in rule file {name} does not compile: {e}");
                }
                sources.push(origin);
            }
        }
        for file in rule_files(user_paths, &mut problems) {
            add_user_file(&mut compiler, &file, &mut sources, &mut problems);
        }
        let rules = compiler.build();
        if rules.iter().len() == 0 {
            bail!(
                "no YARA rule compiled ({} rule file problems{})",
                problems.len(),
                problems
                    .first()
                    .map(|p| format!(", first: {}: {}", p.file, p.message))
                    .unwrap_or_default()
            );
        }
        Ok(RuleSet {
            rules,
            sources,
            problems,
        })
    }

    /// Number of compiled rules (private ones included).
    pub fn len(&self) -> usize {
        self.rules.iter().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn add_user_file(
    compiler: &mut yara_x::Compiler,
    file: &Path,
    sources: &mut Vec<String>,
    problems: &mut Vec<RuleProblem>,
) {
    let shown = crate::content::path_text(file);
    let text = match std::fs::read(file) {
        Ok(t) => t,
        Err(e) => {
            problems.push(RuleProblem {
                file: shown,
                message: format!("cannot read: {e}"),
            });
            return;
        }
    };
    // One namespace per file: public sets reuse rule names across files.
    compiler.new_namespace(&namespace_of(file));
    if let Some(dir) = file.parent() {
        compiler.add_include_dir(dir);
    }
    let src = yara_x::SourceCode::from(text.as_slice()).with_origin(shown.clone());
    match compiler.add_source(src) {
        Ok(_) => sources.push(shown),
        Err(e) => {
            // yara-x keeps the rules of the file that did compile.
            problems.push(RuleProblem {
                file: shown.clone(),
                message: first_line(&e.to_string()),
            });
            sources.push(shown);
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().trim().to_string()
}

/// A YARA identifier from the file stem: letters, digits and `_`.
fn namespace_of(file: &Path) -> String {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut ns: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !ns.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        ns.insert(0, '_');
    }
    ns
}

fn is_rule_file(p: &Path) -> bool {
    matches!(
        crate::content::extension(p).as_deref(),
        Some("yar" | "yara")
    )
}

/// Rule files at the given paths, sorted within each folder; folders are
/// searched recursively (symlinks not followed).
fn rule_files(paths: &[PathBuf], problems: &mut Vec<RuleProblem>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
            continue;
        }
        if !p.is_dir() {
            problems.push(RuleProblem {
                file: crate::content::path_text(p),
                message: "no such rule file or folder".into(),
            });
            continue;
        }
        let mut found: Vec<PathBuf> = walkdir::WalkDir::new(p)
            .max_depth(16)
            .into_iter()
            .filter_map(|e| match e {
                Ok(e) => Some(e),
                Err(err) => {
                    problems.push(RuleProblem {
                        file: crate::content::path_text(err.path().unwrap_or(p)),
                        message: format!("cannot list: {err}"),
                    });
                    None
                }
            })
            .filter(|e| e.file_type().is_file() && is_rule_file(e.path()))
            .map(|e| e.into_path())
            .collect();
        found.sort();
        out.extend(found);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_compile() {
        let set = RuleSet::compile(true, &[]).expect("built-in rules compile");
        assert!(set.len() > 30, "only {} rules", set.len());
        assert!(set.problems.is_empty());
    }

    #[test]
    fn bad_user_file_is_reported_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("good.yar"),
            "rule uses_externals { condition: extension == \".php\" and filename != \"\" and filepath != \"\" and filetype == \"UNKNOWN\" }",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("bad.yara"),
            "rule broken { condition: nonsense_identifier }",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a rule file").unwrap();
        let missing = dir.path().join("missing.yar");
        let set = RuleSet::compile(false, &[dir.path().to_path_buf(), missing]).unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.problems.len(), 2, "{:?}", set.problems);
        assert!(set.problems.iter().any(|p| p.file.ends_with("bad.yara")));
        assert!(set.problems.iter().any(|p| p.message.contains("no such")));
    }

    #[test]
    fn nothing_compiled_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad.yar"), "rule {").unwrap();
        let err = RuleSet::compile(false, &[dir.path().to_path_buf()])
            .err()
            .expect("fails");
        assert!(format!("{err:#}").contains("no YARA rule compiled"));
    }

    #[test]
    fn namespaces_are_identifiers() {
        assert_eq!(
            namespace_of(Path::new("x/gen-webshells.yar")),
            "gen_webshells"
        );
        assert_eq!(namespace_of(Path::new("x/1st.yar")), "_1st");
    }
}
