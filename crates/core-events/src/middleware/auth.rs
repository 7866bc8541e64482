use std::{collections::HashMap, sync::Arc};

use async_trait::async_trait;
use core_domain::{MessageInfo, Principal};

use crate::{BusError, Dispatch, Middleware, Next, Outcome};

/// Decides whether a principal may send or publish a message.
pub trait AuthorizationPolicy: Send + Sync + 'static {
    /// `Ok` to let the message through, `Err(reason)` to refuse it.
    ///
    /// # Errors
    /// The reason for refusing, shown to the caller and audited.
    fn authorize(&self, principal: &Principal, message: &MessageInfo) -> Result<(), String>;
}

/// A role-based policy: every message needs an authenticated principal,
/// unless allowed anonymously; some messages need a role.
///
/// ```
/// use core_domain::{MessageInfo, MessageKind, Principal};
/// use core_events::{AuthorizationPolicy, RolePolicy};
///
/// let policy = RolePolicy::new().require("payments.refund", "service");
/// let info = MessageInfo { name: "payments.refund", version: 1, kind: MessageKind::Command };
/// assert!(policy.authorize(&Principal::service("orders"), &info).is_ok());
/// assert!(policy.authorize(&Principal::user("ann", ["customer"]), &info).is_err());
/// assert!(policy.authorize(&Principal::anonymous(), &info).is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct RolePolicy {
    required: HashMap<&'static str, Vec<String>>,
    anonymous: Vec<&'static str>,
}

impl RolePolicy {
    /// A policy that only requires authentication.
    pub fn new() -> Self {
        Self::default()
    }

    /// `message` needs a principal with `role` (any one of the roles given
    /// over several calls). The `system` role passes every check.
    pub fn require(mut self, message: &'static str, role: impl Into<String>) -> Self {
        self.required.entry(message).or_default().push(role.into());
        self
    }

    /// `message` may be sent by an anonymous principal.
    pub fn allow_anonymous(mut self, message: &'static str) -> Self {
        self.anonymous.push(message);
        self
    }
}

impl AuthorizationPolicy for RolePolicy {
    fn authorize(&self, principal: &Principal, message: &MessageInfo) -> Result<(), String> {
        if !principal.is_authenticated() && !self.anonymous.contains(&message.name) {
            return Err("authentication required".into());
        }
        match self.required.get(message.name) {
            Some(roles) if !principal.has_role("system") && !roles.iter().any(|r| principal.has_role(r)) => {
                Err(format!("requires role `{}`", roles.join("` or `")))
            }
            _ => Ok(()),
        }
    }
}

/// Stage 3: refuses, before any handler runs, what the policy does not allow.
#[derive(Clone)]
pub struct AuthGuard {
    policy: Arc<dyn AuthorizationPolicy>,
}

impl std::fmt::Debug for AuthGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthGuard").finish_non_exhaustive()
    }
}

impl AuthGuard {
    /// A guard enforcing `policy`.
    pub fn new(policy: impl AuthorizationPolicy) -> Self {
        Self { policy: Arc::new(policy) }
    }
}

#[async_trait]
impl Middleware for AuthGuard {
    fn name(&self) -> &'static str {
        "auth"
    }

    async fn handle(&self, dispatch: Dispatch, next: Next) -> Result<Outcome, BusError> {
        let principal = &dispatch.metadata().principal;
        if let Err(reason) = self.policy.authorize(principal, dispatch.info()) {
            return Err(BusError::Unauthorized {
                message: dispatch.info().name,
                principal: principal.id.clone(),
                reason,
            });
        }
        next.run(dispatch).await
    }
}
