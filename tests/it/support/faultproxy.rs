//! A fault-injecting HTTP/1.1 proxy in front of LocalStack, for tests: std only, one thread per
//! connection, listening on 127.0.0.1 (an ephemeral port) and forwarding only to 127.0.0.1.
//!
//! Point provision at it with `AWS_ENDPOINT_URL` / `--endpoint-url` ([`FaultProxy::url`]). For
//! each request it decides, from the seed and the request's identity (service, operation, and how
//! many times that operation has been seen), whether to inject a fault, so a run with the same
//! seed makes the same decisions (concurrent calls of one operation may swap theirs). Faults:
//!
//! - before forwarding (LocalStack never sees the request): the service's own throttling error
//!   (EC2 `RequestLimitExceeded` 503, RDS/Beanstalk `Throttling` 400, S3 `SlowDown` 503, API
//!   Gateway `TooManyRequestsException` 429), a plain 500 or 503, or a connection closed without
//!   an answer;
//! - after forwarding (LocalStack did the work, the answer is lost): the connection closed, or a
//!   500 instead of the real answer. The SDK retries these, so a create can arrive twice.
//!
//! Plus added latency, an outage (every request of chosen services answered 503 after N
//! requests, or connections refused), and rejected credentials (each service's real error).
//! Everything injected is counted ([`FaultProxy::counts`]). The proxy stops when dropped.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One kind of injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// The service's own throttling error, before forwarding.
    Throttle,
    /// A plain `500 Internal Server Error`, before forwarding.
    Error500,
    /// A plain `503 Service Unavailable`, before forwarding.
    Error503,
    /// The connection closed without an answer, before forwarding.
    ResetBefore,
    /// Forwarded, then the connection closed: the work is done, the answer lost.
    ResetAfter,
    /// Forwarded, then a plain 500 instead of the real answer.
    Error500After,
}

impl Fault {
    pub const ALL: [Fault; 6] = [
        Fault::Throttle,
        Fault::Error500,
        Fault::Error503,
        Fault::ResetBefore,
        Fault::ResetAfter,
        Fault::Error500After,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::Throttle => "throttle",
            Fault::Error500 => "500",
            Fault::Error503 => "503",
            Fault::ResetBefore => "reset-before",
            Fault::ResetAfter => "reset-after",
            Fault::Error500After => "500-after",
        }
    }

    fn after_forwarding(self) -> bool {
        matches!(self, Fault::ResetAfter | Fault::Error500After)
    }
}

/// What happens once an outage starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// Every request to the outage's services is answered `503` (the service's own shape).
    Unavailable,
    /// Every connection is closed at once (as if nothing listened).
    Refuse,
}

/// The proxy's behaviour; can be changed while it runs ([`FaultProxy::set`]).
#[derive(Debug, Clone)]
pub struct Config {
    /// Share of requests (0.0-1.0) that get a fault from `kinds`.
    pub rate: f64,
    pub seed: u64,
    /// The faults to draw from, with weights.
    pub kinds: Vec<(Fault, u32)>,
    /// Share of requests delayed, and by up to how much (uniform in 0..=max).
    pub latency_rate: f64,
    pub latency_max: Duration,
    /// After this many requests in total, an outage starts and lasts until the config changes.
    pub outage_after: Option<u64>,
    pub outage: Outage,
    /// Services the outage affects (credential-scope names: `ec2`, `s3`, ...); empty: all.
    pub outage_services: Vec<&'static str>,
    /// Answer every request with the service's invalid-credentials error.
    pub reject_credentials: bool,
    /// Faults only for these operations (as `Counts::operations` names them); empty: all.
    pub only: Vec<&'static str>,
}

impl Default for Config {
    /// Passes everything through.
    fn default() -> Self {
        Config {
            rate: 0.0,
            seed: 1,
            kinds: Vec::new(),
            latency_rate: 0.0,
            latency_max: Duration::ZERO,
            outage_after: None,
            outage: Outage::Unavailable,
            outage_services: Vec::new(),
            reject_credentials: false,
            only: Vec::new(),
        }
    }
}

