//! Test support for integration tests against LocalStack: make sure it runs (starting it through
//! `localstack/start` if needed) and give each test its own isolated AWS account, so tests run in
//! parallel against one server.
#![allow(dead_code)]

pub mod census;
pub mod faultproxy;
pub mod handmade;
pub mod output;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub const REGION: &str = "us-east-2";

/// The owner of the project's environment `env` (the specs' project is `agentpass`).
pub fn owner(env: &str) -> provision::model::Owner {
    provision::model::Owner {
        project: "agentpass".into(),
        env: env.into(),
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The default emulator: `LOCALSTACK_ENDPOINT`, else 127.0.0.1 on `LOCALSTACK_PORT` (4566).
pub fn endpoint() -> String {
    std::env::var("LOCALSTACK_ENDPOINT").unwrap_or_else(|_| {
        let port = std::env::var("LOCALSTACK_PORT").unwrap_or_else(|_| "4566".into());
        format!("http://127.0.0.1:{port}")
    })
}

/// The emulators the tests spread their accounts over: `LOCALSTACK_ENDPOINTS` (comma-separated;
/// scripts/test starts a second server, since one LocalStack is one Python process and holds at
/// most one core), else the default one alone.
pub fn endpoints() -> &'static [String] {
    static ALL: OnceLock<Vec<String>> = OnceLock::new();
    ALL.get_or_init(|| match std::env::var("LOCALSTACK_ENDPOINTS") {
        Ok(list) if listed(&list) => list
            .split(',')
            .map(|e| e.trim().trim_end_matches('/').to_owned())
            .collect(),
        _ => vec![endpoint()],
    })
}

/// Whether a `LOCALSTACK_ENDPOINTS` value names any server.
fn listed(list: &str) -> bool {
    !list.trim().is_empty()
}

/// `GET path` on the emulator at `base`; the body when it answers 200.
pub fn http_get(base: &str, path: &str) -> Option<String> {
    let host = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    // The server answers in the request's version (HTTP/1.0 here, 1.1 behind some proxies).
    (head.split_whitespace().nth(1) == Some("200")).then(|| body.to_owned())
}

/// `POST path` on the emulator at `base` with a JSON body; panics unless it answers 200. The body.
pub fn http_post(base: &str, path: &str, json: &str) -> String {
    let host = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).expect("connect to LocalStack");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.0\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{json}",
        json.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    assert_eq!(
        head.split_whitespace().nth(1),
        Some("200"),
        "POST {path} on {base}: {response}"
    );
    body.to_owned()
}

/// `POST /_provision/config` with `json` on every emulator of [`endpoints`]: the extension's
/// settings are server-wide, and a test's accounts may be on any of them.
pub fn set_emulator_config(json: &str) {
    for base in endpoints() {
        http_post(base, "/_provision/config", json);
    }
}

/// Slows every emulator's Beanstalk status changes (server-wide: every account on it) while it
/// lives; puts the delay back to 0 when dropped, also when the test fails.
pub struct SlowBeanstalk;

impl SlowBeanstalk {
    pub fn new(seconds: u32) -> SlowBeanstalk {
        set_emulator_config(&format!("{{\"eb_status_delay\": {seconds}}}"));
        SlowBeanstalk
    }
}

impl Drop for SlowBeanstalk {
    fn drop(&mut self) {
        set_emulator_config("{\"eb_status_delay\": 0}");
    }
}

/// Makes sure every emulator of [`endpoints`] answers, once per test binary: the default one is
/// started through `localstack/start` if nothing answers; a listed one must already run.
pub fn ensure_localstack() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        for base in endpoints() {
            if http_get(base, "/_localstack/health").is_some() {
                continue;
            }
            assert!(
                !std::env::var("LOCALSTACK_ENDPOINTS").is_ok_and(|l| listed(&l)),
                "nothing answers at {base}, listed in LOCALSTACK_ENDPOINTS (scripts/test starts them)"
            );
            let out = Command::new(root().join("localstack/start"))
                .output()
                .expect("run localstack/start");
            assert!(
                out.status.success(),
                "localstack/start failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    });
}

/// A fresh AWS account in LocalStack: a random 12-digit access key id is its own account.
/// Accounts are dealt to the emulators in turn.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    /// The emulator holding this account (one of [`endpoints`]).
    pub endpoint: String,
}

