//! Bad input, nothing touched (issue 6, item 8).
//!
//! - A corpus of broken specs (`tests/corpus/<case>/`, each a copy of one spec file broken one
//!   way, laid over the project's specs; the big, non-UTF-8 and endless ones are made at test
//!   time): `plan`, `apply`, `destroy` and `drift` exit 1 naming the file, line and field, and
//!   make no AWS call: `AWS_ENDPOINT_URL` points at a listener on 127.0.0.1 that must never see a
//!   connection.
//! - State objects that are corrupted, truncated, from a newer format or of another environment
//!   or stack, in the S3 bucket and in the local store: refused naming the key, never rewritten.
//!   A snapshot replaced by another lineage under a run's feet is a conflict, not an overwrite.
//! - Bad credentials (a fake endpoint answering 403) and an unreachable endpoint fail fast with
//!   one line naming the operation and AWS's code, or "could not reach".

use crate::support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use provision::aws::s3::{Precondition, S3Objects};
use provision::model::{Address, Attrs, Kind, RecordedResource, Stack, VpcAttrs};
use provision::state::{LocalStore, Recorder, Snapshot, StateError, Store};

/// The four commands that talk to AWS, as an operator would run them non-interactively.
const COMMANDS: [&[&str]; 4] = [
    &["plan"],
    &["apply", "--auto-approve"],
    &["destroy", "--auto-approve"],
    &["drift"],
];

fn corpus() -> PathBuf {
    support::root().join("tests/corpus")
}

/// The provision binary, pointed at `endpoint`, with made-up credentials and nothing from the
/// caller's environment that could change where it goes or what it prints.
fn provision(dir: &Path, endpoint: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_provision"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_MAX_ATTEMPTS")
        .env_remove("RUST_LOG")
        .env_remove("PROVISION_SPECS")
        .env("NO_COLOR", "1")
        .env("AWS_ACCESS_KEY_ID", "AKIDBADINPUTTEST")
        .env("AWS_SECRET_ACCESS_KEY", "not-a-secret")
        .env("AWS_REGION", support::REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", endpoint)
        .stdin(std::process::Stdio::null());
    cmd
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn with_env<'a>(cmd: &[&'a str], env: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = cmd.to_vec();
    args.extend(["--env", env]);
    args.extend(extra);
    args
}

/// A TCP listener that should stay silent: the AWS endpoint of runs that must not call AWS.
struct Silent(TcpListener);

impl Silent {
    fn new() -> Silent {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        l.set_nonblocking(true).unwrap();
        Silent(l)
    }

    fn url(&self) -> String {
        format!("http://{}", self.0.local_addr().unwrap())
    }

    /// Connections made so far (the kernel queues them whether or not anyone accepts).
    fn connections(&self) -> usize {
        std::iter::from_fn(|| self.0.accept().ok()).count()
    }
}

// ---- the spec corpus -------------------------------------------------------------------------

