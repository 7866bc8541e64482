use std::{
    any::{Any, TypeId, type_name},
    collections::{HashMap, HashSet},
    fmt,
    sync::Arc,
};

use core_domain::Module;

use crate::{
    container::{Binding, Container, Provider, Resolver},
    report::{BootProblem, BootReport},
};

/// The environment the application runs in (`memory`, `sqlite`,
/// `postgres`, `nats`…): chooses adapters at the composition root.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Profile(String);

impl Profile {
    /// A profile by name.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.0
    }

    /// Whether this is the named profile.
    pub fn is(&self, name: &str) -> bool {
        self.0 == name
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a module installs into the application.
///
/// Boot runs in two phases: every module first [`provide`](Self::provide)s
/// its bindings; the container is built (every singleton instantiated);
/// then every module [`wire`](Self::wire)s its handlers, resolving what
/// they need. Both phases record problems instead of failing, so one boot
/// reports everything at once.
pub trait Installer: Module {
    /// Binds what this module offers to others.
    fn provide(&self, binder: &mut Binder<'_>) {
        let _ = binder;
    }

    /// Resolves dependencies and registers handlers into extensions (the bus
    /// builder, the saga registry…).
    fn wire(&self, wiring: &mut Wiring<'_>) {
        let _ = wiring;
    }
}

/// A module registration collected by `inventory` (see [`crate::register_module!`]).
#[derive(Debug)]
pub struct ModuleRegistration {
    create: fn() -> Box<dyn Installer>,
}

impl ModuleRegistration {
    /// A registration that creates the module with `create`.
    pub const fn new(create: fn() -> Box<dyn Installer>) -> Self {
        Self { create }
    }
}

inventory::collect!(ModuleRegistration);

/// A builder that modules contribute to while wiring (the event bus builder,
/// a saga registry…). The composition root adds it with [`Boot::extension`]
/// and takes it back from [`Booted`].
pub trait Extension: Any + Send {
    /// Problems the extension found in what modules registered (e.g. two
    /// handlers for one command). Called once, after every module wired.
    fn problems(&mut self) -> Vec<BootProblem> {
        Vec::new()
    }
}

/// Records bindings for one module (or the composition root).
pub struct Binder<'a> {
    module: &'static str,
    profile: &'a Profile,
    bindings: &'a mut Vec<Binding>,
}

impl fmt::Debug for Binder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Binder").field("module", &self.module).field("profile", &self.profile).finish()
    }
}

impl Binder<'_> {
    /// The active profile: choose adapters with it.
    pub fn profile(&self) -> &Profile {
        self.profile
    }

    /// The module being bound.
    pub fn module(&self) -> &'static str {
        self.module
    }

    /// Binds a ready value (a concrete value or an `Arc<dyn Port>`).
    pub fn instance<T: Clone + Send + Sync + 'static>(&mut self, value: T) -> &mut Self {
        self.push::<T>(Provider::Instance(Arc::new(value)))
    }

    /// Binds a value built once at boot from its dependencies.
    pub fn singleton<T: Clone + Send + Sync + 'static>(
        &mut self,
        build: impl FnOnce(&mut Resolver<'_>) -> Option<T> + Send + 'static,
    ) -> &mut Self {
        self.push::<T>(Provider::Singleton(Box::new(move |r| {
            build(r).map(|v| Arc::new(v) as Arc<dyn Any + Send + Sync>)
        })))
    }

    /// Binds a value built anew at every resolve (tried once at boot).
    pub fn factory<T: Clone + Send + Sync + 'static>(
        &mut self,
        build: impl Fn(&mut Resolver<'_>) -> Option<T> + Send + Sync + 'static,
    ) -> &mut Self {
        self.push::<T>(Provider::Factory(Arc::new(move |r| {
            build(r).map(|v| Arc::new(v) as Arc<dyn Any + Send + Sync>)
        })))
    }

    /// Runs `bind` only when the active profile is one of `profiles`.
    pub fn when(&mut self, profiles: &[&str], bind: impl FnOnce(&mut Self)) -> &mut Self {
        if profiles.iter().any(|p| self.profile.is(p)) {
            bind(self);
        }
        self
    }

    fn push<T: 'static>(&mut self, provider: Provider) -> &mut Self {
        self.bindings.push(Binding {
            type_id: TypeId::of::<T>(),
            type_name: type_name::<T>(),
            module: self.module,
            provider,
        });
        self
    }
}

type Extensions = HashMap<TypeId, Box<dyn ExtensionSlot>>;

trait ExtensionSlot: Send {
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
    fn problems(&mut self) -> Vec<BootProblem>;
}

impl<T: Extension> ExtensionSlot for T {
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
    fn problems(&mut self) -> Vec<BootProblem> {
        Extension::problems(self)
    }
}

/// What a module sees while wiring: the built container and the extensions.
pub struct Wiring<'a> {
    module: &'static str,
    profile: &'a Profile,
    container: &'a Container,
    extensions: &'a mut Extensions,
    report: &'a mut BootReport,
}

impl fmt::Debug for Wiring<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wiring").field("module", &self.module).field("profile", &self.profile).finish()
    }
}

