use std::fmt;

/// One thing that stops the application from starting.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BootProblem {
    /// A module asked for a type that nothing binds.
    MissingBinding {
        /// The missing type.
        type_name: &'static str,
        /// The module that asked for it.
        requested_by: String,
    },
    /// Several modules bind the same type.
    DuplicateBinding {
        /// The type bound more than once.
        type_name: &'static str,
        /// Every module that binds it, in registration order.
        modules: Vec<String>,
    },
    /// Building a type needs, through its dependencies, the type itself.
    Cycle {
        /// The types in the cycle, ending with the first one again.
        chain: Vec<&'static str>,
        /// The module whose binding closed the cycle.
        requested_by: String,
    },
    /// A module depends on a module that is not linked into the binary.
    MissingModule {
        /// The module that is missing.
        name: String,
        /// The module that depends on it.
        required_by: String,
    },
    /// Two registrations use the same module name.
    DuplicateModule {
        /// The module name registered twice.
        name: String,
    },
    /// A module asked for a builder (e.g. the event bus) that the composition
    /// root did not provide.
    MissingExtension {
        /// The builder type.
        type_name: &'static str,
        /// The module that asked for it.
        requested_by: String,
    },
    /// Anything else an extension detects (duplicate command handlers…).
    Invalid {
        /// The module at fault.
        module: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}

impl fmt::Display for BootProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingBinding { type_name, requested_by } => {
                write!(f, "missing binding for {type_name}, needed by module `{requested_by}`")
            }
            Self::DuplicateBinding { type_name, modules } => {
                write!(f, "duplicate binding for {type_name}, bound by modules `{}`", modules.join("`, `"))
            }
            Self::Cycle { chain, requested_by } => {
                write!(f, "dependency cycle {} (in module `{requested_by}`)", chain.join(" -> "))
            }
            Self::MissingModule { name, required_by } => {
                write!(
                    f,
                    "module `{required_by}` depends on module `{name}`, which is not linked into this binary \
                     (add it as a dependency and to `core_di::link_modules!`)"
                )
            }
            Self::DuplicateModule { name } => write!(f, "module `{name}` is registered twice"),
            Self::MissingExtension { type_name, requested_by } => write!(
                f,
                "module `{requested_by}` needs {type_name}, which the composition root did not add \
                 (call `Boot::extension`)"
            ),
            Self::Invalid { module, message } => write!(f, "module `{module}`: {message}"),
        }
    }
}

/// Every problem found at boot, reported at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BootReport {
    problems: Vec<BootProblem>,
}

impl BootReport {
    /// Records a problem.
    pub fn push(&mut self, problem: BootProblem) {
        self.problems.push(problem);
    }

    /// Every problem found.
    pub fn problems(&self) -> &[BootProblem] {
        &self.problems
    }

    /// Whether boot can go on.
    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    /// How many problems were found.
    pub fn len(&self) -> usize {
        self.problems.len()
    }
}

impl fmt::Display for BootReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the application cannot start: {} problem(s)", self.problems.len())?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BootReport {}

impl FromIterator<BootProblem> for BootReport {
    fn from_iter<I: IntoIterator<Item = BootProblem>>(problems: I) -> Self {
        Self { problems: problems.into_iter().collect() }
    }
}
