use serde::{Deserialize, Serialize};

/// What kind of party a [`Principal`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// Nobody authenticated.
    Anonymous,
    /// A human or an external client.
    User,
    /// A module or service of the application acting on its own behalf.
    Service,
    /// The engine itself (recovery, schedulers).
    System,
}

/// Who a message is sent on behalf of.
///
/// The auth guard middleware decides from the principal's kind and roles.
/// Never put secrets (tokens, passwords) in a principal: it is logged and
/// audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// Stable identifier (user id, module name…).
    pub id: String,
    /// What kind of party this is.
    pub kind: PrincipalKind,
    /// Roles granted to this principal.
    #[serde(default)]
    pub roles: Vec<String>,
}

impl Principal {
    /// Nobody: the default principal of a message sent without one.
    pub fn anonymous() -> Self {
        Self { id: "anonymous".into(), kind: PrincipalKind::Anonymous, roles: Vec::new() }
    }

    /// A user with the given roles.
    pub fn user(id: impl Into<String>, roles: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self { id: id.into(), kind: PrincipalKind::User, roles: roles.into_iter().map(Into::into).collect() }
    }

    /// A module acting on its own behalf (role `service`).
    pub fn service(module: impl Into<String>) -> Self {
        Self { id: module.into(), kind: PrincipalKind::Service, roles: vec!["service".into()] }
    }

    /// The engine itself (role `system`).
    pub fn system() -> Self {
        Self { id: "engine".into(), kind: PrincipalKind::System, roles: vec!["system".into()] }
    }

    /// Whether the principal is authenticated (anything but anonymous).
    pub fn is_authenticated(&self) -> bool {
        self.kind != PrincipalKind::Anonymous
    }

    /// Whether the principal holds `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

impl Default for Principal {
    fn default() -> Self {
        Self::anonymous()
    }
}
