/// A named unit of an application (orders, inventory, payments…).
///
/// What a module registers (bindings, handlers, sagas) is declared through
/// `core-di`'s installer trait; this trait holds what the kernel needs to
/// know: its name and which modules it depends on.
pub trait Module: Send + Sync + 'static {
    /// Stable module name, used in metadata, the audit trail and boot reports.
    fn name(&self) -> &'static str;

    /// Names of the modules this one needs at run time.
    fn depends_on(&self) -> &'static [&'static str] {
        &[]
    }
}
