//! Progress on stderr. Every change gets a line when it starts and when it ends. While changes
//! run (waiting on NAT gateways, RDS, Beanstalk), a terminal shows one status line with a spinner
//! and each resource's elapsed time, redrawn in place; without a terminal (CI logs) a plain
//! "still ..." line every 10 seconds takes its place.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Outcome, PROGRESS_EVERY, Step};
use crate::model::Address;

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

#[derive(Debug, Clone, Default)]
pub struct Progress {
    quiet: bool,
    tty: bool,
    running: Arc<Mutex<BTreeMap<(Address, Step), Instant>>>,
    ticker: Arc<AtomicBool>,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        let tty = std::io::stderr().is_terminal()
            && std::env::var_os("TERM").is_some_and(|t| t != "dumb");
        Progress {
            quiet,
            tty,
            ..Default::default()
        }
    }

    /// Clears the status line, prints a line, and lets the ticker redraw.
    fn line(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K");
        }
        let _ = writeln!(err, "{text}");
    }

    fn start_ticker(&self) {
        if !self.tty || self.ticker.swap(true, Ordering::SeqCst) {
            return;
        }
        let running = self.running.clone();
        tokio::spawn(async move {
            let mut drawn = false;
            for frame in 0usize.. {
                tokio::time::sleep(Duration::from_millis(120)).await;
                let status: Vec<String> = {
                    let map = running.lock().expect("progress lock");
                    map.iter()
                        .map(|((a, step), t)| {
                            format!("{a} {} {}s", step.verb().0, t.elapsed().as_secs())
                        })
                        .collect()
                };
                let mut err = std::io::stderr().lock();
                if status.is_empty() {
                    if drawn {
                        let _ = write!(err, "\r\x1b[2K");
                        drawn = false;
                    }
                } else {
                    drawn = true;
                    let mut text =
                        format!("{} {}", SPINNER[frame % SPINNER.len()], status.join(" | "));
                    let width = terminal_width();
                    if text.chars().count() > width {
                        text = text
                            .chars()
                            .take(width.saturating_sub(1))
                            .collect::<String>()
                            + "…";
                    }
                    let _ = write!(err, "\r\x1b[2K{text}");
                }
                let _ = err.flush();
            }
        });
    }

    pub fn start(&self, address: &Address, step: Step) -> Handle {
        let done = Arc::new(AtomicBool::new(false));
        let (doing, _) = step.verb();
        if !self.quiet {
            self.line(&format!("{address}: {doing}..."));
            self.running
                .lock()
                .expect("progress lock")
                .insert((address.clone(), step), Instant::now());
            self.start_ticker();
            if !self.tty {
                let (progress, address, flag, started) =
                    (self.clone(), address.clone(), done.clone(), Instant::now());
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(PROGRESS_EVERY).await;
                        if flag.load(Ordering::SeqCst) {
                            break;
                        }
                        progress.line(&format!(
                            "{address}: still {doing}... [{}s elapsed]",
                            started.elapsed().as_secs()
                        ));
                    }
                });
            }
        }
        Handle {
            progress: self.clone(),
            address: address.clone(),
            step,
            done,
        }
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

pub struct Handle {
    progress: Progress,
    address: Address,
    step: Step,
    done: Arc<AtomicBool>,
}

impl Handle {
    pub fn finish(&self, outcome: &Outcome) {
        self.done.store(true, Ordering::SeqCst);
        let p = &self.progress;
        if p.quiet {
            return;
        }
        p.running
            .lock()
            .expect("progress lock")
            .remove(&(self.address.clone(), self.step));
        let (_, done) = self.step.verb();
        match outcome {
            Outcome::Done { seconds } => {
                p.line(&format!("{}: {done} after {seconds:.1}s", self.address))
            }
            Outcome::Failed { error } => p.line(&format!("{}: FAILED: {error}", self.address)),
            Outcome::Skipped { reason } => p.line(&format!("{}: skipped ({reason})", self.address)),
        }
    }
}
