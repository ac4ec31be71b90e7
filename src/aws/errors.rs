//! Failed AWS calls: which resource and step failed, AWS's own code and message (kept as the
//! error's source), and what the code means for the step. One classifier decides the meaning,
//! from one table per service (`Service::ERRORS`) over a table of what every AWS
//! service answers alike; the helpers (`done_if`, `unless_gone`, the waits and retries, the
//! executor's adopt-or-retry) ask it instead of keeping lists of codes.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What an AWS answer means for the step that got it (in JSON reports: `gone`, `exists`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// What the call names is not there: deleted (a delete of it is done), not attached, or
    /// not visible yet right after its create.
    Gone,
    /// What the call would make is there already: a create whose answer was lost, a rule or
    /// association that exists.
    Exists,
    /// The call may or may not have been carried out: AWS failed on its side, or the answer
    /// was lost on the way.
    Ambiguous,
    /// Too many requests: nothing was done, a later try may pass.
    Throttled,
    /// Refused for the resource's state (modifying, not Ready, still in use): the same call
    /// may pass once that state is over.
    Busy,
    /// Any other refusal by AWS: the request is wrong or not allowed.
    Refused,
    /// Not an AWS answer: provision's own check, or a wait that gave up.
    Failed,
}

/// How a row matches an answer.
#[derive(Debug, Clone, Copy)]
pub enum Code {
    /// This code.
    Is(&'static str),
    /// Any code containing this (`InvalidVpcID.NotFound`, `InvalidGroup.Duplicate`).
    Has(&'static str),
    /// This code with a message starting with this (services that say "not found" in prose).
    Says(&'static str, &'static str),
    /// This code with a message containing this.
    Mentions(&'static str, &'static str),
}

impl Code {
    fn matches(self, code: &str, message: &str) -> bool {
        match self {
            Code::Is(c) => code == c,
            Code::Has(part) => code.contains(part),
            Code::Says(c, start) => code == c && message.starts_with(start),
            Code::Mentions(c, part) => code == c && message.contains(part),
        }
    }
}

/// One row of a classification table: the operation it applies to (`None`: any), the code,
/// and its meaning. The first matching row wins.
pub type Row = (Option<&'static str>, Code, ErrorClass);

/// A service's table.
pub type ErrorTable = &'static [Row];

use Code::{Has, Is};
use ErrorClass::{Ambiguous, Exists, Gone, Throttled};

/// What every AWS service answers alike, after the service's own table.
pub(crate) const COMMON: ErrorTable = &[
    // Throttling: AWS did nothing.
    (None, Is("Throttling"), Throttled),
    (None, Is("ThrottlingException"), Throttled),
    (None, Is("RequestLimitExceeded"), Throttled),
    (None, Is("TooManyRequestsException"), Throttled),
    (None, Is("SlowDown"), Throttled),
    (None, Is("RequestThrottled"), Throttled),
    // AWS failing on its side, or an answer without a code.
    (None, Is("Unknown"), Ambiguous),
    (None, Is("InternalError"), Ambiguous),
    (None, Is("InternalFailure"), Ambiguous),
    (None, Is("InternalServerError"), Ambiguous),
    (None, Is("ServiceUnavailable"), Ambiguous),
    (None, Is("ServiceUnavailableException"), Ambiguous),
    (None, Is("Unavailable"), Ambiguous),
    // Naming conventions: `*NotFound*`, `*Duplicate*`, `*AlreadyExists*`.
    (None, Has("NotFound"), Gone),
    (None, Has("Duplicate"), Exists),
    (None, Has("AlreadyExists"), Exists),
    (None, Has("Conflict"), Exists),
    (None, Has("AlreadyOwned"), Exists),
];

/// S3, the state store's service (no resource kinds, so not in the registry).
pub(crate) const S3: ErrorTable = &[
    (None, Is("NoSuchKey"), Gone),
    (None, Is("NoSuchBucket"), Gone),
];

/// What `code` (with `message`) answered to `operation` means, by the answering service's
/// `table` (given by the caller: the service is known where the call is made), then `COMMON`.
pub fn classify(table: ErrorTable, operation: &str, code: &str, message: &str) -> ErrorClass {
    table
        .iter()
        .chain(COMMON)
        .find(|(op, c, _)| op.is_none_or(|op| op == operation) && c.matches(code, message))
        .map_or(ErrorClass::Refused, |(_, _, class)| *class)
}

/// AWS's own answer to a call: its error code and message.
#[derive(Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Answer {
    /// The error table of the service that answered, which classifies the code.
    pub table: ErrorTable,
    pub code: String,
    pub message: String,
}

impl std::fmt::Debug for Answer {
    // The table is left out: it is code, not part of what AWS said.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("code", &self.code)
            .field("message", &self.message)
            .finish_non_exhaustive()
    }
}

/// A failed AWS call, naming the resource, the operation, and AWS's own code and message.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AwsError {
    #[error("{resource}: {operation} failed: {answer}")]
    Call {
        resource: String,
        operation: &'static str,
        #[source]
        answer: Answer,
    },
    #[error("{resource}: {operation} could not reach AWS: {detail}")]
    Unreachable {
        resource: String,
        operation: &'static str,
        detail: String,
    },
    #[error("{resource}: gave up after {seconds}s waiting for {what}")]
    Timeout {
        resource: String,
        what: String,
        seconds: u64,
    },
    #[error("{resource}: {message}")]
    Invalid { resource: String, message: String },
    /// The resource was created (it has an id) but a later step of its create failed: it must
    /// be recorded in state all the same, and the next apply finishes it.
    #[error("{source} (it was created as {id}: recorded in state, the next apply finishes it)")]
    Partial { id: String, source: Box<AwsError> },
}