impl Account {
    pub fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        ensure_localstack();
        let all = endpoints();
        Account::on(&all[NEXT.fetch_add(1, Ordering::Relaxed) % all.len()])
    }

    /// Another fresh account on this one's emulator, for tests of what accounts share (bucket
    /// names are global on one server as on AWS).
    pub fn beside(&self) -> Self {
        Account::on(&self.endpoint)
    }

    fn on(endpoint: &str) -> Self {
        let n = u128::from_le_bytes(*uuid::Uuid::new_v4().as_bytes());
        Account {
            id: format!("{:012}", n % 1_000_000_000_000).replacen('0', "1", 1),
            endpoint: endpoint.to_owned(),
        }
    }

    /// `GET path` on this account's emulator (its internal endpoints); the body on 200.
    pub fn http_get(&self, path: &str) -> Option<String> {
        http_get(&self.endpoint, path)
    }

    /// `POST path` with a JSON body on this account's emulator; panics unless 200. The body.
    pub fn http_post(&self, path: &str, json: &str) -> String {
        http_post(&self.endpoint, path, json)
    }

    /// Environment for anything that talks to AWS as this account.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", self.id.clone()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", REGION.into()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// Runs the provision binary as this account, in `dir` (where `state/` lives for --state local).
    pub fn provision(&self, dir: &Path, args: &[&str]) -> Output {
        self.command(dir, args).output().expect("run provision")
    }

    pub fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_provision"));
        cmd.current_dir(dir)
            .args(args)
            .env_remove("AWS_PROFILE")
            .env("NO_COLOR", "1");
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        cmd
    }

    /// A library client for assertions, as this account.
    pub async fn aws(&self) -> provision::aws::Aws {
        provision::aws::Aws::connect(&provision::aws::ConnectOptions {
            endpoint_url: Some(self.endpoint.clone()),
            profile: None,
            region: REGION.into(),
            credentials: Some((self.id.clone(), "test".into())),
        })
        .await
    }
}

impl Account {
    /// A working folder with a copy of the project's specs, for tests that edit them. Bucket
    /// names are global (in LocalStack as in AWS), so the state bucket is made this account's.
    pub fn workdir(&self) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let specs = dir.path().join("specs");
        std::fs::create_dir_all(&specs).unwrap();
        for entry in std::fs::read_dir(root().join("specs")).unwrap() {
            let p = entry.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap().replace(
                "bucket = \"agentpass-terraform-state\"",
                &format!("bucket = \"{}\"", self.bucket()),
            );
            std::fs::write(specs.join(p.file_name().unwrap()), text).unwrap();
        }
        dir
    }

    pub fn bucket(&self) -> String {
        format!("provision-test-{}", self.id)
    }

    /// Every object in this account's state bucket (snapshots, history, locks) as
    /// `key: body`, for tests that a secret is stored nowhere; panics on an empty bucket.
    pub async fn state_objects(&self, aws: &provision::aws::Aws) -> Vec<String> {
        let listed = aws
            .s3
            .list_objects_v2()
            .bucket(self.bucket())
            .send()
            .await
            .unwrap();
        let mut out = Vec::new();
        for o in listed.contents() {
            let key = o.key().unwrap();
            let body = aws
                .s3
                .get_object()
                .bucket(self.bucket())
                .key(key)
                .send()
                .await
                .unwrap()
                .body
                .collect()
                .await
                .unwrap()
                .into_bytes();
            out.push(format!("{key}: {}", String::from_utf8_lossy(&body)));
        }
        assert!(!out.is_empty(), "the state bucket is empty");
        out
    }

    /// Runs provision with `--format json`: its exit code and the document on stdout.
    pub fn json(&self, dir: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value) {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let out = self.provision(dir, &all);
        let doc = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: not JSON:\n{}", text(&out)));
        (out.status.code(), doc)
    }
}

