//! The seam every AWS service fills: one trait (`Service`) with the same signature for all,
//! and one registry ([`ServiceId`]) that says which service owns which kind. The concurrent
//! read pass is written once, here; the steps of a change are each kind's (`super::kind`).
//!
//! A new service is: its module (a type implementing `Service`, with its error table), a
//! `ServiceId` variant (the compiler then asks for its kinds in [`ServiceId::of`]; list it in
//! `ALL`), its line in `dispatch!`, and its client in `Aws` (one `service_client!` line in
//! `Aws::connect`). The CLI's log filter and the error classifier find it through the registry.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use super::errors::ErrorTable;
use super::ids::{Claims, Found, Ids};
use super::tagging::TagIndex;
use super::{Aws, AwsError};
use crate::model::{Kind, Tags, Unmanaged};

/// Runs `$body` with the type `$S` bound to the service `$id` names.
macro_rules! dispatch {
    ($id:expr, $S:ident => $body:expr) => {
        match $id {
            $crate::aws::service::ServiceId::Ec2 => {
                type $S = $crate::aws::ec2::Ec2;
                $body
            }
            $crate::aws::service::ServiceId::Rds => {
                type $S = $crate::aws::rds::Rds;
                $body
            }
            $crate::aws::service::ServiceId::Beanstalk => {
                type $S = $crate::aws::beanstalk::Beanstalk;
                $body
            }
            $crate::aws::service::ServiceId::ApiGateway => {
                type $S = $crate::aws::apigateway::ApiGateway;
                $body
            }
            $crate::aws::service::ServiceId::ApiGatewayV2 => {
                type $S = $crate::aws::vpclink::VpcLinks;
                $body
            }
            $crate::aws::service::ServiceId::Iam => {
                type $S = $crate::aws::iam::Iam;
                $body
            }
            $crate::aws::service::ServiceId::Sns => {
                type $S = $crate::aws::sns::Sns;
                $body
            }
            $crate::aws::service::ServiceId::CloudWatch => {
                type $S = $crate::aws::cloudwatch::CloudWatch;
                $body
            }
            $crate::aws::service::ServiceId::Budgets => {
                type $S = $crate::aws::budgets::Budgets;
                $body
            }
        }
    };
}

/// The error of a direct lookup of `id`, for `$call` (a request builder) named `$op`: what each
/// kind's `not_found` answers, classified by that service's `$table`.
macro_rules! refused {
    ($table:expr, $res:expr, $op:literal, $call:expr) => {
        $call
            .send()
            .await
            .err()
            .map(|e| $crate::aws::AwsError::from_sdk($table, $res, $op, e))
    };
}
pub(crate) use refused;

/// One AWS service: its client, its error table and its batched read. The steps of a change
/// are its kinds' (`super::kind::AwsKind`).
pub(crate) trait Service: Sized {
    /// The SDK client the service talks through (its crate names the SDK's log target).
    type Client;
    /// What one read pass of this service found, before ids become references.
    type Raw: ReadPass + 'static;
    /// What this service's error codes mean, before what all services answer alike.
    const ERRORS: ErrorTable;

    fn new(aws: &Aws) -> Self;

    /// Everything this service holds that `claims` keeps: one batched read per type, tags from
    /// the pass's `tags` index where the type's listing carries none.
    async fn read(&self, claims: &Claims, tags: &TagIndex) -> Result<Self::Raw, AwsError>;
}

/// A service's read pass result, as the pass across services consumes it.
pub trait ReadPass: Send {
    /// (physical id, tags) of everything read, for the id map.
    fn tagged(&self) -> Vec<(String, Tags)>;

    /// (alias, physical id): other names references use for an id.
    fn aliases(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// What was found in the environment's scope without its tags (drift reports it).
    fn unmanaged(&self, _claims: &Claims) -> Vec<Unmanaged> {
        Vec::new()
    }

    /// Live attributes by address, references as addresses.
    fn normalise(self: Box<Self>, claims: &Claims, ids: &Ids) -> Found;
}

/// The registry: every service that owns resource kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceId {
    Ec2,
    Rds,
    Beanstalk,
    ApiGateway,
    /// API Gateway v2: only its VPC links, which REST APIs use for private integrations.
    ApiGatewayV2,
    Iam,
    /// The alarm topic and its e-mail subscriptions.
    Sns,
    /// Metric alarms and the dashboard.
    CloudWatch,
    /// The cost budget (AWS Budgets, a global service).
    Budgets,
}