/// One broken spec, and where the error must point.
struct Case {
    /// A folder under tests/corpus/ whose files replace the project's, or a case made here.
    name: &'static str,
    env: &'static str,
    /// `file:line`; `file:@text` for the line of `text` in the project's own copy of the file;
    /// `file` alone for errors about the file as a whole (missing, too large).
    at: &'static str,
    /// The field as the error names it ("" when the error is about the whole file).
    field: &'static str,
    /// Part of the message.
    says: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "malformed-toml",
        env: "staging",
        at: "staging.toml:4",
        field: "network.vpc_cidr",
        says: "invalid basic string",
    },
    Case {
        name: "wrong-type",
        env: "staging",
        at: "staging.toml:16",
        field: "backend.beanstalk.max_instances",
        says: "invalid type: string \"one\"",
    },
    Case {
        name: "unknown-key",
        env: "staging",
        at: "staging.toml:5",
        field: "network.colour",
        says: "unknown field `colour`",
    },
    Case {
        name: "bad-cidr",
        env: "staging",
        at: "staging.toml:4",
        field: "network.vpc_cidr",
        says: "`10.2.0.300/16` is not an IPv4 CIDR block",
    },
    Case {
        name: "overlapping-subnets",
        env: "staging",
        at: "staging.toml:7",
        field: "network.subnets.public-a.cidr",
        says: "overlaps network.subnets.private-a.cidr (10.2.1.128/25)",
    },
    Case {
        name: "overlapping-vpcs",
        env: "production",
        at: "production.toml:4",
        field: "network.vpc_cidr",
        says: "overlaps staging's VPC 10.2.0.0/16",
    },
    // The same corpus breaks staging too: isolation is checked from both sides.
    Case {
        name: "overlapping-vpcs",
        env: "staging",
        at: "staging.toml:4",
        field: "network.vpc_cidr",
        says: "overlaps production's VPC 10.2.0.0/16",
    },
    Case {
        name: "min-greater-than-max",
        env: "staging",
        at: "staging.toml:15",
        field: "backend.beanstalk.min_instances",
        says: "min_instances 3 is greater than max_instances 2",
    },
    Case {
        name: "storage-out-of-range",
        env: "staging",
        at: "staging.toml:21",
        field: "backend.database.allocated_storage_gb",
        says: "7000 GiB is outside 5-3072 GiB",
    },
    Case {
        name: "unknown-reference",
        env: "staging",
        at: "staging.toml:21",
        field: "backend.database.subnets[1]",
        says: "unknown subnet `private-c`",
    },
    Case {
        name: "duplicate-key",
        env: "staging",
        at: "staging.toml:5",
        field: "network.vpc_cidr",
        says: "duplicate key",
    },
    Case {
        name: "table-redefined",
        env: "staging",
        at: "staging.toml:31",
        field: "backend.beanstalk",
        says: "duplicate key",
    },
    Case {
        name: "empty-env-file",
        env: "staging",
        at: "base.toml:@[network]",
        field: "network.vpc_cidr",
        says: "missing; set it in specs/staging.toml or specs/base.toml",
    },
    Case {
        name: "empty-base-file",
        env: "staging",
        at: "staging.toml:1",
        field: "project.name",
        says: "missing; set it in specs/staging.toml or specs/base.toml",
    },
    // Made at test time.
    Case {
        name: "non-utf8",
        env: "staging",
        at: "staging.toml:@instance_type",
        field: "backend.beanstalk.instance_type",
        says: "not valid UTF-8",
    },
    Case {
        name: "ten-mib",
        env: "staging",
        at: "staging.toml",
        field: "",
        says: "10485760 bytes is larger than a spec can be (1048576 bytes)",
    },
    Case {
        name: "endless",
        env: "staging",
        at: "staging.toml",
        field: "",
        says: "more than 1048576 bytes is larger than a spec can be",
    },
    Case {
        name: "missing-env-file",
        env: "qa",
        at: "qa.toml",
        field: "",
        says: "no spec for environment `qa` (environments in specs: production, staging)",
    },
    Case {
        name: "missing-base-file",
        env: "staging",
        at: "base.toml",
        field: "",
        says: "No such file or directory",
    },
];

/// A working folder holding `specs/`: the project's specs with the case's breakage applied.
fn prepare(case: &Case) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let specs = dir.path().join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    for entry in std::fs::read_dir(support::root().join("specs")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            std::fs::copy(&p, specs.join(p.file_name().unwrap())).unwrap();
        }
    }
    let staging = specs.join("staging.toml");
    let from = corpus().join(case.name);
    if from.is_dir() {
        for entry in std::fs::read_dir(&from).unwrap() {
            let p = entry.unwrap().path();
            std::fs::copy(&p, specs.join(p.file_name().unwrap())).unwrap();
        }
        return dir;
    }
    match case.name {
        "non-utf8" => {
            let text = std::fs::read(&staging).unwrap();
            let at = find(&text, b"\"t3.micro\"").expect("staging sets t3.micro") + 8;
            let mut bytes = text[..at].to_vec();
            bytes.push(0xe9); // Latin-1 é
            bytes.extend_from_slice(&text[at..]);
            std::fs::write(&staging, bytes).unwrap();
        }
        "ten-mib" => {
            let mut text = std::fs::read(&staging).unwrap();
            let pad = b"# padding, padding, padding, padding, padding, padding, padding, padding\n";
            while text.len() + pad.len() <= 10 * 1024 * 1024 {
                text.extend_from_slice(pad);
            }
            text.resize(10 * 1024 * 1024, b'\n');
            std::fs::write(&staging, text).unwrap();
        }
        "endless" => {
            // A link to a device that never ends: the size check cannot see it.
            std::fs::remove_file(&staging).unwrap();
            std::os::unix::fs::symlink("/dev/zero", &staging).unwrap();
        }
        "missing-env-file" => {}
        "missing-base-file" => std::fs::remove_file(specs.join("base.toml")).unwrap(),
        other => panic!("no corpus folder tests/corpus/{other} and no recipe for it"),
    }
    dir
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `specs/FILE:LINE:` (or `specs/FILE: ` for whole-file errors) as the error must print it.
fn expected_location(case: &Case) -> String {
    match case.at.split_once(':') {
        None => format!("specs/{}: ", case.at),
        Some((file, line)) => {
            let line = match line.strip_prefix('@') {
                Some(text) => {
                    let real =
                        std::fs::read_to_string(support::root().join("specs").join(file)).unwrap();
                    real.lines()
                        .position(|l| l.trim_start().starts_with(text))
                        .unwrap_or_else(|| panic!("no line `{text}` in specs/{file}"))
                        + 1
                }
                None => line.parse().unwrap(),
            };
            format!("specs/{file}:{line}:")
        }
    }
}

