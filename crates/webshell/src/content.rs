//! What a file is, from its name and its first bytes: the web script type its
//! extension makes it (how the server would run it), and the content kind its
//! magic bytes show (archives, executables, images, text).

use std::path::Path;

/// Extensions a web server runs as scripts; `overall` accuracy covers these.
pub const WEB_SCRIPT_TYPES: &[&str] = &[
    "php", "php3", "php4", "php5", "php6", "php7", "phtml", "inc", "asp", "asa", "cer", "aspx",
    "ashx", "asmx", "jsp", "jspx", "cfm", "cgi", "pl", "py",
];

/// Lower-case extension without the dot (`shell.PhP` → `php`), if any.
pub fn extension(path: &Path) -> Option<String> {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
}

/// Whether a file with this extension is a web script (see [`WEB_SCRIPT_TYPES`]).
pub fn is_web_script(ext: Option<&str>) -> bool {
    ext.is_some_and(|e| WEB_SCRIPT_TYPES.contains(&e))
}

/// Content kind from magic bytes, named as LOKI/THOR name their `filetype`
/// external variable (upper case; `UNKNOWN` for text and anything else).
pub fn magic_type(head: &[u8]) -> &'static str {
    const MAGICS: &[(&[u8], &str)] = &[
        (b"PK\x03\x04", "ZIP"),
        (b"PK\x05\x06", "ZIP"),
        (b"\x1f\x8b", "GZIP"),
        (b"BZh", "BZIP2"),
        (b"\xfd7zXZ\x00", "XZ"),
        (b"7z\xbc\xaf\x27\x1c", "7Z"),
        (b"Rar!\x1a\x07", "RAR"),
        (b"\x28\xb5\x2f\xfd", "ZSTD"),
        (b"MZ", "EXE"),
        (b"\x7fELF", "ELF"),
        (b"%PDF", "PDF"),
        (b"GIF8", "GIF"),
        (b"\x89PNG", "PNG"),
        (b"\xff\xd8\xff", "JPEG"),
        (b"\xca\xfe\xba\xbe", "CLASS"),
    ];
    if let Some((_, name)) = MAGICS.iter().find(|(m, _)| head.starts_with(m)) {
        return name;
    }
    if head.len() >= 262 && &head[257..262] == b"ustar" {
        return "TAR";
    }
    "UNKNOWN"
}

/// Archive formats: their members are not unpacked (a zip bomb stays a few
/// kilobytes to us), so matches inside them go unseen; they are reported.
pub fn is_archive(magic: &str) -> bool {
    matches!(
        magic,
        "ZIP" | "GZIP" | "BZIP2" | "XZ" | "7Z" | "RAR" | "ZSTD" | "TAR"
    )
}

/// Text or binary, judged on the first 8 KiB: a NUL byte, or more than 10%
/// control bytes other than whitespace, makes it binary.
pub fn is_binary(data: &[u8]) -> bool {
    let head = &data[..data.len().min(8192)];
    if head.contains(&0) {
        return true;
    }
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    control * 10 > head.len()
}

/// A path as text: valid UTF-8 as is; every byte that is not part of valid
/// UTF-8 as `\xNN`, so names in any encoding are kept, distinct and visible.
pub fn path_text(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn non_utf8_names_are_escaped_not_lost() {
        let p = Path::new(OsStr::from_bytes(b"dir/sh\xffell\xc3.php"));
        assert_eq!(path_text(p), "dir/sh\\xffell\\xc3.php");
        let q = Path::new(OsStr::from_bytes("dir/шелл.php".as_bytes()));
        assert_eq!(path_text(q), "dir/шелл.php");
    }

    #[test]
    fn magic_types() {
        assert_eq!(magic_type(b"PK\x03\x04rest"), "ZIP");
        assert_eq!(magic_type(b"GIF89a<?php"), "GIF");
        assert_eq!(magic_type(b"<?php echo 1;"), "UNKNOWN");
        let mut tar = vec![0u8; 300];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(magic_type(&tar), "TAR");
        assert!(is_archive("TAR") && !is_archive("GIF"));
    }

    #[test]
    fn binary_detection() {
        assert!(!is_binary(b"<?php\n\techo 'x';\r\n"));
        assert!(is_binary(b"<?php \x00\x01"));
        assert!(is_binary(&[1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    }

    #[test]
    fn script_types() {
        assert_eq!(extension(Path::new("a/B.PhP5")).as_deref(), Some("php5"));
        assert!(is_web_script(Some("aspx")));
        assert!(!is_web_script(Some("js")));
        assert!(!is_web_script(None));
    }
}
