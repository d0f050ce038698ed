//! Java `.properties` files as Spark reads them (`java.util.Properties.load`
//! over a UTF-8 reader, values trimmed), remembering the line each entry
//! started on so that errors can point at it.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// One `key=value` entry and the 1-based line its logical line starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PropertiesError {
    #[error("{path}:{line}: malformed \\uxxxx escape in key `{key}`")]
    BadUnicodeEscape { path: PathBuf, line: usize, key: String },
    #[error("could not read properties file {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{path} is not valid UTF-8 (Spark reads properties files as UTF-8)")]
    NotUtf8 { path: PathBuf },
}

/// Reads and parses a properties file.
pub fn read_file(path: &Path) -> Result<Vec<Entry>, PropertiesError> {
    let bytes =
        std::fs::read(path).map_err(|e| PropertiesError::Read { path: path.to_path_buf(), reason: e.to_string() })?;
    let text = String::from_utf8(bytes).map_err(|_| PropertiesError::NotUtf8 { path: path.to_path_buf() })?;
    parse(&text, path)
}

/// Parses properties text. `origin` only names the source in errors.
pub fn parse(text: &str, origin: &Path) -> Result<Vec<Entry>, PropertiesError> {
    let mut entries = Vec::new();
    for logical in logical_lines(text) {
        let (raw_key, raw_value) = split_key_value(&logical.text);
        let unescape_err = |key: &str| PropertiesError::BadUnicodeEscape {
            path: origin.to_path_buf(),
            line: logical.line,
            key: key.to_string(),
        };
        let key = unescape(raw_key).ok_or_else(|| unescape_err(raw_key))?;
        let value = unescape(raw_value).ok_or_else(|| unescape_err(&key))?;
        entries.push(Entry { key, value: trim_except_crlf(&value).to_string(), line: logical.line });
    }
    Ok(entries)
}

struct LogicalLine {
    text: String,
    line: usize,
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{c}')
}

/// Splits text into natural lines (`\n`, `\r` or `\r\n`) and joins
/// continuation lines (an odd number of trailing backslashes), dropping
/// comments and blank lines the way `Properties.load` does.
fn logical_lines(text: &str) -> Vec<LogicalLine> {
    let natural = natural_lines(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < natural.len() {
        let start_line = i + 1;
        let first = natural[i].trim_start_matches(is_blank);
        i += 1;
        if first.is_empty() || first.starts_with('#') || first.starts_with('!') {
            continue;
        }
        let mut text = String::new();
        let mut part = first;
        loop {
            if ends_in_continuation(part) {
                text.push_str(&part[..part.len() - 1]);
                match natural.get(i) {
                    Some(next) => {
                        part = next.trim_start_matches(is_blank);
                        i += 1;
                    }
                    None => break,
                }
            } else {
                text.push_str(part);
                break;
            }
        }
        out.push(LogicalLine { text, line: start_line });
    }
    out
}

fn natural_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}

fn ends_in_continuation(line: &str) -> bool {
    line.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// Splits at the first unescaped `=`, `:` or blank; a blank separator may be
/// followed by one `=` or `:`.
fn split_key_value(line: &str) -> (&str, &str) {
    let mut escaped = false;
    for (pos, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        if c == '\\' {
            escaped = true;
        } else if c == '=' || c == ':' {
            return (&line[..pos], line[pos + 1..].trim_start_matches(is_blank));
        } else if is_blank(c) {
            let rest = line[pos..].trim_start_matches(is_blank);
            let rest = rest.strip_prefix('=').or_else(|| rest.strip_prefix(':')).unwrap_or(rest);
            return (&line[..pos], rest.trim_start_matches(is_blank));
        }
    }
    (line, "")
}

/// Resolves `\t \n \r \f \uXXXX` and `\x` → `x`; `None` on a malformed `\u`.
fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => out.push(unicode_escape(&mut chars)?),
            Some(other) => out.push(other),
            None => {}
        }
    }
    Some(out)
}

