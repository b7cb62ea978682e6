//! Webshells (backdoors planted on web servers): file evidence from YARA
//! scans of web roots, and its accuracy on labelled folders.
//!
//! - [`rules`]: the rules shipped with borderscope (`rules/*.yar`) and the
//!   user's rule files or folders, compiled once with the external variables
//!   public rule sets expect (`filename`, `filepath`, `extension`, `filetype`).
//! - [`walk`]: walking a web root without trusting it: depth limit, symlink
//!   loops and links out of the root, special files, names in any encoding.
//! - [`scan`]: reading each file with a size limit and scanning it with a time
//!   limit; archives, binary content and unreadable files are reported, never
//!   fatal.
//! - [`table`]: the `web_files` table those scans are stored in.
//! - [`eval`]: recall and false-positive rate on folders of webshells and
//!   benign application code, per file type, and scan throughput.

pub mod backdoor;
pub mod content;
pub mod eval;
pub mod rules;
pub mod scan;
pub mod simlog;
pub mod table;
pub mod walk;

pub use rules::{RuleProblem, RuleSet};
pub use scan::{Limits, Outcome, ScanReport, Scanner, WebFile};
pub use table::{store_scan, web_files_schema, WEB_FILES_TABLE};
