//! Config errors that point at the exact place in the file and say what would be valid.

use std::fmt;
use std::ops::Range;

/// One problem in a fleet file, located to file, line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The key path, e.g. `tenants[2].regions`.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        write!(f, "{}", self.message)
    }
}

/// Every problem found in one file (validation reports all of them, not just the first).
#[derive(Debug, Clone, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(|e| e.to_string()).collect();
        write!(f, "{}", lines.join("\n"))
    }
}

/// Turns byte offsets into 1-based line and column numbers for one source text.
pub struct Locator<'a> {
    pub file: &'a str,
    pub src: &'a str,
}

impl Locator<'_> {
    /// An error at a byte span of the source.
    pub fn at(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, column) = line_col(self.src, span.start);
        ConfigError {
            file: self.file.to_string(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }

    /// A TOML syntax or type error, with the key path recovered from its position and a
    /// nearest-match suggestion for unknown keys.
    pub fn from_toml(&self, err: &toml::de::Error) -> ConfigError {
        let span = err.span().unwrap_or(0..0);
        let message = improve_message(err.message());
        let key = key_path_at(self.src, span.start);
        self.at(span, key, message)
    }
}

/// Where text stops being UTF-8: (line, column, the offending byte), or `Ok` with the text.
pub fn utf8_text(bytes: &[u8]) -> Result<&str, (usize, usize, u8)> {
    std::str::from_utf8(bytes).map_err(|e| {
        let good = e.valid_up_to();
        // Everything before `good` is valid, so this cannot fail; an empty prefix if it did.
        let before = std::str::from_utf8(&bytes[..good]).unwrap_or("");
        let (line, column) = line_col(before, good);
        (line, column, bytes[good])
    })
}

/// The message for text that is not UTF-8.
pub fn not_utf8_message(byte: u8) -> String {
    format!("byte 0x{byte:02x} is not UTF-8 text; save the file as UTF-8")
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..floor_char_boundary(src, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The dotted key path (`regions[1].role`) of the value at a byte offset, found by walking
/// the table headers above it. Good enough for the flat layout fleet files use.
pub fn key_path_at(src: &str, offset: usize) -> String {
    let offset = floor_char_boundary(src, offset.min(src.len()));
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    let mut table = String::new();
    let mut consumed = 0;
    let mut key_on_line = String::new();
    for line in src.split_inclusive('\n') {
        let start = consumed;
        consumed += line.len();
        let trimmed = line.trim();
        if start > offset {
            break;
        }
        let on_error_line = offset < consumed;
        // Only text that looks like a key is used: a broken line may hold anything,
        // including a pasted secret, and must not be echoed back.
        if let Some(name) = trimmed
            .strip_prefix("[[")
            .and_then(|l| l.split("]]").next())
        {
            let name = key_like(name.trim()).to_string();
            if name.is_empty() {
                table.clear();
            } else {
                *counts.entry(name.clone()).or_insert(0) += 1;
                table = indexed(&name, &counts);
            }
        } else if let Some(name) = trimmed.strip_prefix('[').and_then(|l| l.split(']').next()) {
            table = indexed(key_like(name.trim()), &counts);
        } else if on_error_line && let Some((k, _)) = trimmed.split_once('=') {
            key_on_line = key_like(k.trim().trim_matches('"')).to_string();
        }
        if on_error_line {
            break;
        }
    }
    match (table.is_empty(), key_on_line.is_empty()) {
        (true, _) => key_on_line,
        (false, true) => table,
        (false, false) => format!("{table}.{key_on_line}"),
    }
}

/// `text` if it is a plain dotted key (what fleet files use), else nothing.
fn key_like(text: &str) -> &str {
    let plain = text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if plain { text } else { "" }
}

/// `regions.sim` inside the third `[[regions]]` becomes `regions[2].sim`.
fn indexed(name: &str, counts: &std::collections::HashMap<String, usize>) -> String {
    let parts: Vec<&str> = name.split('.').collect();
    let mut out = Vec::new();
    for i in 0..parts.len() {
        let prefix = parts[..=i].join(".");
        match counts.get(&prefix) {
            Some(n) => out.push(format!("{}[{}]", parts[i], n - 1)),
            None => out.push(parts[i].to_string()),
        }
    }
    out.join(".")
}

/// serde's "unknown field `x`, expected one of `a`, `b`" gains a "did you mean" hint, and
/// a quoted string value is dropped (a connection string in the wrong key holds a password).
fn improve_message(message: &str) -> String {
    let message = redact_strings(message.trim());
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message;
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return message;
    };
    let valid: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    match crate::fleet::suggest::nearest(field, valid.iter().copied()) {
        Some(best) => format!("{message} (did you mean `{best}`?)"),
        None => message,
    }
}

/// `invalid type: string "postgres://u:pw@h", expected i64` loses the quoted value.
pub fn redact_strings(message: &str) -> String {
    let Some(start) = message.find("string \"") else {
        return message.to_string();
    };
    let open = start + "string \"".len();
    let mut escaped = false;
    for (i, c) in message[open..].char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                let rest = &message[open + i + 1..];
                return format!("{}a string{}", &message[..start], redact_strings(rest));
            }
            _ => escaped = false,
        }
    }
    format!("{}a string", &message[..start])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let src = "a = 1\nbb = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        assert_eq!(line_col(src, 11), (2, 6));
    }

    #[test]
    fn key_path_counts_array_tables() {
        let src = "[fleet]\nname='x'\n[[regions]]\nid='a'\n[[regions]]\nid='b'\nrole='x'\n";
        let off = src.find("role").unwrap();
        assert_eq!(key_path_at(src, off), "regions[1].role");
        let off = src.find("name").unwrap();
        assert_eq!(key_path_at(src, off), "fleet.name");
    }

    #[test]
    fn quoted_strings_are_not_repeated() {
        let m = redact_strings(r#"invalid type: string "postgres://u:p\"w@h", expected i64"#);
        assert_eq!(m, "invalid type: a string, expected i64");
        assert_eq!(redact_strings("unknown field `x`"), "unknown field `x`");
    }

    #[test]
    fn key_path_indexes_nested_tables() {
        let src = "[[regions]]\nid='a'\n[[regions]]\nid='b'\n[regions.sim]\nweight=3\n";
        let off = src.find("weight").unwrap();
        assert_eq!(key_path_at(src, off), "regions[1].sim.weight");
    }
}