/// `ServiceId::of`, from the registry (`crate::kinds`), where each kind names its service.
macro_rules! service_of {
    ($($variant:ident => $module:ident, $service:ident;)*) => {
        impl ServiceId {
            /// The service that holds a kind, as its registry line says.
            pub fn of(kind: Kind) -> ServiceId {
                match kind {
                    $(Kind::$variant => ServiceId::$service,)*
                }
            }
        }
    };
}

crate::kinds::with_kinds!(service_of);

impl ServiceId {
    /// In the order the read pass normalises them.
    pub const ALL: [ServiceId; 9] = [
        ServiceId::Ec2,
        ServiceId::Rds,
        ServiceId::Beanstalk,
        ServiceId::ApiGateway,
        ServiceId::ApiGatewayV2,
        ServiceId::Iam,
        ServiceId::Sns,
        ServiceId::CloudWatch,
        ServiceId::Budgets,
    ];

    /// The service's own error table.
    pub fn errors(self) -> ErrorTable {
        dispatch!(self, S => <S as Service>::ERRORS)
    }

    /// The SDK crate's log target (`aws_sdk_ec2`), from the service's client type.
    pub fn sdk_crate(self) -> &'static str {
        dispatch!(self, S => crate_of::<<S as Service>::Client>())
    }
}

/// Every code that means throttling, in any table: the create-retry interceptor looks for them
/// in answers it cannot parse yet.
pub fn throttling_codes() -> impl Iterator<Item = &'static str> {
    use super::errors::{COMMON, Code::Is, ErrorClass::Throttled, S3};
    ServiceId::ALL
        .iter()
        .flat_map(|s| s.errors().iter())
        .chain(S3)
        .chain(COMMON)
        .filter_map(|(_, code, class)| match (code, class) {
            (Is(c), Throttled) => Some(*c),
            _ => None,
        })
}

/// The crate a type lives in: the first segment of its path.
pub fn crate_of<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    name.split("::").next().unwrap_or(name)
}

/// One service's read, boxed: together the reads are a large future, too large for a small
/// stack (a debug build overflowed once).
pub type BoxedRead<'a> =
    Pin<Box<dyn Future<Output = Result<Box<dyn ReadPass>, AwsError>> + Send + 'a>>;

/// Every service's read pass, concurrently on this task; the first error wins.
pub async fn read_all<'a>(
    aws: &'a Aws,
    claims: &'a Claims,
    tags: &'a TagIndex,
) -> Result<Vec<Box<dyn ReadPass>>, AwsError> {
    let reads: Vec<BoxedRead<'a>> = ServiceId::ALL
        .iter()
        .map(|&id| {
            dispatch!(id, S => {
                let service = S::new(aws);
                Box::pin(async move {
                    let raw = service.read(claims, tags).await?;
                    Ok(Box::new(raw) as Box<dyn ReadPass>)
                }) as BoxedRead<'a>
            })
        })
        .collect();
    try_join_all(reads).await
}

/// Polls every future until all are done or one fails (like `tokio::try_join!`, for a list).
async fn try_join_all<T, E, F>(mut futures: Vec<F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>> + Unpin,
{
    let mut done: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, out) in futures.iter_mut().zip(done.iter_mut()) {
            if out.is_some() {
                continue;
            }
            match Pin::new(&mut *f).poll(cx) {
                Poll::Ready(Ok(v)) => *out = Some(v),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => pending = true,
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(Ok(()))
        }
    })
    .await?;
    Ok(done.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_listed_service() {
        for kind in Kind::ALL {
            assert!(ServiceId::ALL.contains(&ServiceId::of(kind)), "{kind}");
        }
    }

    #[test]
    fn the_create_retry_interceptor_knows_every_throttling_code() {
        let codes: Vec<&str> = throttling_codes().collect();
        for c in [
            "Throttling",
            "TooManyRequestsException",
            "SlowDown",
            "RequestLimitExceeded",
        ] {
            assert!(codes.contains(&c), "{c}");
        }
    }

    #[test]
    fn sdk_crates_are_named_from_the_client_types() {
        let crates: Vec<&str> = ServiceId::ALL.iter().map(|s| s.sdk_crate()).collect();
        assert_eq!(
            crates,
            [
                "aws_sdk_ec2",
                "aws_sdk_rds",
                "aws_sdk_elasticbeanstalk",
                "aws_sdk_apigateway",
                "aws_sdk_apigatewayv2",
                "aws_sdk_iam",
                "aws_sdk_sns",
                "aws_sdk_cloudwatch",
                "aws_sdk_budgets"
            ]
        );
    }
}
