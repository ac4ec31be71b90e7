//! Stopping and starting a DB instance, for `pause` and `resume`. The run state is no attribute
//! of the plan (see `crate::pause`): these are the commands' own steps, each safe to repeat.
//!
//! StopDBInstance accepts only an `available` instance; anything else is answered with
//! `InvalidDBInstanceState` (Amazon RDS API Reference, StopDBInstance; the User Guide's
//! "Stopping an Amazon RDS DB instance temporarily" adds that read replicas and some Multi-AZ
//! SQL Server instances cannot be stopped). So a stop first waits out a transition (`starting`
//! after AWS's own restart, `modifying`, `backing-up`), and a start waits out a `stopping`.

use super::rds::{Settling, describe, wait_available};
use super::wait::{self, Poll};
use super::{Aws, AwsError, sdk_err};

/// How long a stop or start may take before giving up: RDS takes minutes, rarely more.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// What a stop or start found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunChange {
    /// This run stopped (or started) it.
    Done,
    /// It was stopped (or running) already.
    Already,
    /// No such instance: nothing to stop or start.
    Missing,
}

impl Aws {
    /// The instance's status as RDS reports it (`available`, `stopped`, ...); `None`: missing.
    pub async fn db_status(&self, res: &str, identifier: &str) -> Result<Option<String>, AwsError> {
        Ok(describe(&self.rds, res, identifier)
            .await?
            .map(|i| i.db_instance_status().unwrap_or("unknown").to_owned()))
    }

    /// Stops the instance and waits until it is `stopped`.
    pub async fn stop_db(&self, res: &str, identifier: &str) -> Result<RunChange, AwsError> {
        let Some(status) = self.db_status(res, identifier).await? else {
            return Ok(RunChange::Missing);
        };
        match status.as_str() {
            "stopped" => return Ok(RunChange::Already),
            "stopping" => {}
            "available" | "storage-optimization" => self.send_stop(res, identifier).await?,
            _ => {
                wait_available(&self.rds, res, identifier, Settling::default()).await?;
                self.send_stop(res, identifier).await?;
            }
        }
        self.wait_status(res, identifier, "stopped").await?;
        Ok(RunChange::Done)
    }

    /// Starts the instance and waits until it is available.
    pub async fn start_db(&self, res: &str, identifier: &str) -> Result<RunChange, AwsError> {
        let Some(status) = self.db_status(res, identifier).await? else {
            return Ok(RunChange::Missing);
        };
        match status.as_str() {
            "available" => return Ok(RunChange::Already),
            "stopped" => self.send_start(res, identifier).await?,
            "stopping" => {
                self.wait_status(res, identifier, "stopped").await?;
                self.send_start(res, identifier).await?;
            }
            // `starting` or another transition: it ends available by itself.
            _ => {}
        }
        wait_available(&self.rds, res, identifier, Settling::default()).await?;
        Ok(RunChange::Done)
    }

    async fn send_stop(&self, res: &str, identifier: &str) -> Result<(), AwsError> {
        self.rds
            .stop_db_instance()
            .db_instance_identifier(identifier)
            .send()
            .await
            .map_err(sdk_err(super::rds::ERRORS, res, "StopDBInstance"))?;
        Ok(())
    }

    async fn send_start(&self, res: &str, identifier: &str) -> Result<(), AwsError> {
        self.rds
            .start_db_instance()
            .db_instance_identifier(identifier)
            .send()
            .await
            .map_err(sdk_err(super::rds::ERRORS, res, "StartDBInstance"))?;
        Ok(())
    }

    async fn wait_status(&self, res: &str, identifier: &str, want: &str) -> Result<(), AwsError> {
        let what = format!("DB instance {want}");
        wait::until(res, &what, TIMEOUT, || async {
            match self.db_status(res, identifier).await? {
                Some(s) if s == want => Ok(Poll::Done),
                Some(s) => Ok(Poll::Pending(s)),
                None => Err(AwsError::Invalid {
                    resource: res.to_owned(),
                    message: format!(
                        "DB instance {identifier} disappeared while waiting for it to be {want}"
                    ),
                }),
            }
        })
        .await
    }
}
