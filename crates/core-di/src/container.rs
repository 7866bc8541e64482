use std::{
    any::{Any, TypeId, type_name},
    collections::{HashMap, HashSet},
    sync::Arc,
};

use crate::report::{BootProblem, BootReport};

pub(crate) type AnyArc = Arc<dyn Any + Send + Sync>;
pub(crate) type SingletonFn = Box<dyn FnOnce(&mut Resolver<'_>) -> Option<AnyArc> + Send>;
pub(crate) type FactoryFn = Arc<dyn Fn(&mut Resolver<'_>) -> Option<AnyArc> + Send + Sync>;

pub(crate) enum Provider {
    Instance(AnyArc),
    Singleton(SingletonFn),
    Factory(FactoryFn),
}

pub(crate) struct Binding {
    pub(crate) type_id: TypeId,
    pub(crate) type_name: &'static str,
    pub(crate) module: &'static str,
    pub(crate) provider: Provider,
}

/// Why a value could not be resolved after boot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// Nothing is bound for this type.
    #[error("no binding for {type_name}: bind it in a module's `provide` or at the composition root")]
    Missing {
        /// The requested type.
        type_name: &'static str,
    },
    /// The factory for this type could not resolve its dependencies.
    #[error("the factory for {type_name} failed: {report}")]
    FactoryFailed {
        /// The requested type.
        type_name: &'static str,
        /// What the factory was missing.
        report: BootReport,
    },
}

/// The built container: resolves values by type.
///
/// Resolvable types are `Clone + Send + Sync + 'static`: bind `Arc<T>` or
/// `Arc<dyn Trait>` for shared services; resolving clones the `Arc`.
#[derive(Clone, Default)]
pub struct Container {
    values: HashMap<TypeId, AnyArc>,
    factories: HashMap<TypeId, (&'static str, &'static str, FactoryFn)>,
}

impl std::fmt::Debug for Container {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Container")
            .field("values", &self.values.len())
            .field("factories", &self.factories.len())
            .finish()
    }
}

impl Container {
    /// Resolves a value of type `T`.
    ///
    /// # Errors
    /// [`ResolveError::Missing`] when nothing is bound for `T`;
    /// [`ResolveError::FactoryFailed`] when its factory lacks a dependency.
    pub fn resolve<T: Clone + Send + Sync + 'static>(&self) -> Result<T, ResolveError> {
        let mut report = BootReport::default();
        let value = Resolver { source: Source::Runtime(self), report: &mut report, module: "container" }
            .resolve::<T>();
        match value {
            Some(value) if report.is_empty() => Ok(value),
            _ if !self.contains::<T>() => Err(ResolveError::Missing { type_name: type_name::<T>() }),
            _ => Err(ResolveError::FactoryFailed { type_name: type_name::<T>(), report }),
        }
    }

    /// Whether something is bound for `T`.
    pub fn contains<T: 'static>(&self) -> bool {
        let id = TypeId::of::<T>();
        self.values.contains_key(&id) || self.factories.contains_key(&id)
    }

    /// Builds the container from bindings: instantiates every singleton and
    /// tries every factory once, recording every problem in `report`.
    pub(crate) fn build(bindings: Vec<Binding>, report: &mut BootReport) -> Self {
        let mut state = BuildState::default();
        let mut owners: HashMap<TypeId, (&'static str, Vec<&'static str>)> = HashMap::new();
        let mut order = Vec::new();
        for binding in bindings {
            let (_, modules) = owners.entry(binding.type_id).or_insert((binding.type_name, Vec::new()));
            modules.push(binding.module);
            if modules.len() > 1 {
                continue;
            }
            order.push(binding.type_id);
            let id = binding.type_id;
            match binding.provider {
                Provider::Instance(value) => {
                    state.container.values.insert(id, value);
                }
                Provider::Factory(factory) => {
                    state.container.factories.insert(id, (binding.type_name, binding.module, factory));
                }
                Provider::Singleton(build) => {
                    state.pending.insert(id, (binding.type_name, binding.module, build));
                }
            }
        }
        let mut duplicates: Vec<_> = owners.into_values().filter(|(_, modules)| modules.len() > 1).collect();
        duplicates.sort();
        for (type_name, modules) in duplicates {
            report.push(BootProblem::DuplicateBinding {
                type_name,
                modules: modules.into_iter().map(str::to_owned).collect(),
            });
        }
        for id in order {
            state.build(id, report);
        }
        state.container
    }
}

