use std::collections::VecDeque;
use std::sync::Mutex;

use futures::future;
use tokio::io::DuplexStream;
use tokio::task::JoinHandle;

use super::*;

const REFUSED: &str = "error forwarding port 15002 to pod 4f1c, uid : failed to execute portforward in network namespace \"/var/run/netns/cni-1\": failed to connect to localhost:15002 inside namespace \"4f1c\", IPv4: dial tcp4 127.0.0.1:15002: connect: connection refused IPv6 dial tcp6: address localhost: no suitable address found ";

/// An error channel that has `message` ready.
fn says(message: &str) -> ErrorMessage {
    let error: Pin<Box<dyn Future<Output = Option<String>> + Send>> = Box::pin(future::ready(Some(message.into())));
    error.fuse()
}

/// What the fake dialer does on each call, in order.
enum Step {
    NoPod,
    Fail(u16),
    /// Nothing listens on the pod's port.
    Refuse,
    /// The pod's side fails for another reason, before answering.
    PodError,
    /// A server that echoes everything back, then closes when the client does.
    Echo,
    /// An API server that never answers.
    Hang,
}

#[derive(Default)]
struct FakeDial {
    steps: Mutex<VecDeque<Step>>,
    /// The `refresh` argument of every call.
    calls: Mutex<Vec<bool>>,
}

impl FakeDial {
    fn new(steps: impl IntoIterator<Item = Step>) -> Arc<FakeDial> {
        Arc::new(FakeDial { steps: Mutex::new(steps.into_iter().collect()), calls: Mutex::default() })
    }

    fn calls(&self) -> Vec<bool> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

fn api_error(code: u16) -> PortForwardError {
    let status = kube::core::Status::failure("no", "No").with_code(code);
    PortForwardError::kube("open a port-forward", kube::Error::Api(status.boxed()))
}

fn tunnel(stream: DuplexStream, error: ErrorMessage) -> Tunnel {
    Tunnel { stream: Box::new(stream), error, forwarder: None, pod: "team/connect-server".into() }
}

fn echo() -> Tunnel {
    let (near, far) = tokio::io::duplex(64 * 1024);
    // Like kube's forwarder, the error channel ends without a message when
    // the far end is done.
    let (done, finished) = tokio::sync::oneshot::channel::<String>();
    tokio::spawn(async move {
        let (mut from, mut to) = tokio::io::split(far);
        let _ = tokio::io::copy(&mut from, &mut to).await;
        let _ = to.shutdown().await;
        drop(done);
    });
    let error: Pin<Box<dyn Future<Output = Option<String>> + Send>> = Box::pin(finished.map(Result::ok));
    tunnel(near, error.fuse())
}

fn gone(message: &str) -> Tunnel {
    let (near, far) = tokio::io::duplex(1024);
    drop(far);
    tunnel(near, says(message))
}

#[async_trait]
impl Dial for FakeDial {
    async fn dial(&self, refresh: bool) -> Result<Option<Tunnel>, PortForwardError> {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(refresh);
        }
        let step = self.steps.lock().ok().and_then(|mut s| s.pop_front()).unwrap_or(Step::NoPod);
        match step {
            Step::NoPod => Ok(None),
            Step::Fail(code) => Err(api_error(code)),
            Step::Refuse => Ok(Some(gone(REFUSED))),
            Step::PodError => Ok(Some(gone("lost connection to pod"))),
            Step::Echo => Ok(Some(echo())),
            Step::Hang => std::future::pending().await,
        }
    }
}

/// One local connection served by `forward_connection`; the test holds the
/// client's end.
fn connect(dial: Arc<FakeDial>, activity: &Activity) -> (DuplexStream, JoinHandle<()>) {
    let (client, ours) = tokio::io::duplex(64 * 1024);
    let guard = activity.connection();
    let task = tokio::spawn(async move { forward_connection(ours, guard, &*dial).await });
    (client, task)
}

async fn finish(task: JoinHandle<()>) {
    if let Err(e) = task.await {
        panic!("the connection's task failed: {e}");
    }
}

/// Longer than [`PATIENCE`], so that a forward that loses bytes fails its
/// test instead of hanging it (in no time where the clock is paused).
const STUCK: Duration = Duration::from_secs(120);

/// Sends `message`, expects it back, closes, and expects the end.
async fn round_trip(client: &mut DuplexStream, message: &[u8]) {
    client.write_all(message).await.unwrap_or_else(|e| panic!("{e}"));
    let mut back = vec![0u8; message.len()];
    match tokio::time::timeout(STUCK, client.read_exact(&mut back)).await {
        Ok(read) => read.map(drop).unwrap_or_else(|e| panic!("{e}")),
        Err(_) => panic!("nothing came back"),
    }
    assert_eq!(back, message);
    client.shutdown().await.unwrap_or_else(|e| panic!("{e}"));
    assert_closed(client).await;
}

