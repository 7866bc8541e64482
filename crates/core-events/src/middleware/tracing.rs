use async_trait::async_trait;
use tracing::Instrument;

use crate::{BusError, Dispatch, Middleware, Next, Outcome};

/// Stage 1: a `bus.dispatch` span around the message, and a W3C
/// `traceparent` derived from the correlation id when the message has none.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingLayer;

#[async_trait]
impl Middleware for TracingLayer {
    fn name(&self) -> &'static str {
        "tracing"
    }

    async fn handle(&self, mut dispatch: Dispatch, next: Next) -> Result<Outcome, BusError> {
        let metadata = dispatch.metadata_mut();
        if metadata.traceparent.is_none() {
            let span_id = metadata.message_id.0.as_u64_pair().1;
            metadata.traceparent =
                Some(format!("00-{}-{span_id:016x}-01", metadata.correlation_id.0.simple()));
        }
        let span = tracing::info_span!(
            "bus.dispatch",
            message = dispatch.info().name,
            kind = %dispatch.info().kind,
            message_id = %dispatch.metadata().message_id,
            correlation_id = %dispatch.metadata().correlation_id,
            source = %dispatch.metadata().source_module,
        );
        let result = next.run(dispatch).instrument(span.clone()).await;
        if let Err(error) = &result {
            span.in_scope(|| tracing::debug!(%error, "bus dispatch failed"));
        }
        result
    }
}
