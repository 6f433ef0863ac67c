//! Errors in theme and keymap files: which file, which line and column, what is wrong.
//! Start-up stops on any of them; nothing is silently ignored.

use std::fmt;
use std::path::Path;

use crate::fleet::error::{line_col, not_utf8_message, utf8_text};

/// A 1-based line and column in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, or `embedded:NAME` for files built into the binary, or the flag that named
    /// something unknown (`--theme`).
    pub file: String,
    /// Where in the file; `None` only for problems with no place in a file (a file that
    /// cannot be read, an unknown name given on the command line).
    pub at: Option<Pos>,
    pub problem: String,
}

impl ConfigError {
    pub fn new(file: impl Into<String>, at: Option<Pos>, problem: impl Into<String>) -> Self {
        ConfigError {
            file: file.into(),
            at,
            problem: problem.into(),
        }
    }

    /// A problem at byte `offset` of `source`.
    pub fn at(file: &str, source: &str, offset: usize, problem: impl Into<String>) -> Self {
        ConfigError::new(file, Some(pos_of(source, offset)), problem)
    }

    /// A TOML syntax or shape error, located by the parser (at the start when it cannot say).
    pub fn from_toml(file: &str, source: &str, e: &toml::de::Error) -> Self {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        let problem = crate::fleet::error::redact_strings(e.message().trim());
        ConfigError::at(file, source, offset, problem)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some(p) => write!(f, "{}:{}:{}: {}", self.file, p.line, p.column, self.problem),
            None => write!(f, "{}: {}", self.file, self.problem),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The line and column holding byte `offset` of `source`.
pub fn pos_of(source: &str, offset: usize) -> Pos {
    let (line, column) = line_col(source, offset);
    Pos { line, column }
}

/// Line starts of one text, for files that locate every entry (a keymap): each position
/// is then a binary search instead of a scan from the start.
pub struct LineIndex<'a> {
    source: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &'a str) -> LineIndex<'a> {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { source, starts }
    }

    /// The same answer as `pos_of(source, offset)`.
    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.source.len());
        let line = self.starts.partition_point(|s| *s <= offset);
        let start = self.starts[line.saturating_sub(1)];
        let end = (start..=offset)
            .rev()
            .find(|i| self.source.is_char_boundary(*i))
            .unwrap_or(start);
        let column = self.source[start..end].chars().count() + 1;
        Pos { line, column }
    }
}

/// A file's bytes as text; bytes that are not UTF-8 are an error at their place.
pub fn decode<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, ConfigError> {
    utf8_text(bytes).map_err(|(line, column, byte)| {
        ConfigError::new(file, Some(Pos { line, column }), not_utf8_message(byte))
    })
}

/// Read a configuration file as text, labelled with its path.
pub fn read(path: &Path) -> Result<(String, String), ConfigError> {
    let label = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| ConfigError::new(&label, None, format!("cannot read: {e}")))?;
    let text = decode(&label, &bytes)?.to_string();
    Ok((label, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_bad_bytes_are_located() {
        let src = "a = 1\nb = 2\n";
        assert_eq!(pos_of(src, 0), Pos { line: 1, column: 1 });
        assert_eq!(pos_of(src, 8), Pos { line: 2, column: 3 });
        assert_eq!(pos_of(src, 999), Pos { line: 3, column: 1 });
        let text = "é = 1\n\nb = \"ü\"\n";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 2 {
            assert_eq!(index.pos(offset), pos_of(text, offset), "{offset}");
        }
        let e = decode("k.toml", b"a = 1\nb = \"\xff\"\n").err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some("k.toml:2:6: byte 0xff is not UTF-8 text; save the file as UTF-8".into())
        );
    }
}
