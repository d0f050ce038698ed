//! The recorder's log: one JSON object per request, in the format of the
//! golden recordings (`golden/spark-*/CASE.jsonl`), which were written by a
//! Python stand-in: `", "`/`": "` separators and non-ASCII escaped as
//! `\uXXXX` (see [`python_json`]), so old and new recordings read alike.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::RecorderError;

/// One request as the recorder saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// Query parameters as `name → [values]`, in the order they came
    /// (blank values dropped, as Python's `parse_qs` does).
    pub query: Map<String, Value>,
    pub content_type: Option<String>,
    pub authorization: Option<String>,
    /// The body parsed as JSON when it is an object, else its text.
    pub body: Value,
}

impl RecordedRequest {
    pub fn new(method: &str, uri: &http::Uri, headers: &http::HeaderMap, body: &[u8]) -> Self {
        let header = |name: http::HeaderName| headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into());
        Self {
            method: method.to_string(),
            path: uri.path().to_string(),
            query: parse_query(uri.query().unwrap_or("")),
            content_type: header(http::header::CONTENT_TYPE),
            authorization: header(http::header::AUTHORIZATION),
            body: parse_body(body),
        }
    }

    /// The value of query parameter `name`, first occurrence.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query.get(name)?.get(0)?.as_str()
    }

    /// This request as one log line (without the newline).
    pub fn to_line(&self) -> String {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, python_json::PythonFormatter);
        // Serializing plain strings and JSON values into memory cannot fail.
        let _ = self.serialize(&mut ser);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Appends this request to the log at `path`.
    pub fn append_to(&self, path: &Path) -> Result<(), RecorderError> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| RecorderError::io(format!("opening the log {}", path.display()), e))?;
        writeln!(file, "{}", self.to_line()).map_err(|e| RecorderError::io(format!("writing {}", path.display()), e))
    }
}

fn parse_query(query: &str) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if value.is_empty() {
            continue;
        }
        let values = out.entry(name.into_owned()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = values {
            list.push(Value::String(value.into_owned()));
        }
    }
    out
}

fn parse_body(body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body);
    if text.trim_start().starts_with('{')
        && let Ok(value) = serde_json::from_str(&text)
    {
        return value;
    }
    Value::String(text.into_owned())
}

/// Reads a recorder log.
pub fn read_log(path: &Path) -> Result<Vec<RecordedRequest>, RecorderError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| RecorderError::io(format!("reading {}", path.display()), e))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| RecorderError::BadLogLine {
                path: path.to_path_buf(),
                line: i + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

/// The writes in a log, one line each: method, path (16-hex name infixes
/// replaced by `RAND`), field manager, `force` and media type. Reads and
/// access reviews are left out: they differ between clients by design.
pub fn writes(log: &[RecordedRequest]) -> Vec<String> {
    log.iter()
        .filter(|r| r.method != "GET" && !r.path.contains("accessreviews"))
        .map(|r| {
            let media = r.content_type.as_deref().unwrap_or("").split(';').next().unwrap_or("").trim();
            format!(
                "{} {} manager={} force={} {media}",
                r.method,
                scrub_path(&r.path),
                r.query_value("fieldManager").unwrap_or(""),
                r.query_value("force").unwrap_or("")
            )
        })
        .collect()
}

fn scrub_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            segment
                .split('-')
                .map(|p| if p.len() == 16 && p.chars().all(|c| c.is_ascii_hexdigit()) { "RAND" } else { p })
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// JSON the way Python's `json.dumps` writes it by default.
mod python_json {
    use std::io::{self, Write};

    use serde_json::ser::Formatter;

    pub struct PythonFormatter;

    impl Formatter for PythonFormatter {
        fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
            if first { Ok(()) } else { w.write_all(b", ") }
        }
        fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
            if first { Ok(()) } else { w.write_all(b", ") }
        }
        fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
            w.write_all(b": ")
        }
        /// `ensure_ascii`: everything beyond ASCII as `\uXXXX` (UTF-16 units).
        fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, fragment: &str) -> io::Result<()> {
            for ch in fragment.chars() {
                if ch.is_ascii() && ch != '\x7f' {
                    w.write_all(&[ch as u8])?;
                } else {
                    let mut units = [0u16; 2];
                    for unit in ch.encode_utf16(&mut units) {
                        write!(w, "\\u{unit:04x}")?;
                    }
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_written_as_python_writes_them() {
        let uri: http::Uri = "/api/v1/namespaces/a/pods?watch=true&fieldSelector=metadata.name%3Dx&empty="
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
        let req = RecordedRequest::new("GET", &uri, &headers, br#"{"name": "Gr\u00fc\u00dfe \u6771"}"#);
        assert_eq!(
            req.to_line(),
            r#"{"method": "GET", "path": "/api/v1/namespaces/a/pods", "query": {"watch": ["true"], "fieldSelector": ["metadata.name=x"]}, "content_type": "application/json", "authorization": null, "body": {"name": "Gr\u00fc\u00dfe \u6771"}}"#
        );
        let parsed: RecordedRequest = serde_json::from_str(&req.to_line()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed, req);
    }

    #[test]
    fn astral_characters_become_surrogate_pairs() {
        let req = RecordedRequest::new(
            "POST",
            &"/x".parse().unwrap_or_else(|e| panic!("{e}")),
            &http::HeaderMap::new(),
            "😀".as_bytes(),
        );
        assert!(req.to_line().contains(r#""body": "\ud83d\ude00""#), "{}", req.to_line());
    }

    #[test]
    fn writes_scrub_random_names_and_keep_manager_and_media() {
        let log: Vec<RecordedRequest> = [
            r#"{"method": "POST", "path": "/api/v1/namespaces/d/pods", "query": {}, "content_type": "application/json; charset=utf-8", "authorization": null, "body": {}}"#,
            r#"{"method": "PATCH", "path": "/api/v1/namespaces/d/services/pi-0123456789abcdef-driver-svc", "query": {"fieldManager": ["fabric8"], "force": ["true"]}, "content_type": "application/apply-patch+yaml", "authorization": null, "body": {}}"#,
            r#"{"method": "GET", "path": "/api/v1/namespaces/d/pods", "query": {}, "content_type": null, "authorization": null, "body": ""}"#,
        ]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}")))
        .collect();
        assert_eq!(
            writes(&log),
            [
                "POST /api/v1/namespaces/d/pods manager= force= application/json",
                "PATCH /api/v1/namespaces/d/services/pi-RAND-driver-svc manager=fabric8 force=true application/apply-patch+yaml",
            ]
        );
    }
}
