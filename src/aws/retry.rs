//! No blind retries of creates. The SDK retries 5xx answers and dropped connections, which is
//! right for reads and for idempotent changes, but a create whose answer was lost may already
//! have happened: retried blindly, it makes a second VPC, internet gateway or API next to the
//! first (or fails with "already exists"). For creating operations those ambiguous failures are
//! handed back instead, and the executor looks for the resource by its ownership tags before
//! creating again (`apply::create_or_adopt`). Throttling answers are unambiguous (nothing was
//! done) and are still retried by the SDK.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    FinalizerInterceptorContextMut, InterceptorContext,
};
use aws_smithy_runtime_api::client::orchestrator::{Metadata, OrchestratorError};
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Marks an answer the classifier must not retry.
const MARK: &str = "x-provision-ambiguous-create";

/// Operations that make something new each time they succeed.
pub fn creates(operation: &str) -> bool {
    (operation.starts_with("Create") || operation.starts_with("Allocate"))
        && !matches!(operation, "CreateTags" | "CreateBucket")
}

/// The interceptor half: it knows the operation, and marks an ambiguous failure of a create.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBlindCreateRetries;

impl Intercept for NoBlindCreateRetries {
    fn name(&self) -> &'static str {
        "provision-no-blind-create-retries"
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(op) = cfg.load::<Metadata>().map(|m| m.name().to_owned()) else {
            return Ok(());
        };
        if !creates(&op) {
            return Ok(());
        }
        let ctx = context.inner_mut();
        if let Some(resp) = ctx.response_mut() {
            let server_error = resp.status().is_server_error();
            let throttled = resp.body().bytes().is_some_and(|b| {
                let text = String::from_utf8_lossy(b);
                // Throttling: AWS did nothing, a retry is safe.
                super::service::throttling_codes().any(|c| text.contains(c))
            });
            if server_error && !throttled {
                resp.headers_mut().insert(MARK, "1");
            }
            return Ok(());
        }
        // No answer at all: the connection dropped or timed out after the request may have
        // arrived. (A refused connection is not ambiguous, but is handled the same way.)
        if let Some(Err(e)) = ctx.output_or_error_mut()
            && (e.is_connector_error() || e.is_timeout_error() || e.is_response_error())
        {
            let detail = e.to_string();
            let source = std::error::Error::source(e).map(ToString::to_string);
            *e = OrchestratorError::other(format!(
                "{op}: the answer was lost ({}), so it may have been done; not retried blindly",
                source.unwrap_or(detail)
            ));
        }
        Ok(())
    }
}

impl ClassifyRetry for NoBlindCreateRetries {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        if ctx
            .response()
            .is_some_and(|r| r.headers().contains_key(MARK))
        {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "provision-no-blind-create-retries"
    }
}
