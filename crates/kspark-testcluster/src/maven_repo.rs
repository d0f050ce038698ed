//! A Maven repository on 127.0.0.1 for tests of `--check-packages`: plain
//! HTTP/1.1 over a directory in the Maven layout
//! (`group/as/dirs/artifact/version/artifact-version.pom`). It answers
//! HEAD and GET with 200 for files that exist and 404 otherwise, and
//! remembers every request line so tests can say what was asked.

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub struct MavenRepo {
    url: String,
    root: PathBuf,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    address: SocketAddr,
}

impl MavenRepo {
    /// Serves `root` (created if missing) on 127.0.0.1 until dropped.
    pub fn serve(root: &Path) -> std::io::Result<MavenRepo> {
        MavenRepo::serve_on(root, IpAddr::V4(Ipv4Addr::LOCALHOST))
    }

    /// Serves `root` on `ip` (e.g. the real node's bridge address, which
    /// pods reach) until dropped.
    pub fn serve_on(root: &Path, ip: IpAddr) -> std::io::Result<MavenRepo> {
        std::fs::create_dir_all(root)?;
        let listener = TcpListener::bind((ip, 0))?;
        let address = listener.local_addr()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (dir, seen, stopped) = (root.to_path_buf(), requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                answer(stream, &dir, &seen);
            }
        });
        Ok(MavenRepo { url: format!("http://{address}/maven2/"), root: root.to_path_buf(), requests, stop, address })
    }

    /// The repository root URL (ends in `/`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Publishes `group:artifact:version` (a POM only, which is what
    /// `--check-packages` asks for).
    pub fn publish(&self, group: &str, artifact: &str, version: &str) -> std::io::Result<()> {
        let dir = self.root.join(group.replace('.', "/")).join(artifact).join(version);
        std::fs::create_dir_all(&dir)?;
        let pom = format!(
            "<project><modelVersion>4.0.0</modelVersion><groupId>{group}</groupId><artifactId>{artifact}</artifactId><version>{version}</version></project>\n"
        );
        std::fs::write(dir.join(format!("{artifact}-{version}.pom")), pom)
    }

    /// Publishes `group:artifact:version` with its jar, copied from `jar`.
    pub fn publish_jar(&self, group: &str, artifact: &str, version: &str, jar: &Path) -> std::io::Result<()> {
        self.publish(group, artifact, version)?;
        let dir = self.root.join(group.replace('.', "/")).join(artifact).join(version);
        std::fs::copy(jar, dir.join(format!("{artifact}-{version}.jar"))).map(|_| ())
    }

    /// Request lines so far, e.g. `HEAD /maven2/g/a/1/a-1.pom`.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for MavenRepo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.address);
    }
}

fn answer(stream: TcpStream, root: &Path, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Headers until the blank line; the requests carry no body.
    let mut header = String::new();
    while reader.read_line(&mut header).map(|n| n > 2).unwrap_or(false) {
        header.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if let Ok(mut s) = seen.lock() {
        s.push(format!("{method} {target}"));
    }
    let file = target
        .strip_prefix("/maven2/")
        .filter(|p| !p.split('/').any(|seg| seg == ".."))
        .map(|p| root.join(p))
        .filter(|f| f.is_file());
    let body = file.as_ref().and_then(|f| std::fs::read(f).ok());
    let (status, body) = match body {
        Some(b) => ("200 OK", b),
        None => ("404 Not Found", b"not found\n".to_vec()),
    };
    let head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    let mut stream = &stream;
    let _ = stream.write_all(head.as_bytes());
    if method != "HEAD" {
        let _ = stream.write_all(&body);
    }
}
