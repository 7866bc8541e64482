use async_trait::async_trait;

use crate::{BusError, Dispatch, Middleware, Next, Outcome};

/// Stage 4: validates the payload with its `garde` rules; an invalid message
/// never reaches a later stage nor a handler.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidationLayer;

#[async_trait]
impl Middleware for ValidationLayer {
    fn name(&self) -> &'static str {
        "validation"
    }

    async fn handle(&self, mut dispatch: Dispatch, next: Next) -> Result<Outcome, BusError> {
        dispatch.validate()?;
        next.run(dispatch).await
    }
}
