//! What a command can fail with. The CLI shows it (`error:` and its causes) and maps it to an
//! exit code; each variant keeps its source's type.

use crate::plan::checks;
use crate::spec::SpecError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanErrors),
    #[error(transparent)]
    Names(#[from] crate::plan::names::Collisions),
    #[error(transparent)]
    Offerings(#[from] crate::plan::offerings::Unoffered),
    #[error(transparent)]
    Platforms(#[from] crate::plan::platforms::Unavailable),
    #[error(transparent)]
    Aws(#[from] crate::aws::AwsError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error(transparent)]
    Cost(#[from] crate::cost::CostError),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
    /// Another run holds a lock (pause, resume): exit 3.
    #[error(transparent)]
    Busy(#[from] Busy),
}

/// A lock another run holds, where the command says so with its own exit code (`pause`,
/// `resume`: 3).
#[derive(Debug, thiserror::Error)]
#[error("{0}; nothing was done (another run is at work on this environment: try again later)")]
pub struct Busy(pub String);

/// A check's refusal, as a command reports it.
impl From<checks::Refusal> for Error {
    fn from(r: checks::Refusal) -> Error {
        match r {
            checks::Refusal::Plan(e) => Error::Plan(e),
            other => Error::Refused(other.to_string()),
        }
    }
}