async fn assert_closed(client: &mut DuplexStream) {
    let mut rest = Vec::new();
    match tokio::time::timeout(STUCK, client.read_to_end(&mut rest)).await {
        Ok(read) => read.map(drop).unwrap_or_else(|e| panic!("{e}")),
        Err(_) => panic!("the connection stayed open"),
    }
    assert!(rest.is_empty(), "unexpected bytes {rest:?}");
}

#[tokio::test]
async fn bind_listens_on_loopback_only_on_an_ephemeral_port() {
    let listener = bind(None).await.unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(addr.ip(), Ipv4Addr::LOCALHOST);
    assert_ne!(addr.port(), 0);
    tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("{e}"));
    let taken = bind(Some(addr.port())).await.err().map(|e| e.kind());
    assert_eq!(taken, Some(io::ErrorKind::AddrInUse), "a given port is that port, not another");
}

#[test]
fn activity_counts_connections_idle_time_and_bytes() {
    let before = std::time::Instant::now();
    let activity = Activity::new();
    assert_eq!(activity.open_connections(), 0);
    assert!(activity.idle_since().is_some_and(|t| t >= before));
    let first = activity.connection();
    let second = activity.clone().connection();
    assert_eq!(activity.open_connections(), 2);
    assert_eq!(activity.idle_since(), None);
    drop(first);
    assert_eq!(activity.open_connections(), 1);
    assert_eq!(activity.idle_since(), None, "idle only when no connection is open");
    let closing = std::time::Instant::now();
    drop(second);
    assert_eq!(activity.open_connections(), 0);
    assert!(activity.idle_since().is_some_and(|t| t >= closing && t <= std::time::Instant::now()));
    activity.add_bytes(5);
    activity.clone().add_bytes(7);
    assert_eq!(activity.bytes_forwarded(), 12);
}

#[test]
fn backoff_doubles_to_five_seconds_for_a_minute() {
    let start = Instant::now();
    let mut backoff = Backoff::new(start);
    let mut now = start;
    let mut delays = Vec::new();
    while let Some(delay) = backoff.next_delay(now) {
        delays.push(delay.as_millis());
        now += delay;
    }
    assert_eq!(delays[..7], [200, 400, 800, 1600, 3200, 5000, 5000]);
    assert_eq!(delays.iter().sum::<u128>(), 60_000, "waits for a minute, the last wait cut short");
    assert_eq!(delays.len(), 16);
    assert_eq!(Backoff::new(start).next_delay(start + PATIENCE), None);
}

#[test]
fn only_a_refused_dial_counts_as_refused() {
    assert!(is_refused(REFUSED));
    assert!(is_refused("dial tcp 10.0.0.5:15002: Connection refused"));
    assert!(!is_refused("lost connection to pod"));
}

#[test]
fn only_forbidden_and_target_errors_are_final() {
    assert!(api_error(401).is_unauthorized());
    assert!(api_error(403).is_final());
    assert!(!api_error(404).is_final());
    assert!(!api_error(400).is_final());
    assert!(!PortForwardError::Client("plugin failed".into()).is_final());
    assert!(PortForwardError::Target("deleted".into()).is_final());
}

#[tokio::test]
async fn bytes_go_both_ways_and_are_counted() {
    let activity = Activity::new();
    let dial = FakeDial::new([Step::Echo]);
    let (mut client, task) = connect(dial.clone(), &activity);
    assert_eq!(activity.open_connections(), 1);
    assert_eq!(activity.idle_since(), None);
    let closing = std::time::Instant::now();
    round_trip(&mut client, b"hello spark").await;
    finish(task).await;
    assert_eq!(activity.bytes_forwarded(), 22, "11 bytes each way");
    assert_eq!(activity.open_connections(), 0);
    assert!(activity.idle_since().is_some_and(|t| t >= closing));
    assert_eq!(dial.calls(), [false]);
}

#[tokio::test]
async fn large_transfers_are_copied_whole() {
    let activity = Activity::new();
    let (mut client, task) = connect(FakeDial::new([Step::Echo]), &activity);
    let message: Vec<u8> = (0..REPLAY_LIMIT * 3).map(|i| (i % 251) as u8).collect();
    let (mut reader, mut writer) = tokio::io::split(&mut client);
    let sending = async {
        writer.write_all(&message).await.unwrap_or_else(|e| panic!("{e}"));
        writer.shutdown().await.unwrap_or_else(|e| panic!("{e}"));
    };
    let mut back = Vec::new();
    let receiving = async { reader.read_to_end(&mut back).await.unwrap_or_else(|e| panic!("{e}")) };
    tokio::join!(sending, receiving);
    assert!(back == message, "{} bytes came back, {} sent", back.len(), message.len());
    finish(task).await;
    assert_eq!(activity.bytes_forwarded(), 2 * message.len() as u64);
}