#[track_caller]
fn assert_names_the_place(case: &Case, what: &str, out: &Output) {
    let err = stderr(out);
    let ctx = format!("{} / {what}:\n{err}", case.name);
    assert_eq!(out.status.code(), Some(1), "exit code, {ctx}");
    assert!(out.stdout.is_empty(), "stdout: {ctx}");
    assert!(err.starts_with("error: "), "{ctx}");
    assert!(!err.contains("AWS calls:"), "--stats printed: {ctx}");
    assert!(!err.contains("panicked"), "{ctx}");
    let location = expected_location(case);
    let field = format!(": {}: ", case.field);
    let hit = err.lines().any(|l| {
        l.contains(&location)
            && (case.field.is_empty() || l.contains(&field))
            && l.contains(case.says)
    });
    assert!(
        hit,
        "expected a line with `{location}`, `{field}` and `{}`: {ctx}",
        case.says
    );
}

#[test]
fn broken_specs_fail_before_any_aws_call() {
    let listener = Silent::new();
    let endpoint = listener.url();
    let started = Instant::now();
    std::thread::scope(|s| {
        for case in CASES {
            let endpoint = endpoint.as_str();
            s.spawn(move || {
                let dir = prepare(case);
                let validate = provision(dir.path(), endpoint, &["validate", "--env", case.env])
                    .output()
                    .unwrap();
                assert_names_the_place(case, "validate", &validate);
                for cmd in COMMANDS {
                    let args = with_env(cmd, case.env, &["--stats"]);
                    let out = provision(dir.path(), endpoint, &args).output().unwrap();
                    assert_names_the_place(case, &args.join(" "), &out);
                }
                // Once more against the local store: the spec comes first there too.
                let args = with_env(
                    &["apply", "--auto-approve"],
                    case.env,
                    &["--state", "local"],
                );
                let out = provision(dir.path(), endpoint, &args).output().unwrap();
                assert_names_the_place(case, &args.join(" "), &out);
                assert!(
                    !dir.path().join("state").exists(),
                    "{}: state/ made",
                    case.name
                );
            });
        }
    });
    assert_eq!(
        listener.connections(),
        0,
        "a run with a broken spec connected to the AWS endpoint"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// The silent listener would notice: an intact spec does reach the endpoint.
#[test]
fn the_listener_sees_a_run_with_a_valid_spec() {
    let listener = Silent::new();
    let dir = prepare(&Case {
        name: "missing-env-file",
        env: "staging",
        at: "",
        field: "",
        says: "",
    });
    let mut child = provision(dir.path(), &listener.url(), &["plan", "--env", "staging"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = 0;
    while seen == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        seen = listener.connections();
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen > 0, "plan with a valid spec never connected");
}

#[test]
fn every_corpus_folder_is_in_the_table() {
    let named: BTreeSet<&str> = CASES.iter().map(|c| c.name).collect();
    for entry in std::fs::read_dir(corpus()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            named.contains(name.as_str()),
            "tests/corpus/{name} has no row"
        );
    }
}

// ---- bad state objects -----------------------------------------------------------------------

fn vpc_address() -> Address {
    Address::single(Stack::Shared, Kind::Vpc)
}

fn vpc(id: &str) -> RecordedResource {
    RecordedResource {
        id: id.into(),
        attrs: Attrs::Vpc(VpcAttrs {
            cidr: "10.2.0.0/16".parse().unwrap(),
            dns_hostnames: true,
            dns_support: true,
        }),
        tags: Default::default(),
        depends_on: Default::default(),
    }
}

/// A state object that must be refused: where it goes, what it holds, what the error says.
struct BadState {
    name: &'static str,
    key: &'static str,
    body: Vec<u8>,
    says: &'static str,
}

fn bad_states() -> Vec<BadState> {
    let mut shared = Snapshot::new("staging", Stack::Shared, "h");
    shared.serial = 3;
    shared.resources.insert(vpc_address(), vpc("vpc-0123"));
    let whole = shared.to_json();
    let mut newer: serde_json::Value = serde_json::from_slice(&whole).unwrap();
    newer["format_version"] = 2.into();
    newer["resources_v2"] = serde_json::json!({"shape": "unknown to this build"});
    vec![
        BadState {
            name: "corrupted",
            key: "shared/staging/state.json",
            body: b"\x00\x01PK\x03\x04 this is not JSON {".to_vec(),
            says: "is unreadable: it is not valid JSON",
        },
        BadState {
            name: "truncated",
            key: "backend/staging/state.json",
            body: {
                let mut s = Snapshot::new("staging", Stack::Backend, "h");
                s.serial = 2;
                let json = s.to_json();
                json[..json.len() / 2].to_vec()
            },
            says: "is unreadable: it is truncated",
        },
        BadState {
            name: "newer-format",
            key: "console/staging/state.json",
            body: {
                let mut v = newer.clone();
                v["stack"] = "console".into();
                serde_json::to_vec_pretty(&v).unwrap()
            },
            says: "was written by a newer provision (format version 2, this build reads up to 1)",
        },
        BadState {
            name: "other-environment",
            key: "shared/staging/state.json",
            body: {
                let mut s = shared.clone();
                s.env = "production".into();
                s.to_json()
            },
            says: "does not belong here: it holds env `production` stack `shared`",
        },
        BadState {
            name: "other-stack",
            key: "backend/staging/state.json",
            body: whole.clone(),
            says: "does not belong here: it holds env `staging` stack `shared`",
        },
    ]
}

#[track_caller]
fn assert_refused(bad: &BadState, what: &str, out: &Output) {
    let err = stderr(out);
    let ctx = format!("{} / {what}:\n{err}", bad.name);
    assert_eq!(out.status.code(), Some(1), "{ctx}");
    let first = err.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!("error: state {} ", bad.key)) && first.contains(bad.says),
        "{ctx}"
    );
    assert!(!err.contains("panicked"), "{ctx}");
}