impl AwsError {
    /// Marks a failure after the create itself succeeded.
    pub fn partial(id: &str) -> impl FnOnce(AwsError) -> AwsError + '_ {
        move |source| match source {
            partial @ AwsError::Partial { .. } => partial,
            source => AwsError::Partial {
                id: id.to_owned(),
                source: Box::new(source),
            },
        }
    }

    /// The same error, its AWS answer classified by `table` (the service's that answered).
    pub fn classified_by(mut self, table: ErrorTable) -> AwsError {
        match &mut self {
            AwsError::Call { answer, .. } => answer.table = table,
            AwsError::Partial { source, .. } => {
                **source = source.as_ref().clone().classified_by(table)
            }
            _ => {}
        }
        self
    }

    /// The operation that failed, when a call failed (not a wait or a check of provision's).
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            AwsError::Call { operation, .. } | AwsError::Unreachable { operation, .. } => {
                Some(operation)
            }
            AwsError::Partial { source, .. } => source.operation(),
            AwsError::Timeout { .. } | AwsError::Invalid { .. } => None,
        }
    }

    /// AWS's error code, when AWS answered.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Call { answer, .. } => Some(&answer.code),
            AwsError::Partial { source, .. } => source.code(),
            AwsError::Unreachable { .. } | AwsError::Timeout { .. } | AwsError::Invalid { .. } => {
                None
            }
        }
    }

    /// What the failure means for the step (see [`ErrorClass`]).
    pub fn class(&self) -> ErrorClass {
        match self {
            AwsError::Call {
                operation, answer, ..
            } => classify(answer.table, operation, &answer.code, &answer.message),
            // No answer at all: it may have arrived (see `retry`).
            AwsError::Unreachable { .. } => ErrorClass::Ambiguous,
            AwsError::Partial { source, .. } => source.class(),
            AwsError::Timeout { .. } | AwsError::Invalid { .. } => ErrorClass::Failed,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.class() == ErrorClass::Gone
    }

    /// Maps an SDK error, keeping AWS's code and message; `table` is the answering service's.
    pub fn from_sdk<E, R>(
        table: ErrorTable,
        resource: impl Into<String>,
        operation: &'static str,
        err: SdkError<E, R>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let resource = resource.into();
        match &err {
            SdkError::ServiceError(se) => {
                let e = se.err();
                AwsError::Call {
                    resource,
                    operation,
                    answer: Answer {
                        table,
                        code: e.code().unwrap_or("Unknown").to_owned(),
                        message: e.message().map_or_else(|| e.to_string(), str::to_owned),
                    },
                }
            }
            SdkError::TimeoutError(_) => AwsError::Unreachable {
                resource,
                operation,
                detail: "timed out".into(),
            },
            // Connection refused, no credentials, bad endpoint: the chain of causes says which.
            _ => {
                let mut detail = err.to_string();
                let mut source = std::error::Error::source(&err);
                while let Some(s) = source {
                    let text = s.to_string();
                    if !detail.contains(&text) {
                        detail = format!("{detail}: {text}");
                    }
                    source = s.source();
                }
                AwsError::Unreachable {
                    resource,
                    operation,
                    detail,
                }
            }
        }
    }
}