#[tokio::test(start_paused = true)]
async fn waits_for_a_pod_and_replays_what_a_refusing_one_was_sent() {
    let activity = Activity::new();
    let dial = FakeDial::new([Step::NoPod, Step::Refuse, Step::Refuse, Step::Echo]);
    let (mut client, task) = connect(dial.clone(), &activity);
    round_trip(&mut client, b"PRI * HTTP/2.0").await;
    finish(task).await;
    assert_eq!(dial.calls().len(), 4);
    assert_eq!(activity.bytes_forwarded(), 28, "replays are not counted twice");
}

#[tokio::test(start_paused = true)]
async fn a_401_gets_one_fresh_client_at_once() {
    let activity = Activity::new();
    let dial = FakeDial::new([Step::Fail(401), Step::Echo]);
    let (mut client, task) = connect(dial.clone(), &activity);
    let started = Instant::now();
    round_trip(&mut client, b"ping").await;
    finish(task).await;
    assert_eq!(dial.calls(), [false, true]);
    assert_eq!(started.elapsed(), Duration::ZERO, "no backoff before the fresh client");
}

#[tokio::test(start_paused = true)]
async fn a_second_401_closes_the_connection() {
    let activity = Activity::new();
    let dial = FakeDial::new([Step::Fail(401), Step::Fail(401), Step::Echo]);
    let (mut client, task) = connect(dial.clone(), &activity);
    assert_closed(&mut client).await;
    finish(task).await;
    assert_eq!(dial.calls(), [false, true]);
}

#[tokio::test(start_paused = true)]
async fn forbidden_closes_the_connection_at_once() {
    let activity = Activity::new();
    let dial = FakeDial::new([Step::Fail(403), Step::Echo]);
    let (mut client, task) = connect(dial.clone(), &activity);
    assert_closed(&mut client).await;
    finish(task).await;
    assert_eq!(dial.calls().len(), 1);
    assert_eq!(activity.open_connections(), 0);
}

#[tokio::test(start_paused = true)]
async fn not_found_is_waited_out() {
    let activity = Activity::new();
    let dial = FakeDial::new([Step::Fail(404), Step::Fail(404), Step::Echo]);
    let (mut client, task) = connect(dial.clone(), &activity);
    round_trip(&mut client, b"ping").await;
    finish(task).await;
    assert_eq!(dial.calls(), [false, false, false]);
}

#[tokio::test(start_paused = true)]
async fn other_pod_errors_are_not_retried() {
    let activity = Activity::new();
    let dial = FakeDial::new([Step::PodError, Step::Echo]);
    let (mut client, task) = connect(dial.clone(), &activity);
    client.write_all(b"ping").await.unwrap_or_else(|e| panic!("{e}"));
    assert_closed(&mut client).await;
    finish(task).await;
    assert_eq!(dial.calls().len(), 1, "the pod may have got the bytes; sending them again could repeat a request");
}

#[tokio::test(start_paused = true)]
async fn a_connection_without_a_pod_closes_after_a_minute() {
    let activity = Activity::new();
    let dial = FakeDial::new([]);
    let started = Instant::now();
    let (mut client, task) = connect(dial.clone(), &activity);
    assert_closed(&mut client).await;
    finish(task).await;
    assert_eq!(started.elapsed(), PATIENCE);
    assert_eq!(dial.calls().len(), 17, "one attempt, then one after each of the 16 waits");
    assert_eq!(activity.open_connections(), 0);
}

/// A target the caller has given up on: every connection is closed at once.
struct Gone;

#[async_trait]
impl ForwardTarget for Gone {
    async fn client(&self, _refresh: bool) -> Result<kube::Client, PortForwardError> {
        Err(PortForwardError::Target("the Spark Connect server was deleted".into()))
    }

    async fn resolve(&self, _client: &kube::Client) -> Result<Option<(String, String)>, PortForwardError> {
        Ok(None)
    }
}

#[tokio::test]
async fn serve_survives_failed_connections_and_stops_on_shutdown() {
    let listener = bind(None).await.unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let activity = Activity::new();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(serve(listener, Arc::new(Gone), 15002, activity.clone(), stopped));
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("{e}"));
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(rest.is_empty());
    }
    let _ = stop.send(());
    serving.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(activity.open_connections(), 0);
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "nothing listens after shutdown");
}

#[tokio::test(start_paused = true)]
async fn an_attempt_that_never_answers_is_given_up_and_tried_again() {
    let activity = Activity::new();
    let dial = FakeDial::new([Step::Hang, Step::Echo]);
    let (mut client, task) = connect(dial.clone(), &activity);
    let started = Instant::now();
    round_trip(&mut client, b"ping").await;
    finish(task).await;
    assert_eq!(dial.calls().len(), 2);
    let waited = started.elapsed();
    assert!(waited >= DIAL_TIMEOUT && waited < DIAL_TIMEOUT + MAX_DELAY, "retried after {waited:?}");
}
