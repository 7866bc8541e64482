//! Workspace-level checks. The guides under `docs/` are included here so
//! that every Rust code block in them compiles and runs as a doctest.

#[cfg(doctest)]
#[doc = include_str!("../../docs/tutorial-sagas.md")]
struct TutorialSagas;

#[cfg(doctest)]
#[doc = include_str!("../../docs/orchestration-guide.md")]
struct OrchestrationGuide;

#[cfg(doctest)]
#[doc = include_str!("../../docs/inter-module-communication.md")]
struct InterModuleCommunication;
