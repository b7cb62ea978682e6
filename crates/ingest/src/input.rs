//! Opening an input file: transparent decompression chosen by magic bytes, not
//! by file name, because sensors and archivers name files inconsistently.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// Compression wrapping an input, recognised from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Bzip2,
    Zstd,
}

impl Compression {
    pub fn sniff(head: &[u8]) -> Compression {
        match head {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            [b'B', b'Z', b'h', d, ..] if d.is_ascii_digit() => Compression::Bzip2,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
            _ => Compression::None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
            Compression::Zstd => "zstd",
        }
    }
}

/// Buffer size for reading inputs: large enough that a multi-gigabyte log is
/// read in few system calls.
const BUF_SIZE: usize = 1 << 20;

/// Opens `path`, unwrapping any compression, and returns a buffered reader of
/// the plain content together with the compression that was found.
pub fn open(path: &Path) -> io::Result<(Box<dyn BufRead + Send>, Compression)> {
    let file = File::open(path)?;
    wrap(Box::new(file))
}

/// Same as [`open`] over any byte source (used by tests and stdin).
pub fn wrap(raw: Box<dyn Read + Send>) -> io::Result<(Box<dyn BufRead + Send>, Compression)> {
    let mut raw = BufReader::with_capacity(BUF_SIZE, raw);
    let compression = Compression::sniff(raw.fill_buf()?);
    let reader: Box<dyn BufRead + Send> = match compression {
        Compression::None => Box::new(raw),
        // Multi-member decoders: `gzip -c a b > c` and pbzip2 output are common.
        Compression::Gzip => Box::new(BufReader::with_capacity(
            BUF_SIZE,
            flate2::bufread::MultiGzDecoder::new(raw),
        )),
        Compression::Bzip2 => Box::new(BufReader::with_capacity(
            BUF_SIZE,
            bzip2::bufread::MultiBzDecoder::new(raw),
        )),
        Compression::Zstd => Box::new(BufReader::with_capacity(
            BUF_SIZE,
            zstd::stream::read::Decoder::with_buffer(raw)?,
        )),
    };
    Ok((reader, compression))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(bytes: Vec<u8>) -> (String, Compression) {
        let (mut r, c) = wrap(Box::new(io::Cursor::new(bytes))).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        (s, c)
    }

    #[test]
    fn plain_gzip_bzip2_and_zstd_give_the_same_text() {
        let text = "line one\nline two\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(text.as_bytes()).unwrap();
        let zs = zstd::encode_all(text.as_bytes(), 1).unwrap();
        for (bytes, want) in [
            (text.as_bytes().to_vec(), Compression::None),
            (gz.finish().unwrap(), Compression::Gzip),
            (bz.finish().unwrap(), Compression::Bzip2),
            (zs, Compression::Zstd),
        ] {
            let (got, c) = read_all(bytes);
            assert_eq!(got, text);
            assert_eq!(c, want);
        }
    }

    #[test]
    fn truncated_gzip_yields_its_prefix_then_an_error() {
        let text = "a\n".repeat(100_000);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        let mut bytes = gz.finish().unwrap();
        bytes.truncate(bytes.len() / 2);
        let (mut r, _) = wrap(Box::new(io::Cursor::new(bytes))).unwrap();
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(!out.is_empty(), "the readable prefix is delivered");
    }
}