impl Config {
    /// `rate` of requests failing with an even mix of every fault kind, and 10% of requests
    /// delayed by up to 200 ms.
    pub fn mixed(rate: f64, seed: u64) -> Config {
        Config {
            rate,
            seed,
            kinds: Fault::ALL.iter().map(|&f| (f, 1)).collect(),
            latency_rate: 0.1,
            latency_max: Duration::from_millis(200),
            ..Config::default()
        }
    }
}

/// What the proxy saw and did.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub requests: u64,
    /// Requests LocalStack received (after-forwarding faults included).
    pub forwarded: u64,
    /// (service, fault) -> how many times injected.
    pub injected: BTreeMap<(String, Fault), u64>,
    pub delayed: u64,
    /// Requests answered by the outage, and by the credentials rejection.
    pub outage: u64,
    pub rejected: u64,
    /// (service, operation) -> requests, faults included.
    pub operations: BTreeMap<(String, String), u64>,
}

impl Counts {
    pub fn faults(&self) -> u64 {
        self.injected.values().sum()
    }

    pub fn of(&self, fault: Fault) -> u64 {
        self.injected
            .iter()
            .filter(|((_, f), _)| *f == fault)
            .map(|(_, n)| n)
            .sum()
    }

    /// One line per fault kind, for test output and figures.
    pub fn summary(&self) -> String {
        let mut by_kind: BTreeMap<Fault, u64> = BTreeMap::new();
        for ((_, f), n) in &self.injected {
            *by_kind.entry(*f).or_default() += n;
        }
        let kinds: Vec<String> = by_kind
            .iter()
            .map(|(f, n)| format!("{} {n}", f.name()))
            .collect();
        format!(
            "{} requests, {} forwarded, {} faults ({}), {} delayed, {} outage, {} rejected",
            self.requests,
            self.forwarded,
            self.faults(),
            kinds.join(", "),
            self.delayed,
            self.outage,
            self.rejected
        )
    }
}

struct Shared {
    upstream: SocketAddr,
    config: Mutex<Config>,
    counts: Mutex<Counts>,
    /// Request identity -> times seen, for reproducible decisions.
    seen: Mutex<HashMap<String, u64>>,
    total: AtomicU64,
    stop: AtomicBool,
    /// Client connections, closed on drop so no thread outlives the test for long.
    clients: Mutex<Vec<TcpStream>>,
}

pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts the proxy in front of `upstream` (`http://127.0.0.1:PORT`; anything not on
    /// 127.0.0.1 is refused).
    pub fn start(upstream: &str, config: Config) -> FaultProxy {
        let hostport = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .replace("localhost", "127.0.0.1");
        let upstream: SocketAddr = hostport
            .parse()
            .unwrap_or_else(|_| panic!("fault proxy: upstream {upstream} is not 127.0.0.1:PORT"));
        assert!(
            upstream.ip().is_loopback(),
            "fault proxy forwards only to 127.0.0.1, not {upstream}"
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("fault proxy: bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            upstream,
            config: Mutex::new(config),
            counts: Mutex::new(Counts::default()),
            seen: Mutex::new(HashMap::new()),
            total: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            clients: Mutex::new(Vec::new()),
        });
        let s = shared.clone();
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                if let Ok(c) = conn.try_clone() {
                    s.clients.lock().unwrap().push(c);
                }
                let s = s.clone();
                std::thread::spawn(move || {
                    let _ = serve(&s, conn);
                });
            }
        });
        FaultProxy {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// In front of `acct`'s emulator.
    pub fn localstack(acct: &super::Account, config: Config) -> FaultProxy {
        FaultProxy::start(&acct.endpoint, config)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn counts(&self) -> Counts {
        self.shared.counts.lock().unwrap().clone()
    }

    /// Replaces the behaviour; the request count and the counters carry on.
    pub fn set(&self, config: Config) {
        *self.shared.config.lock().unwrap() = config;
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop, then close every client connection.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        for c in self.shared.clients.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// One HTTP request as read from the client, kept as raw bytes for forwarding.
struct Request {
    head: Vec<u8>,
    body: Vec<u8>,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The service from the SigV4 credential scope `KEY/DATE/REGION/SERVICE/aws4_request`.
    fn service(&self) -> String {
        self.header("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').nth(3))
            .map_or_else(|| "unknown".to_owned(), str::to_owned)
    }

    /// The operation: the `Action` of query protocols, else the method and the path with ids
    /// (segments holding digits) blanked out.
    fn operation(&self, service: &str) -> String {
        if let Some(action) = form_value(&self.body, "Action").or_else(|| {
            form_value(
                self.target.split('?').nth(1).unwrap_or("").as_bytes(),
                "Action",
            )
        }) {
            return action;
        }
        let (path, query) = self.target.split_once('?').unwrap_or((&self.target, ""));
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        // REST paths alternate collection and id (`/restapis/{id}/resources/{id}`, after a
        // `v2`): an id is a `*` even when it has no digit (API Gateway's are random letters and
        // digits), so a fault's draw does not depend on the ids of the run.
        let versioned = usize::from(segments.first() == Some(&"v2"));
        let mut shape: Vec<&str> = segments
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let id_slot = i >= versioned && (i - versioned) % 2 == 1;
                if id_slot || s.bytes().any(|b| b.is_ascii_digit()) {
                    "*"
                } else {
                    s
                }
            })
            .collect();
        if service == "s3" {
            // Bucket names are per test; keep the object key's last part.
            shape = shape.last().copied().into_iter().collect();
        }
        let keys: Vec<&str> = query
            .split('&')
            .filter(|q| !q.is_empty())
            .map(|q| q.split('=').next().unwrap_or(""))
            .collect();
        format!("{} /{}?{}", self.method, shape.join("/"), keys.join("&"))
    }
}

fn form_value(body: &[u8], key: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_owned())
}

/// Reads one request head and body; `None` on a clean end of the connection.
fn read_request(
    r: &mut BufReader<TcpStream>,
    w: &mut TcpStream,
) -> std::io::Result<Option<Request>> {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        let end = line == b"\r\n" || line == b"\n";
        head.extend_from_slice(&line);
        if end && head.len() > line.len() {
            break;
        }
        if end {
            head.clear(); // stray empty line between requests
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_owned();
    let target = first.next().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    // We answer `100 Continue` ourselves and forward without the Expect header.
    if get("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        let kept: String = text
            .split("\r\n")
            .filter(|l| !l.to_ascii_lowercase().starts_with("expect:"))
            .collect::<Vec<_>>()
            .join("\r\n");
        head = kept.into_bytes();
    }
    let body =
        if get("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
            read_chunked(r)?
        } else {
            let n: usize = get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; n];
            r.read_exact(&mut body)?;
            body
        };
    Ok(Some(Request {
        head,
        body,
        method,
        target,
        headers,
    }))
}

/// A chunked body, raw (chunk sizes, extensions and trailers kept) for forwarding verbatim.
fn read_chunked(r: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut raw = Vec::new();
    loop {
        let mut line = Vec::new();
        r.read_until(b'\n', &mut line)?;
        if line.is_empty() {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        raw.extend_from_slice(&line);
        let size_text = String::from_utf8_lossy(&line);
        let size_hex = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| std::io::Error::other("bad chunk size"))?;
        if size == 0 {
            // Trailers until an empty line.
            loop {
                let mut t = Vec::new();
                r.read_until(b'\n', &mut t)?;
                raw.extend_from_slice(&t);
                if t == b"\r\n" || t == b"\n" || t.is_empty() {
                    return Ok(raw);
                }
            }
        }
        let mut chunk = vec![0; size + 2];
        r.read_exact(&mut chunk)?;
        raw.extend_from_slice(&chunk);
    }
}

/// A response read from LocalStack, raw, and whether the upstream connection can be reused.
struct Response {
    raw: Vec<u8>,
    keep_alive: bool,
}

fn read_response(r: &mut BufReader<TcpStream>, method: &str) -> std::io::Result<Response> {
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = Vec::new();
            if r.read_until(b'\n', &mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let end = line == b"\r\n";
            head.extend_from_slice(&line);
            if end {
                break;
            }
        }
        let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
        let status: u16 = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if (100..200).contains(&status) {
            continue; // interim answer: we already sent the client its own
        }
        let header = |n: &str| {
            text.split("\r\n")
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim() == n)
                .map(|(_, v)| v.trim().to_owned())
        };
        let mut keep_alive = header("connection").is_none_or(|c| c != "close");
        let mut raw = head;
        if method == "HEAD" || status == 204 || status == 304 {
        } else if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
            raw.extend(read_chunked(r)?);
        } else if let Some(n) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
            let mut body = vec![0; n];
            r.read_exact(&mut body)?;
            raw.extend(body);
        } else {
            r.read_to_end(&mut raw)?;
            keep_alive = false;
        }
        return Ok(Response { raw, keep_alive });
    }
}