/// Java reads `\uXXXX` as one UTF-16 unit; a surrogate pair arrives as two
/// escapes, which this joins.
fn unicode_escape(chars: &mut std::str::Chars<'_>) -> Option<char> {
    let unit = hex4(chars)?;
    if (0xD800..0xDC00).contains(&unit) {
        let mut look = chars.clone();
        if look.next() == Some('\\')
            && look.next() == Some('u')
            && let Some(low) = hex4(&mut look)
            && (0xDC00..0xE000).contains(&low)
        {
            *chars = look;
            let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
            return char::from_u32(code);
        }
        return Some(char::REPLACEMENT_CHARACTER);
    }
    Some(char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER))
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut v = 0;
    for _ in 0..4 {
        v = v * 16 + chars.next()?.to_digit(16)?;
    }
    Some(v)
}

/// Spark trims values of everything up to and including space, except CR
/// and LF (`Utils.trimExceptCRLF`).
fn trim_except_crlf(s: &str) -> &str {
    let trimmable = |c: char| c <= ' ' && c != '\r' && c != '\n';
    s.trim_matches(trimmable)
}

/// Writes entries the way `java.util.Properties.store` escapes them: keys
/// escape blanks, values only a leading blank; `\`, `=`, `:`, `#`, `!` and
/// control characters are escaped everywhere; non-ASCII is written as-is
/// (Spark stores through a `StringWriter`).
pub fn store_line(key: &str, value: &str) -> String {
    format!("{}={}", escape(key, true), escape(value, false))
}

fn escape(s: &str, is_key: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in s.chars().enumerate() {
        match c {
            ' ' if is_key || i == 0 => out.push_str("\\ "),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            '\\' | '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(text: &str) -> Vec<(String, String, usize)> {
        parse(text, Path::new("t.conf")).unwrap_or_default().into_iter().map(|e| (e.key, e.value, e.line)).collect()
    }

    #[test]
    fn separators_comments_and_blank_lines() {
        let got = kv("# c\n! c\n\n a b\nc=d\ne:f\ng = h \n  i   :  j\nk\n");
        let want = [("a", "b", 4), ("c", "d", 5), ("e", "f", 6), ("g", "h", 7), ("i", "j", 8), ("k", "", 9)];
        let want: Vec<_> = want.iter().map(|(k, v, l)| (k.to_string(), v.to_string(), *l)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn continuation_lines_join_and_skip_leading_blanks() {
        assert_eq!(
            kv("a=one \\\n    two \\\n three\nb=x"),
            vec![("a".into(), "one two three".into(), 1), ("b".into(), "x".into(), 4)]
        );
        // An even number of backslashes is an escaped backslash, not a continuation.
        assert_eq!(kv("a=x\\\\\nb=y")[0].1, "x\\");
    }

    #[test]
    fn escapes_in_keys_and_values() {
        assert_eq!(kv(r"my\ key\=x=a\tb\u00e9\:\#")[0], ("my key=x".into(), "a\tbé:#".into(), 1));
        assert_eq!(kv("k=\\uD83D\\uDE00")[0].1, "😀");
        assert!(parse("k=\\u12", Path::new("f")).is_err());
    }

    #[test]
    fn crlf_and_cr_line_ends() {
        assert_eq!(kv("a=1\r\nb=2\rc=3").len(), 3);
    }

    #[test]
    fn comment_lines_never_continue() {
        assert_eq!(kv("# comment \\\na=1")[0].0, "a");
    }

    #[test]
    fn utf8_values_survive() {
        assert_eq!(kv("spark.app.name=Données ✓")[0].1, "Données ✓");
    }

    #[test]
    fn store_escapes_like_java() {
        assert_eq!(store_line("spark.master", "k8s://https://h:443"), r"spark.master=k8s\://https\://h\:443");
        assert_eq!(store_line("a b", " x y"), r"a\ b=\ x y");
        assert_eq!(store_line("k", "a\nb#!="), r"k=a\nb\#\!\=");
    }

    #[test]
    fn store_then_parse_round_trips() {
        for v in ["plain", " lead", "a:b=c#d!e\\f", "tab\there", "é ✓"] {
            let line = store_line("k", v);
            assert_eq!(kv(&line)[0].1, v.trim(), "value {v:?} via {line:?}");
        }
    }
}
