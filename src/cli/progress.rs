//! A run's progress on stderr. Every change gets a line when it starts and when it ends. While
//! changes run (waiting on NAT gateways, RDS, Beanstalk), a terminal shows one status line with
//! a spinner and each resource's elapsed time, redrawn in place; without a terminal (CI logs) a
//! plain "still ..." line every 10 seconds takes its place.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::apply::progress::Sink;
use crate::apply::{Outcome, PROGRESS_EVERY, Step};
use crate::model::Address;

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

type Running = Arc<Mutex<BTreeMap<(Address, Step), Under>>>;

/// A change under way: since when, and the flag that stops its "still ..." lines.
struct Under {
    since: Instant,
    done: Arc<AtomicBool>,
}

pub struct Stderr {
    tty: bool,
    running: Running,
    ticker: AtomicBool,
}

impl Stderr {
    pub fn new() -> Arc<Self> {
        let tty = std::io::stderr().is_terminal()
            && std::env::var_os("TERM").is_some_and(|t| t != "dumb");
        Arc::new(Stderr {
            tty,
            running: Running::default(),
            ticker: AtomicBool::new(false),
        })
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
                        .map(|((a, step), u)| {
                            format!("{a} {} {}s", step.verb().0, u.since.elapsed().as_secs())
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
                    let text = format!("{} {}", SPINNER[frame % SPINNER.len()], status.join(" | "));
                    let _ = write!(err, "\r\x1b[2K{}", fit(text, terminal_width()));
                }
                let _ = err.flush();
            }
        });
    }

    /// Without a terminal: a "still ..." line every `PROGRESS_EVERY` until the change ends.
    fn start_still_lines(&self, address: &Address, doing: &'static str, done: Arc<AtomicBool>) {
        let (tty, address, started) = (self.tty, address.clone(), Instant::now());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(PROGRESS_EVERY).await;
                if done.load(Ordering::SeqCst) {
                    break;
                }
                line(
                    tty,
                    &format!(
                        "{address}: still {doing}... [{}s elapsed]",
                        started.elapsed().as_secs()
                    ),
                );
            }
        });
    }
}

impl Sink for Stderr {
    fn started(&self, address: &Address, step: Step) {
        let (doing, _) = step.verb();
        line(self.tty, &format!("{address}: {doing}..."));
        let done = Arc::new(AtomicBool::new(false));
        self.running.lock().expect("progress lock").insert(
            (address.clone(), step),
            Under {
                since: Instant::now(),
                done: done.clone(),
            },
        );
        self.start_ticker();
        if !self.tty {
            self.start_still_lines(address, doing, done);
        }
    }

    fn finished(&self, address: &Address, step: Step, outcome: &Outcome) {
        let under = self
            .running
            .lock()
            .expect("progress lock")
            .remove(&(address.clone(), step));
        if let Some(u) = under {
            u.done.store(true, Ordering::SeqCst);
        }
        let (_, done) = step.verb();
        match outcome {
            Outcome::Done { seconds } => {
                line(self.tty, &format!("{address}: {done} after {seconds:.1}s"))
            }
            Outcome::Failed { error, .. } => line(self.tty, &format!("{address}: FAILED: {error}")),
            Outcome::Skipped { reason } => {
                line(self.tty, &format!("{address}: skipped ({reason})"))
            }
        }
    }
}

/// Clears the status line, prints a line, and lets the ticker redraw.
fn line(tty: bool, text: &str) {
    let mut err = std::io::stderr().lock();
    if tty {
        let _ = write!(err, "\r\x1b[2K");
    }
    let _ = writeln!(err, "{text}");
}

/// The status line cut to the terminal's width.
fn fit(text: String, width: usize) -> String {
    if text.chars().count() <= width {
        return text;
    }
    text.chars()
        .take(width.saturating_sub(1))
        .collect::<String>()
        + "…"
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}