/// Maps an SDK error for `map_err`, naming the resource and the operation; `table` is the
/// answering service's.
pub(crate) fn sdk_err<E, R>(
    table: ErrorTable,
    res: &str,
    op: &'static str,
) -> impl FnOnce(SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let res = res.to_owned();
    move |e| AwsError::from_sdk(table, res, op, e)
}

/// A step whose failure means it was already done counts as done: a delete of what is
/// `Gone`, an attach or authorize that `Exists`, ...
pub(crate) fn done_if(
    result: Result<(), AwsError>,
    classes: &[ErrorClass],
) -> Result<(), AwsError> {
    match result {
        Err(e) if classes.contains(&e.class()) => Ok(()),
        other => other,
    }
}

/// A per-resource read made after a list call: a `Gone` answer means the resource was deleted
/// in between, as another run's destroy does: it is gone (`None`), not an error that fails the
/// read pass.
pub(crate) fn unless_gone<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(found) => Ok(Some(found)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::aws::{apigateway, beanstalk, ec2, rds};

    const EC2: ErrorTable = ec2::ERRORS;
    const EB: ErrorTable = beanstalk::ERRORS;

    #[test]
    fn codes_are_classified_by_service_then_alike() {
        let c = |sdk, op, code, msg| classify(sdk, op, code, msg);
        assert_eq!(c(EC2, "DeleteVpc", "InvalidVpcID.NotFound", ""), Gone);
        assert_eq!(
            c(EC2, "DetachInternetGateway", "Gateway.NotAttached", ""),
            Gone
        );
        assert_eq!(
            c(EC2, "DeleteVpc", "DependencyViolation", ""),
            ErrorClass::Busy
        );
        assert_eq!(c(EC2, "CreateVpc", "InternalError", ""), Ambiguous);
        assert_eq!(c(EC2, "CreateVpc", "RequestLimitExceeded", ""), Throttled);
        assert_eq!(
            c(
                EC2,
                "AuthorizeSecurityGroupIngress",
                "InvalidPermission.Duplicate",
                ""
            ),
            Exists
        );
        assert_eq!(
            c(EC2, "CreateVpc", "InvalidParameterValue", ""),
            ErrorClass::Refused
        );
        assert_eq!(
            c(
                EB,
                "TerminateEnvironment",
                "InvalidParameterValue",
                "No Environment found for EnvironmentId = 'e-1'."
            ),
            Gone
        );
        assert_eq!(
            c(
                EB,
                "TerminateEnvironment",
                "InvalidParameterValue",
                "Environment is in an invalid state"
            ),
            ErrorClass::Busy
        );
        assert_eq!(
            c(
                EB,
                "CreateEnvironment",
                "InvalidParameterValue",
                "Environment x already exists."
            ),
            Exists
        );
        assert_eq!(
            c(
                EB,
                "CreateEnvironment",
                "InvalidParameterValue",
                "bad option"
            ),
            ErrorClass::Refused
        );
        assert_eq!(
            c(
                rds::ERRORS,
                "ModifyDBInstance",
                "InvalidDBInstanceState",
                ""
            ),
            ErrorClass::Busy
        );
        assert_eq!(
            c(
                apigateway::ERRORS,
                "DeleteDeployment",
                "BadRequestException",
                ""
            ),
            ErrorClass::Busy
        );
        assert_eq!(
            c(
                apigateway::ERRORS,
                "CreateUsagePlanKey",
                "ConflictException",
                ""
            ),
            Exists
        );
        assert_eq!(c(S3, "GetObject", "NoSuchKey", ""), Gone);
    }
}
