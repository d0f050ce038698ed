//! A plain HTTP/1.0 GET for tests that read pages (a Spark UI through
//! `kspark ui`, a stand-in's page): the status line and the body.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// GETs `url` (`http://host:port/path`); panics with the URL on any I/O
/// error, as a test wants.
pub fn get(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").unwrap_or_else(|| panic!("not http: {url}"));
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap_or_else(|e| panic!("{e}"));
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap_or_else(|e| panic!("send: {e}"));
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap_or_else(|e| panic!("read {url}: {e}"));
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (head.lines().next().unwrap_or_default().to_string(), body.to_string())
}