/// Every command refuses the object; afterwards it is byte for byte what was put there, and
/// nothing else was written next to it (no lock, no history, no new snapshot).
async fn refused_and_untouched(acct: &support::Account, store: &Store, dir: &Path, local: bool) {
    for bad in bad_states() {
        store.ensure_ready().await.unwrap();
        for key in store.list("").await.unwrap() {
            store.delete(&key).await.unwrap();
        }
        store
            .put(bad.key, bad.body.clone(), Precondition::None)
            .await
            .unwrap()
            .unwrap();
        let before = store.get(bad.key).await.unwrap().unwrap();
        for cmd in COMMANDS {
            let mut args = with_env(cmd, "staging", &[]);
            if local {
                args.extend(["--state", "local"]);
            }
            let out = acct
                .command(dir, &args)
                .env_remove("RUST_LOG")
                .output()
                .unwrap();
            assert_refused(&bad, &args.join(" "), &out);
        }
        let after = store.get(bad.key).await.unwrap().unwrap();
        assert_eq!(after, before, "{}: {} was rewritten", bad.name, bad.key);
        assert_eq!(
            store.list("").await.unwrap(),
            vec![bad.key.to_owned()],
            "{}: something was written next to it",
            bad.name
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_state_in_the_bucket_is_refused_and_left_alone() {
    let acct = support::Account::new();
    let dir = acct.workdir();
    let aws = acct.aws().await;
    let store = Store::S3(S3Objects::new(
        aws.s3.clone(),
        acct.bucket(),
        support::REGION,
    ));
    refused_and_untouched(&acct, &store, dir.path(), false).await;
    // Refusing made no change in AWS either.
    assert!(
        aws.read(&support::owner("staging"))
            .await
            .unwrap()
            .resources
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_state_in_the_local_store_is_refused_and_left_alone() {
    let acct = support::Account::new();
    let dir = acct.workdir();
    let store = Store::Local(LocalStore::new(dir.path().join("state")));
    refused_and_untouched(&acct, &store, dir.path(), true).await;
}

/// A run holds snapshot A's ETag; meanwhile A is replaced by a snapshot of another lineage. The
/// run's next write is a conflict (If-Match), and the other lineage stays as it was.
async fn lineage_swap_is_a_conflict(store: Store) {
    store.ensure_ready().await.unwrap();
    let key = "shared/staging/state.json";
    let mut ours = Snapshot::new("staging", Stack::Shared, "h");
    ours.serial = 1;
    ours.resources.insert(vpc_address(), vpc("vpc-ours"));
    store.write(&ours, None).await.unwrap();

    let mut run = Recorder::open(store.clone(), "staging", &[Stack::Shared], "h")
        .await
        .unwrap();

    let mut theirs = Snapshot::new("staging", Stack::Shared, "h");
    theirs.serial = 9;
    theirs.resources.insert(vpc_address(), vpc("vpc-theirs"));
    assert_ne!(theirs.lineage, ours.lineage);
    store
        .put(key, theirs.to_json(), Precondition::None)
        .await
        .unwrap()
        .unwrap();
    let swapped = store.get(key).await.unwrap().unwrap();

    let err = run
        .record(&vpc_address(), vpc("vpc-new"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StateError::Conflict { key: k } if k == key),
        "{err}"
    );
    assert!(err.to_string().contains("nothing was overwritten"), "{err}");
    let err = run.forget(&vpc_address()).await.unwrap_err();
    assert!(matches!(err, StateError::Conflict { .. }), "{err}");
    run.finish().await.unwrap();

    assert_eq!(store.get(key).await.unwrap().unwrap(), swapped);
    let now = store.read(Stack::Shared, "staging").await.unwrap().unwrap();
    assert_eq!(now.snapshot, theirs);
    assert!(
        store
            .history(Stack::Shared, "staging")
            .await
            .unwrap()
            .is_empty(),
        "the conflicting run wrote history"
    );
}

#[tokio::test]
async fn lineage_swap_in_the_bucket_is_a_conflict() {
    let acct = support::Account::new();
    let aws = acct.aws().await;
    let bucket = format!("provision-lineage-{}", acct.id);
    lineage_swap_is_a_conflict(Store::S3(S3Objects::new(aws.s3, bucket, support::REGION))).await;
}

#[tokio::test]
async fn lineage_swap_in_the_local_store_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    lineage_swap_is_a_conflict(Store::Local(LocalStore::new(dir.path().join("state")))).await;
}

// ---- bad credentials, unreachable endpoint ---------------------------------------------------

/// An AWS endpoint that refuses every request as AWS does a bad key or signature: 403 with `code`,
/// in each protocol's error shape. It records each request (to count retries).
struct Refusing {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Refusing {
    fn start(code: &'static str, message: &'static str) -> Refusing {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let _ = answer(stream, code, message, &seen);
                });
            }
        });
        Refusing { addr, requests }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn answer(
    stream: TcpStream,
    code: &str,
    message: &str,
    seen: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line)? == 0 {
        return Ok(());
    }
    let (mut length, mut service, mut key_id) = (0usize, String::new(), String::new());
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap_or(0),
            // Credential=AKID/20250101/us-east-2/SERVICE/aws4_request
            "authorization" => {
                let credential: Vec<&str> = value
                    .split("Credential=")
                    .nth(1)
                    .unwrap_or_default()
                    .split('/')
                    .collect();
                key_id = credential[0].to_owned();
                service = credential.get(3).copied().unwrap_or_default().to_owned();
            }
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    seen.lock().unwrap().push(format!(
        "{key_id} {service} {} {}",
        request_line.trim_end(),
        String::from_utf8_lossy(&body)
    ));
    let (content_type, extra, payload) = match service.as_str() {
        "ec2" => (
            "text/xml",
            String::new(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>bad-input</RequestID></Response>"
            ),
        ),
        "rds" | "elasticbeanstalk" => (
            "text/xml",
            String::new(),
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>bad-input</RequestId></ErrorResponse>"
            ),
        ),
        "apigateway" => (
            "application/json",
            format!("x-amzn-ErrorType: {code}\r\n"),
            format!("{{\"message\":\"{message}\"}}"),
        ),
        _ => (
            "application/xml",
            String::new(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>bad-input</RequestId></Error>"
            ),
        ),
    };
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 403 Forbidden\r\nContent-Type: {content_type}\r\n{extra}x-amzn-RequestId: bad-input\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    )?;
    stream.flush()
}

