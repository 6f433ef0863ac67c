//! Errors in theme and keymap files: which file, which line, what is wrong. Start-up stops
//! on any of them; nothing is silently ignored.

use std::fmt;

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, or `embedded:NAME` for files built into the binary.
    pub file: String,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    pub problem: String,
}

impl ConfigError {
    pub fn new(file: impl Into<String>, line: Option<usize>, problem: impl Into<String>) -> Self {
        ConfigError {
            file: file.into(),
            line,
            problem: problem.into(),
        }
    }

    /// A TOML syntax or shape error, located by the parser.
    pub fn from_toml(file: &str, source: &str, e: &toml::de::Error) -> Self {
        let line = e.span().map(|s| line_of(source, s.start));
        ConfigError::new(file, line, e.message().trim().to_string())
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.problem),
            None => write!(f, "{}: {}", self.file, self.problem),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The 1-based line holding byte `offset` of `source`.
pub fn line_of(source: &str, offset: usize) -> usize {
    let end = offset.min(source.len());
    source.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        let src = "a = 1\nb = 2\n";
        assert_eq!(line_of(src, 0), 1);
        assert_eq!(line_of(src, 6), 2);
        assert_eq!(line_of(src, 999), 3);
    }
}
