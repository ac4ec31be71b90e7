//! AWS call accounting: an SDK interceptor that counts executions and attempts per service and
//! operation. Tests assert on it (no mutating call on a converged apply); `--stats` prints it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Count {
    /// Logical calls made by provision.
    pub calls: u64,
    /// HTTP attempts, retries included.
    pub attempts: u64,
}

impl Count {
    pub fn retries(&self) -> u64 {
        self.attempts.saturating_sub(self.calls)
    }
}

/// Operation names that only read. Everything else counts as mutating.
pub fn is_read_only(operation: &str) -> bool {
    ["Describe", "Get", "List", "Head", "Validate", "Check"]
        .iter()
        .any(|p| operation.starts_with(p))
}

#[derive(Debug, Default, Clone)]
pub struct Stats {
    inner: Arc<Mutex<BTreeMap<(String, String), Count>>>,
}

impl Stats {
    fn bump(&self, cfg: &ConfigBag, f: impl FnOnce(&mut Count)) {
        let (service, op) = cfg.load::<Metadata>().map_or_else(
            || ("unknown".into(), "unknown".into()),
            |m| (m.service().to_owned(), m.name().to_owned()),
        );
        let mut map = self.inner.lock().expect("stats lock");
        f(map.entry((service, op)).or_default());
    }

    /// (service, operation) -> counts, sorted.
    pub fn snapshot(&self) -> BTreeMap<(String, String), Count> {
        self.inner.lock().expect("stats lock").clone()
    }

    pub fn mutating_calls(&self) -> u64 {
        self.snapshot()
            .iter()
            .filter(|((_, op), _)| !is_read_only(op))
            .map(|(_, c)| c.calls)
            .sum()
    }

    pub fn total(&self) -> Count {
        self.snapshot()
            .values()
            .fold(Count::default(), |a, c| Count {
                calls: a.calls + c.calls,
                attempts: a.attempts + c.attempts,
            })
    }

    pub fn interceptor(&self) -> Counter {
        Counter(self.clone())
    }

    /// Human report, one line per operation.
    pub fn render(&self) -> String {
        let snap = self.snapshot();
        let total = self.total();
        let mut out = format!(
            "AWS calls: {} ({} mutating), {} attempts, {} retries\n",
            total.calls,
            self.mutating_calls(),
            total.attempts,
            total.retries()
        );
        // As wide as the longest service name ("Resource Groups Tagging API"), so that the
        // columns stay apart for bench/run.py.
        let w = snap.keys().map(|(s, _)| s.len()).max().unwrap_or(0).max(18);
        for ((service, op), c) in &snap {
            out.push_str(&format!("  {service:<w$} {op:<36} {:>4} calls", c.calls));
            if c.retries() > 0 {
                out.push_str(&format!(" ({} retries)", c.retries()));
            }
            out.push('\n');
        }
        out
    }

    /// JSON form: `{"Service": {"Operation": {"calls": n, "attempts": n}}}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut out: BTreeMap<String, BTreeMap<String, Count>> = BTreeMap::new();
        for ((service, op), c) in self.snapshot() {
            out.entry(service).or_default().insert(op, c);
        }
        serde_json::to_value(out).expect("counts serialise")
    }
}

/// Test hook for crash-safety tests: abort the process (no cleanup, like SIGKILL) right after
/// AWS has answered this many mutating calls. Read once from
/// `PROVISION_TEST_ABORT_AFTER_MUTATIONS`; unset in normal use.
fn abort_after() -> Option<u64> {
    static N: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *N.get_or_init(|| {
        std::env::var("PROVISION_TEST_ABORT_AFTER_MUTATIONS")
            .ok()?
            .parse()
            .ok()
    })
}

#[derive(Debug)]
pub struct Counter(Stats);

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "provision-call-counter"
    }

    // Once per execution; the operation's metadata is in the bag from serialization on.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.bump(cfg, |c| c.calls += 1);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.bump(cfg, |c| c.attempts += 1);
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(n) = abort_after()
            && self.0.mutating_calls() >= n
        {
            tracing::error!("PROVISION_TEST_ABORT_AFTER_MUTATIONS={n}: aborting now");
            std::process::abort();
        }
        Ok(())
    }
}