/// The one line a failed run prints: `error: RESOURCE: OPERATION failed: CODE: message` or
/// `error: RESOURCE: OPERATION could not reach AWS: …`. Returns the operation.
#[track_caller]
fn one_clear_line(out: &Output, elapsed: Duration, limit: Duration, marker: &str) -> String {
    let err = stderr(out);
    let ctx = format!("after {elapsed:?}:\n{err}");
    assert_eq!(out.status.code(), Some(1), "{ctx}");
    assert!(elapsed < limit, "took {elapsed:?} (limit {limit:?}): {ctx}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line, no stack of retries: {ctx}");
    let line = lines[0];
    assert!(line.starts_with("error: "), "{ctx}");
    let (before, _) = line
        .split_once(marker)
        .unwrap_or_else(|| panic!("no `{marker}` in: {ctx}"));
    let operation = before.rsplit(' ').next().unwrap_or_default().to_owned();
    assert!(
        ["Describe", "Get", "List", "Head"]
            .iter()
            .any(|p| operation.starts_with(p)),
        "names a read operation, got `{operation}`: {ctx}"
    );
    operation
}

#[test]
fn bad_credentials_fail_fast_with_one_line() {
    let dir = prepare(&Case {
        name: "missing-env-file",
        env: "staging",
        at: "",
        field: "",
        says: "",
    });
    for (code, message) in [
        (
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ),
        (
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ),
    ] {
        let server = Refusing::start(code, message);
        let marker = format!(" failed: {code}: {message}");
        std::thread::scope(|s| {
            for (i, cmd) in COMMANDS.iter().enumerate() {
                let (server, dir, marker) = (&server, dir.path(), marker.as_str());
                s.spawn(move || {
                    let args = with_env(cmd, "staging", &["--stats"]);
                    let started = Instant::now();
                    // Each run its own key id, so the server can tell the runs' requests apart.
                    let out = provision(dir, &server.url(), &args)
                        .env("AWS_ACCESS_KEY_ID", format!("AKIDBADINPUT{i}"))
                        .output()
                        .unwrap();
                    one_clear_line(&out, started.elapsed(), Duration::from_secs(10), marker);
                });
            }
        });
        // Refusals are final: no run sent a request twice.
        let requests = server.requests();
        assert!(requests.len() >= COMMANDS.len(), "{requests:#?}");
        let distinct: BTreeSet<&String> = requests.iter().collect();
        assert_eq!(distinct.len(), requests.len(), "retried: {requests:#?}");
    }
}

#[test]
fn unreachable_endpoint_fails_fast_with_one_line() {
    let dir = prepare(&Case {
        name: "missing-env-file",
        env: "staging",
        at: "",
        field: "",
        says: "",
    });
    // A port nobody listens on.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    std::thread::scope(|s| {
        for cmd in COMMANDS {
            let (dir, closed) = (dir.path(), closed.as_str());
            s.spawn(move || {
                let args = with_env(cmd, "staging", &["--stats"]);
                let started = Instant::now();
                let out = provision(dir, closed, &args).output().unwrap();
                one_clear_line(
                    &out,
                    started.elapsed(),
                    Duration::from_secs(20),
                    " could not reach AWS: ",
                );
                assert!(
                    stderr(&out).contains("Connection refused"),
                    "{}",
                    stderr(&out)
                );
            });
        }
    });
}