impl Account {
    /// `provision apply --env ENV --auto-approve --stats` and `args` (`--stack shared`,
    /// `--confirm production`, ...) in `dir`: its output, whatever it exits with (`assert_ok` it
    /// where it must succeed). `--stats` always, so that any run's AWS calls can be counted.
    pub fn apply(&self, dir: &Path, env: &str, args: &[&str]) -> Output {
        self.run(
            dir,
            &["apply", "--env", env, "--auto-approve", "--stats"],
            args,
        )
    }

    /// [`Account::apply`] of one stack (`shared`, `backend`, `console`).
    pub fn apply_stack(&self, dir: &Path, env: &str, stack: &str) -> Output {
        self.apply(dir, env, &["--stack", stack])
    }

    /// `provision plan --env ENV --stats` and `args`: its output (exit 2 when changes are pending).
    pub fn plan(&self, dir: &Path, env: &str, args: &[&str]) -> Output {
        self.run(dir, &["plan", "--env", env, "--stats"], args)
    }

    /// `provision destroy --env ENV --auto-approve --stats` and `args`: its output.
    pub fn destroy(&self, dir: &Path, env: &str, args: &[&str]) -> Output {
        self.run(
            dir,
            &["destroy", "--env", env, "--auto-approve", "--stats"],
            args,
        )
    }

    fn run(&self, dir: &Path, verb: &[&str], args: &[&str]) -> Output {
        self.provision(dir, &[verb, args].concat())
    }
}

/// A VPC made by hand (as Terraform or a person at the console would), not by provision.
pub struct HandVpc {
    pub id: String,
    /// The subnets' ids, in the order they were asked for.
    pub subnets: Vec<String>,
}

impl HandVpc {
    /// A VPC of `cidr` carrying `tags`, with a subnet for each `(cidr, availability zone)`.
    pub async fn make(
        aws: &provision::aws::Aws,
        cidr: &str,
        tags: &[(&str, &str)],
        subnets: &[(&str, &str)],
    ) -> HandVpc {
        use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
        let mut request = aws.ec2.create_vpc().cidr_block(cidr);
        if !tags.is_empty() {
            let spec = tags.iter().fold(
                TagSpecification::builder().resource_type(ResourceType::Vpc),
                |spec, (k, v)| spec.tags(Tag::builder().key(*k).value(*v).build()),
            );
            request = request.tag_specifications(spec.build());
        }
        let made = request.send().await.expect("CreateVpc");
        let id = made.vpc().unwrap().vpc_id().unwrap().to_owned();
        let mut ids = Vec::new();
        for (cidr, az) in subnets {
            ids.push(hand_subnet(aws, &id, cidr, az).await);
        }
        HandVpc { id, subnets: ids }
    }
}

/// A subnet made by hand in `vpc` (provision's or a hand-made one): its id.
pub async fn hand_subnet(aws: &provision::aws::Aws, vpc: &str, cidr: &str, az: &str) -> String {
    let made = aws
        .ec2
        .create_subnet()
        .vpc_id(vpc)
        .cidr_block(cidr)
        .availability_zone(az)
        .send()
        .await
        .expect("CreateSubnet");
    made.subnet().unwrap().subnet_id().unwrap().to_owned()
}

/// Address -> physical id of everything provision's read pass finds by `env`'s tags.
pub async fn live_ids(
    aws: &provision::aws::Aws,
    env: &str,
) -> std::collections::BTreeMap<String, String> {
    aws.read(&owner(env))
        .await
        .unwrap()
        .resources
        .into_iter()
        .map(|(a, r)| (a.to_string(), r.id))
        .collect()
}

/// Replaces the first `from` with `to` in `file` (`staging.toml`, `base.toml`) of a workdir's specs.
#[track_caller]
pub fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join("specs").join(file);
    let spec = std::fs::read_to_string(&path).unwrap();
    assert!(spec.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(&path, spec.replacen(from, to, 1)).unwrap();
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `out`, once asserted successful: `let out = ok(acct.apply(...));`.
#[track_caller]
pub fn ok(out: Output) -> Output {
    assert_ok(&out);
    out
}

#[track_caller]
pub fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "provision failed ({:?}):\n{}",
        out.status.code(),
        text(out)
    );
}
