//! Progress on stderr: a line when a change starts and ends, and a "still ..." line with the
//! elapsed time while it runs (waiting on NAT gateways, RDS, Beanstalk). The same lines on a
//! terminal and in CI logs, so they stay readable in both.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::{Outcome, PROGRESS_EVERY, Step};
use crate::model::Address;

#[derive(Debug, Clone, Default)]
pub struct Progress {
    quiet: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        Progress { quiet }
    }

    pub fn start(&self, address: &Address, step: Step) -> Handle {
        let done = Arc::new(AtomicBool::new(false));
        let (doing, _) = step.verb();
        if !self.quiet {
            eprintln!("{address}: {doing}...");
            let (address, flag, started) = (address.clone(), done.clone(), Instant::now());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(PROGRESS_EVERY).await;
                    if flag.load(Ordering::SeqCst) {
                        break;
                    }
                    eprintln!(
                        "{address}: still {doing}... [{}s elapsed]",
                        started.elapsed().as_secs()
                    );
                }
            });
        }
        Handle {
            address: address.clone(),
            step,
            done,
            quiet: self.quiet,
        }
    }
}

pub struct Handle {
    address: Address,
    step: Step,
    done: Arc<AtomicBool>,
    quiet: bool,
}

impl Handle {
    pub fn finish(&self, outcome: &Outcome) {
        self.done.store(true, Ordering::SeqCst);
        if self.quiet {
            return;
        }
        let (_, done) = self.step.verb();
        match outcome {
            Outcome::Done { seconds } => eprintln!("{}: {done} after {seconds:.1}s", self.address),
            Outcome::Failed { error } => eprintln!("{}: FAILED: {error}", self.address),
            Outcome::Skipped { reason } => eprintln!("{}: skipped ({reason})", self.address),
        }
    }
}