struct Upstream {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

fn forward(s: &Shared, up: &mut Option<Upstream>, req: &Request) -> std::io::Result<Response> {
    // A pooled upstream connection may have been closed by LocalStack: one fresh try.
    for attempt in 0..2 {
        if up.is_none() {
            let c = TcpStream::connect_timeout(&s.upstream, Duration::from_secs(5))?;
            c.set_read_timeout(Some(Duration::from_secs(120)))?;
            up.replace(Upstream {
                reader: BufReader::new(c.try_clone()?),
                writer: c,
            });
        }
        let u = up.as_mut().unwrap();
        let sent = u
            .writer
            .write_all(&req.head)
            .and_then(|()| u.writer.write_all(&req.body));
        let result = sent.and_then(|()| read_response(&mut u.reader, &req.method));
        match result {
            Ok(resp) => {
                if !resp.keep_alive {
                    *up = None;
                }
                return Ok(resp);
            }
            Err(e) if attempt == 0 => {
                *up = None;
                let _ = e;
            }
            Err(e) => {
                *up = None;
                return Err(e);
            }
        }
    }
    unreachable!()
}

fn mix(mut z: u64) -> u64 {
    // splitmix64
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

enum Decision {
    Pass,
    Fault(Fault),
    Outage(Outage),
    Reject,
}

fn decide(s: &Shared, service: &str, operation: &str) -> (Decision, Duration) {
    let cfg = s.config.lock().unwrap().clone();
    let total = s.total.fetch_add(1, Ordering::SeqCst) + 1;
    let identity = format!("{service} {operation}");
    let nth = {
        let mut seen = s.seen.lock().unwrap();
        let n = seen.entry(identity.clone()).or_default();
        *n += 1;
        *n
    };
    let base = mix(cfg.seed ^ fnv(&identity) ^ mix(nth));
    let delay = if unit(mix(base ^ 1)) < cfg.latency_rate {
        cfg.latency_max.mul_f64(unit(mix(base ^ 2)))
    } else {
        Duration::ZERO
    };
    if cfg.reject_credentials {
        return (Decision::Reject, delay);
    }
    if let Some(n) = cfg.outage_after
        && total > n
        && (cfg.outage_services.is_empty() || cfg.outage_services.contains(&service))
    {
        return (Decision::Outage(cfg.outage), delay);
    }
    let weight: u32 = cfg.kinds.iter().map(|(_, w)| w).sum();
    let chosen = cfg.only.is_empty() || cfg.only.contains(&operation);
    if weight == 0 || !chosen || unit(base) >= cfg.rate {
        return (Decision::Pass, delay);
    }
    let mut pick = (mix(base ^ 3) % u64::from(weight)) as u32;
    for &(f, w) in &cfg.kinds {
        if pick < w {
            return (Decision::Fault(f), delay);
        }
        pick -= w;
    }
    (Decision::Pass, delay)
}

fn serve(s: &Shared, client: TcpStream) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut writer = client;
    let mut upstream: Option<Upstream> = None;
    loop {
        let Some(req) = read_request(&mut reader, &mut writer)? else {
            return Ok(());
        };
        if s.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        let service = req.service();
        let operation = req.operation(&service);
        let (decision, delay) = decide(s, &service, &operation);
        {
            let mut c = s.counts.lock().unwrap();
            c.requests += 1;
            *c.operations
                .entry((service.clone(), operation.clone()))
                .or_default() += 1;
            if !delay.is_zero() {
                c.delayed += 1;
            }
            match &decision {
                Decision::Fault(f) => {
                    *c.injected.entry((service.clone(), *f)).or_default() += 1;
                    if f.after_forwarding() {
                        c.forwarded += 1;
                    }
                }
                Decision::Outage(_) => c.outage += 1,
                Decision::Reject => c.rejected += 1,
                Decision::Pass => c.forwarded += 1,
            }
        }
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let head = req.method == "HEAD";
        match decision {
            Decision::Pass => {
                let resp = forward(s, &mut upstream, &req)?;
                writer.write_all(&resp.raw)?;
                if !resp.keep_alive {
                    return Ok(());
                }
            }
            Decision::Fault(Fault::ResetBefore) | Decision::Outage(Outage::Refuse) => {
                let _ = writer.shutdown(Shutdown::Both);
                return Ok(());
            }
            Decision::Fault(Fault::ResetAfter) => {
                let _ = forward(s, &mut upstream, &req);
                let _ = writer.shutdown(Shutdown::Both);
                return Ok(());
            }
            Decision::Fault(Fault::Error500After) => {
                let _ = forward(s, &mut upstream, &req);
                writer.write_all(&plain(500, "Internal Server Error", head))?;
            }
            Decision::Fault(Fault::Error500) => {
                writer.write_all(&plain(500, "Internal Server Error", head))?;
            }
            Decision::Fault(Fault::Error503) => {
                writer.write_all(&plain(503, "Service Unavailable", head))?;
            }
            Decision::Fault(Fault::Throttle) => {
                writer.write_all(&throttle(&service, head))?;
            }
            Decision::Outage(Outage::Unavailable) => {
                writer.write_all(&unavailable(&service, head))?;
            }
            Decision::Reject => writer.write_all(&rejected(&service, head))?,
        }
    }
}

fn response(
    status: u16,
    reason: &str,
    headers: &[(&str, &str)],
    body: &str,
    head: bool,
) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    let id = format!("faultproxy-{:016x}", mix(fnv(body) ^ u64::from(status)));
    out.push_str(&format!(
        "x-amzn-RequestId: {id}\r\nx-amz-request-id: {id}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    ));
    if !head {
        out.push_str(body);
    }
    out.into_bytes()
}

fn plain(status: u16, reason: &str, head: bool) -> Vec<u8> {
    response(
        status,
        reason,
        &[("Content-Type", "text/plain")],
        &format!("{status} {reason}\n"),
        head,
    )
}

/// An error in the shape the service's protocol uses.
fn shaped(
    service: &str,
    status: u16,
    reason: &str,
    code: &str,
    message: &str,
    head: bool,
) -> Vec<u8> {
    const XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    match service {
        // EC2 query protocol.
        "ec2" => response(
            status,
            reason,
            &[("Content-Type", "text/xml;charset=UTF-8")],
            &format!(
                "{XML}<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>faultproxy</RequestID></Response>"
            ),
            head,
        ),
        // REST-XML.
        "s3" => response(
            status,
            reason,
            &[("Content-Type", "application/xml")],
            &format!(
                "{XML}<Error><Code>{code}</Code><Message>{message}</Message><RequestId>faultproxy</RequestId><HostId>faultproxy</HostId></Error>"
            ),
            head,
        ),
        // CloudWatch: RPCv2 CBOR, query-compatible (the code also in `x-amzn-query-error`).
        "monitoring" => cbor_error(status, reason, code, message, head),
        // REST-JSON.
        "apigateway" => response(
            status,
            reason,
            &[
                ("Content-Type", "application/json"),
                ("x-amzn-ErrorType", code),
            ],
            &format!("{{\"message\":\"{message}\"}}"),
            head,
        ),
        // AWS JSON 1.1 (the Resource Groups Tagging API, signing name `tagging`; Budgets, Cost
        // Explorer): the code in `__type`.
        "tagging" | "budgets" | "ce" => response(
            status,
            reason,
            &[("Content-Type", "application/x-amz-json-1.1")],
            &format!("{{\"__type\":\"{code}\",\"message\":\"{message}\"}}"),
            head,
        ),
        // AWS query protocol (RDS, Elastic Beanstalk, and anything else).
        _ => {
            let kind = if status < 500 { "Sender" } else { "Receiver" };
            response(
                status,
                reason,
                &[("Content-Type", "text/xml")],
                &format!(
                    "<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>faultproxy</RequestId></ErrorResponse>"
                ),
                head,
            )
        }
    }
}

/// A CBOR text string (short ones: all the proxy writes).
fn cbor_text(out: &mut Vec<u8>, s: &str) {
    match s.len() {
        n @ 0..=23 => out.push(0x60 + n as u8),
        n => out.extend([0x78, u8::try_from(n).expect("a short text")]),
    }
    out.extend_from_slice(s.as_bytes());
}

/// An RPCv2 CBOR error: a map of `__type` and `message`, as CloudWatch answers.
fn cbor_error(status: u16, reason: &str, code: &str, message: &str, head: bool) -> Vec<u8> {
    let mut body = vec![0xa2];
    for part in ["__type", code, "message", message] {
        cbor_text(&mut body, part);
    }
    let kind = if status < 500 { "Sender" } else { "Receiver" };
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/cbor\r\nsmithy-protocol: rpc-v2-cbor\r\nx-amzn-query-error: {code};{kind}\r\nx-amzn-RequestId: faultproxy\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head {
        out.extend(body);
    }
    out
}

fn throttle(service: &str, head: bool) -> Vec<u8> {
    match service {
        "ec2" => shaped(
            service,
            503,
            "Service Unavailable",
            "RequestLimitExceeded",
            "Request limit exceeded.",
            head,
        ),
        "s3" => shaped(
            service,
            503,
            "Slow Down",
            "SlowDown",
            "Please reduce your request rate.",
            head,
        ),
        "apigateway" => shaped(
            service,
            429,
            "Too Many Requests",
            "TooManyRequestsException",
            "Too Many Requests",
            head,
        ),
        "tagging" => shaped(
            service,
            400,
            "Bad Request",
            "ThrottledException",
            "Rate exceeded",
            head,
        ),
        _ => shaped(
            service,
            400,
            "Bad Request",
            "Throttling",
            "Rate exceeded",
            head,
        ),
    }
}

fn unavailable(service: &str, head: bool) -> Vec<u8> {
    match service {
        "ec2" => shaped(
            service,
            503,
            "Service Unavailable",
            "Unavailable",
            "The server is overloaded and can't handle the request.",
            head,
        ),
        "s3" => shaped(
            service,
            503,
            "Service Unavailable",
            "ServiceUnavailable",
            "Service is unable to handle request.",
            head,
        ),
        "apigateway" => shaped(
            service,
            503,
            "Service Unavailable",
            "ServiceUnavailableException",
            "Service Unavailable",
            head,
        ),
        _ => shaped(
            service,
            503,
            "Service Unavailable",
            "ServiceUnavailable",
            "Service is unavailable.",
            head,
        ),
    }
}

fn rejected(service: &str, head: bool) -> Vec<u8> {
    match service {
        "ec2" => shaped(
            service,
            401,
            "Unauthorized",
            "AuthFailure",
            "AWS was not able to validate the provided access credentials",
            head,
        ),
        "s3" => shaped(
            service,
            403,
            "Forbidden",
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            head,
        ),
        "apigateway" => shaped(
            service,
            403,
            "Forbidden",
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
            head,
        ),
        _ => shaped(
            service,
            403,
            "Forbidden",
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
            head,
        ),
    }
}
