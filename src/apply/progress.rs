//! Progress events of a run: every change reports when it starts and when it ends, to a sink
//! the caller provides. The executor only reports; what a person sees (the CLI's spinner line,
//! or plain lines in logs) is the sink's business.

use std::sync::Arc;

use super::{Outcome, Step};
use crate::model::Address;

/// Where a run's progress events go.
pub trait Sink: Send + Sync {
    fn started(&self, address: &Address, step: Step);
    fn finished(&self, address: &Address, step: Step, outcome: &Outcome);
}

/// The executor's handle on the sink; `Progress::default()` reports nowhere.
#[derive(Clone, Default)]
pub struct Progress {
    sink: Option<Arc<dyn Sink>>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("sink", &self.sink.is_some())
            .finish()
    }
}

impl Progress {
    pub fn new(sink: Arc<dyn Sink>) -> Self {
        Progress { sink: Some(sink) }
    }

    pub fn start(&self, address: &Address, step: Step) -> Handle {
        if let Some(sink) = &self.sink {
            sink.started(address, step);
        }
        Handle {
            progress: self.clone(),
            address: address.clone(),
            step,
        }
    }
}

/// One change under way: `finish` reports how it ended.
pub struct Handle {
    progress: Progress,
    address: Address,
    step: Step,
}

impl Handle {
    pub fn finish(&self, outcome: &Outcome) {
        if let Some(sink) = &self.progress.sink {
            sink.finished(&self.address, self.step, outcome);
        }
    }
}
