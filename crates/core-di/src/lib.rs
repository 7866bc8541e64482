//! # core-di: typed container, profiles, module discovery
//!
//! - A [`Container`] resolves values by type: concrete values and trait
//!   objects (`Arc<dyn Port>`), bound as instances, singletons (built once
//!   at boot) or factories (built at every resolve).
//! - Modules describe themselves with [`Installer`] and register with
//!   [`register_module!`]; [`Boot`] discovers every module linked into the
//!   binary (through `inventory`), lets each [`provide`](Installer::provide)
//!   bindings, builds every singleton, then lets each
//!   [`wire`](Installer::wire) its handlers into [`Extension`]s such as the
//!   event bus builder.
//! - A [`Profile`] (`memory`, `sqlite`, `postgres`, `nats`…) lets the
//!   composition root choose adapters without touching module code.
//! - Boot fails fast with **one** [`BootReport`] listing every missing or
//!   duplicate binding, dependency cycle and missing module, each naming the
//!   type and the module that asked for it.
//!
//! ```
//! use std::sync::Arc;
//! use core_di::{Boot, Profile};
//!
//! trait Clock: Send + Sync { fn now(&self) -> u64; }
//! struct Fixed;
//! impl Clock for Fixed { fn now(&self) -> u64 { 42 } }
//!
//! struct Greeter { clock: Arc<dyn Clock> }
//!
//! let mut boot = Boot::new(Profile::new("memory")).without_discovery();
//! boot.bind("app", |b| {
//!     b.instance::<Arc<dyn Clock>>(Arc::new(Fixed));
//!     b.singleton::<Arc<Greeter>>(|r| Some(Arc::new(Greeter { clock: r.resolve()? })));
//! });
//! let booted = boot.run().unwrap();
//! let greeter: Arc<Greeter> = booted.container().resolve().unwrap();
//! assert_eq!(greeter.clock.now(), 42);
//! ```
//!
//! A missing binding is reported at boot, naming who asked:
//!
//! ```
//! use std::sync::Arc;
//! use core_di::{Boot, Profile};
//!
//! let mut boot = Boot::new(Profile::new("memory")).without_discovery();
//! boot.bind("payments", |b| {
//!     b.singleton::<Arc<String>>(|r| Some(Arc::new(format!("{}", r.resolve::<u64>()?))));
//! });
//! let report = boot.run().unwrap_err();
//! assert!(report.to_string().contains("missing binding for u64, needed by module `payments`"));
//! ```

mod boot;
mod container;
mod report;
mod startup;

pub use boot::{Binder, Boot, Booted, Extension, Installer, ModuleRegistration, Profile, Wiring};
pub use container::{Container, ResolveError, Resolver};
pub use report::{BootProblem, BootReport};
pub use startup::StartupHooks;

#[doc(hidden)]
pub use inventory;

/// Registers a module type (which implements [`Installer`] and `Default`)
/// for discovery at boot.
///
/// ```
/// use core_di::{Installer, register_module};
/// use core_domain::Module;
///
/// #[derive(Default)]
/// struct Billing;
/// impl Module for Billing { fn name(&self) -> &'static str { "billing" } }
/// impl Installer for Billing {}
/// register_module!(Billing);
/// ```
///
/// A module crate that nothing references is dropped by the linker with its
/// registration: reference it from the binary with [`link_modules!`].
#[macro_export]
macro_rules! register_module {
    ($module:ty) => {
        $crate::inventory::submit! {
            $crate::ModuleRegistration::new(|| ::std::boxed::Box::new(<$module as ::core::default::Default>::default()))
        }
    };
}

/// Makes sure the named module crates are linked into this binary, so their
/// [`register_module!`] registrations are discovered.
///
/// Put it in every binary and test that relies on discovery:
/// `core_di::link_modules!(orders, payments);`. Each crate must expose a
/// `pub fn link() {}` (which [`module_link_anchor!`] writes).
#[macro_export]
macro_rules! link_modules {
    ($($krate:ident),* $(,)?) => {
        #[doc(hidden)]
        #[allow(dead_code)]
        fn __link_modules() { $( $krate::link(); )* }
        const _: fn() = __link_modules;
    };
}

/// Writes the `pub fn link() {}` anchor that [`link_modules!`] calls.
#[macro_export]
macro_rules! module_link_anchor {
    () => {
        /// Anchor for `core_di::link_modules!`: referencing it keeps this
        /// crate's module registration in the binary.
        #[inline(never)]
        pub fn link() {}
    };
}