impl Wiring<'_> {
    /// The module being wired.
    pub fn module(&self) -> &'static str {
        self.module
    }

    /// The active profile.
    pub fn profile(&self) -> &Profile {
        self.profile
    }

    /// Resolves `T`, or records it as missing for this module and returns `None`.
    ///
    /// Resolve every dependency before using `?` so each miss is reported.
    pub fn resolve<T: Clone + Send + Sync + 'static>(&mut self) -> Option<T> {
        match self.container.resolve::<T>() {
            Ok(value) => Some(value),
            Err(_) => {
                self.report.push(BootProblem::MissingBinding {
                    type_name: type_name::<T>(),
                    requested_by: self.module.to_owned(),
                });
                None
            }
        }
    }

    /// Records a problem of this module (an invalid definition…) in the boot report.
    pub fn problem(&mut self, message: impl Into<String>) {
        self.report.push(BootProblem::Invalid { module: self.module.to_owned(), message: message.into() });
    }

    /// The extension of type `T`, or records it as missing and returns `None`.
    pub fn extension<T: Extension>(&mut self) -> Option<&mut T> {
        let found =
            self.extensions.get_mut(&TypeId::of::<T>()).and_then(|e| e.as_any_mut().downcast_mut::<T>());
        if found.is_none() {
            self.report.push(BootProblem::MissingExtension {
                type_name: type_name::<T>(),
                requested_by: self.module.to_owned(),
            });
        }
        found
    }
}

/// Boots an application: discovers modules, builds the container, wires
/// handlers, and reports every problem at once.
pub struct Boot {
    profile: Profile,
    discover: bool,
    modules: Vec<Box<dyn Installer>>,
    root_bindings: Vec<Binding>,
    extensions: Extensions,
}

impl fmt::Debug for Boot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Boot")
            .field("profile", &self.profile)
            .field("modules", &self.modules.iter().map(|m| m.name()).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Boot {
    /// A boot for `profile` that will discover every registered module.
    pub fn new(profile: Profile) -> Self {
        Self {
            profile,
            discover: true,
            modules: Vec::new(),
            root_bindings: Vec::new(),
            extensions: HashMap::new(),
        }
    }

    /// Turns off `inventory` discovery: only modules added with
    /// [`Boot::module`] take part (useful in tests).
    pub fn without_discovery(mut self) -> Self {
        self.discover = false;
        self
    }

    /// Adds a module explicitly.
    pub fn module(&mut self, module: impl Installer) -> &mut Self {
        self.modules.push(Box::new(module));
        self
    }

    /// Binds values on behalf of `owner` (usually the composition root
    /// choosing adapters for the active profile).
    pub fn bind(&mut self, owner: &'static str, bind: impl FnOnce(&mut Binder<'_>)) -> &mut Self {
        let mut binder = Binder { module: owner, profile: &self.profile, bindings: &mut self.root_bindings };
        bind(&mut binder);
        self
    }

    /// Adds a builder that modules contribute to while wiring.
    pub fn extension<T: Extension>(&mut self, extension: T) -> &mut Self {
        self.extensions.insert(TypeId::of::<T>(), Box::new(extension));
        self
    }

    /// The active profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Runs both phases and returns the booted application.
    ///
    /// # Errors
    /// One [`BootReport`] with every missing or duplicate binding, cycle,
    /// missing or duplicate module, and every problem an extension found.
    pub fn run(self) -> Result<Booted, BootReport> {
        let Boot { profile, discover, mut modules, root_bindings, mut extensions } = self;
        if discover {
            modules.extend(inventory::iter::<ModuleRegistration>.into_iter().map(|r| (r.create)()));
        }
        modules.sort_by_key(|m| m.name());
        let mut report = BootReport::default();

        let mut names = HashSet::new();
        for module in &modules {
            if !names.insert(module.name()) {
                report.push(BootProblem::DuplicateModule { name: module.name().to_owned() });
            }
        }
        for module in &modules {
            for dep in module.depends_on() {
                if !names.contains(dep) {
                    report.push(BootProblem::MissingModule {
                        name: (*dep).to_owned(),
                        required_by: module.name().to_owned(),
                    });
                }
            }
        }

        let mut bindings = root_bindings;
        for module in &modules {
            module.provide(&mut Binder { module: module.name(), profile: &profile, bindings: &mut bindings });
        }
        let container = Container::build(bindings, &mut report);

        for module in &modules {
            module.wire(&mut Wiring {
                module: module.name(),
                profile: &profile,
                container: &container,
                extensions: &mut extensions,
                report: &mut report,
            });
        }
        for problem in extensions.values_mut().flat_map(|e| e.problems()) {
            report.push(problem);
        }

        if report.is_empty() {
            Ok(Booted { profile, container, modules: modules.iter().map(|m| m.name()).collect(), extensions })
        } else {
            Err(report)
        }
    }
}

/// A booted application: its container, modules and extensions.
pub struct Booted {
    profile: Profile,
    container: Container,
    modules: Vec<&'static str>,
    extensions: Extensions,
}

impl fmt::Debug for Booted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Booted").field("profile", &self.profile).field("modules", &self.modules).finish()
    }
}

impl Booted {
    /// The built container.
    pub fn container(&self) -> &Container {
        &self.container
    }

    /// The active profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Names of every module that booted, sorted.
    pub fn modules(&self) -> &[&'static str] {
        &self.modules
    }

    /// Takes an extension back (e.g. the bus builder, to build the bus).
    pub fn take_extension<T: Extension>(&mut self) -> Option<T> {
        let slot = self.extensions.remove(&TypeId::of::<T>())?;
        slot.into_any().downcast::<T>().ok().map(|b| *b)
    }
}