/// What boot is building: values so far, singletons not built yet, factories.
#[derive(Default)]
struct BuildState {
    container: Container,
    pending: HashMap<TypeId, (&'static str, &'static str, SingletonFn)>,
    failed: HashSet<TypeId>,
    stack: Vec<(TypeId, &'static str)>,
}

impl BuildState {
    /// Whether anything is bound for `id` (built, pending, a factory, or failed).
    fn knows(&self, id: TypeId) -> bool {
        self.container.values.contains_key(&id)
            || self.pending.contains_key(&id)
            || self.container.factories.contains_key(&id)
            || self.failed.contains(&id)
    }

    /// Builds (or, for a factory, tries once) the binding of `id`.
    /// Returns its value when it could be built.
    fn build(&mut self, id: TypeId, report: &mut BootReport) -> Option<AnyArc> {
        if let Some(value) = self.container.values.get(&id) {
            return Some(value.clone());
        }
        if self.failed.contains(&id) {
            return None;
        }
        let before = report.len();
        let value = if let Some((name, module, build)) = self.pending.remove(&id) {
            self.stack.push((id, name));
            let value = build(&mut Resolver { source: Source::Boot(self), report, module });
            self.stack.pop();
            if let Some(value) = &value {
                self.container.values.insert(id, value.clone());
            }
            value
        } else if let Some((name, module, factory)) = self.container.factories.get(&id).cloned() {
            self.stack.push((id, name));
            let value = factory(&mut Resolver { source: Source::Boot(self), report, module });
            self.stack.pop();
            value
        } else {
            return None;
        };
        if value.is_none() || report.len() > before {
            self.failed.insert(id);
            return None;
        }
        value
    }
}

enum Source<'a> {
    Boot(&'a mut BuildState),
    Runtime(&'a Container),
}

/// Resolves dependencies inside a singleton or factory.
///
/// Every miss is recorded with the asking module, so that boot reports all
/// of them at once. Resolve every dependency before using `?`, so that each
/// missing one is reported:
///
/// ```
/// # use std::sync::Arc;
/// # let mut boot = core_di::Boot::new(core_di::Profile::new("memory")).without_discovery();
/// boot.bind("orders", |b| {
///     b.singleton::<Arc<(u8, u16)>>(|r| {
///         let (a, b) = (r.resolve::<u8>(), r.resolve::<u16>());
///         Some(Arc::new((a?, b?)))
///     });
/// });
/// let report = boot.run().unwrap_err();
/// assert_eq!(report.problems().len(), 2);
/// ```
pub struct Resolver<'a> {
    source: Source<'a>,
    report: &'a mut BootReport,
    module: &'static str,
}

impl std::fmt::Debug for Resolver<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver").field("module", &self.module).finish_non_exhaustive()
    }
}

impl Resolver<'_> {
    /// The module whose binding is being built.
    pub fn module(&self) -> &'static str {
        self.module
    }

    /// Resolves `T`, or records why it cannot be and returns `None`.
    pub fn resolve<T: Clone + Send + Sync + 'static>(&mut self) -> Option<T> {
        let id = TypeId::of::<T>();
        let value = match &mut self.source {
            Source::Runtime(container) => {
                if let Some(value) = container.values.get(&id) {
                    Some(value.clone())
                } else if let Some((_, module, factory)) = container.factories.get(&id) {
                    factory(&mut Resolver { source: Source::Runtime(container), report: self.report, module })
                } else {
                    return self.missing::<T>();
                }
            }
            Source::Boot(state) => {
                // A type under construction is on the stack (no longer pending).
                if let Some(pos) = state.stack.iter().position(|(sid, _)| *sid == id) {
                    let mut chain: Vec<&'static str> = state.stack[pos..].iter().map(|(_, n)| *n).collect();
                    chain.push(type_name::<T>());
                    self.report.push(BootProblem::Cycle { chain, requested_by: self.module.to_owned() });
                    return None;
                }
                if !state.knows(id) {
                    return self.missing::<T>();
                }
                // Known but failed: its own problem is already reported.
                state.build(id, self.report)
            }
        };
        value.and_then(|v| v.downcast_ref::<T>().cloned())
    }

    fn missing<T>(&mut self) -> Option<T> {
        self.report.push(BootProblem::MissingBinding {
            type_name: type_name::<T>(),
            requested_by: self.module.to_owned(),
        });
        None
    }
}
