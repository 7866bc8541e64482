//! The container and the one boot report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use core_di::{Binder, Boot, BootProblem, Extension, Installer, Profile, Wiring};
use core_domain::Module;

trait PaymentGateway: Send + Sync {
    fn name(&self) -> &'static str;
}
struct FakeGateway;
impl PaymentGateway for FakeGateway {
    fn name(&self) -> &'static str {
        "fake"
    }
}
struct StripeGateway;
impl PaymentGateway for StripeGateway {
    fn name(&self) -> &'static str {
        "stripe"
    }
}

#[derive(Clone)]
struct Clock;
#[derive(Clone, Debug)]
struct Mailer;

/// A module that needs a gateway, a clock and a mailer while wiring.
struct Payments;
impl Module for Payments {
    fn name(&self) -> &'static str {
        "payments"
    }
    fn depends_on(&self) -> &'static [&'static str] {
        &["ledger"]
    }
}
impl Installer for Payments {
    fn wire(&self, wiring: &mut Wiring<'_>) {
        let gateway = wiring.resolve::<Arc<dyn PaymentGateway>>();
        let clock = wiring.resolve::<Clock>();
        let _ = (gateway, clock);
    }
}

struct Shipping;
impl Module for Shipping {
    fn name(&self) -> &'static str {
        "shipping"
    }
}
impl Installer for Shipping {
    fn provide(&self, binder: &mut Binder<'_>) {
        binder.singleton::<Arc<String>>(|r| {
            let mailer = r.resolve::<Mailer>();
            mailer.map(|_| Arc::new("labels".to_owned()))
        });
        binder.instance(Clock);
    }
}

struct Billing;
impl Module for Billing {
    fn name(&self) -> &'static str {
        "billing"
    }
}
impl Installer for Billing {
    fn provide(&self, binder: &mut Binder<'_>) {
        binder.instance(Clock);
    }
}

#[test]
fn one_report_lists_every_missing_and_duplicate_binding_and_missing_module() {
    let mut boot = Boot::new(Profile::new("memory")).without_discovery();
    boot.module(Payments).module(Shipping).module(Billing);
    let report = boot.run().unwrap_err();
    let text = report.to_string();
    assert!(text.starts_with("the application cannot start: 4 problem(s)"), "{text}");
    let problems = report.problems();
    assert!(
        problems
            .contains(&BootProblem::MissingModule { name: "ledger".into(), required_by: "payments".into() })
    );
    assert!(problems.contains(&BootProblem::DuplicateBinding {
        type_name: std::any::type_name::<Clock>(),
        modules: vec!["billing".into(), "shipping".into()],
    }));
    assert!(problems.contains(&BootProblem::MissingBinding {
        type_name: std::any::type_name::<Mailer>(),
        requested_by: "shipping".into(),
    }));
    assert!(problems.contains(&BootProblem::MissingBinding {
        type_name: std::any::type_name::<Arc<dyn PaymentGateway>>(),
        requested_by: "payments".into(),
    }));
    assert!(text.contains("missing binding for alloc::sync::Arc<dyn di_boot_report::PaymentGateway>, needed by module `payments`"), "{text}");
}

#[test]
fn dependency_cycles_are_reported_with_their_chain() {
    #[derive(Clone)]
    struct A;
    #[derive(Clone)]
    struct B;
    let mut boot = Boot::new(Profile::new("memory")).without_discovery();
    boot.bind("app", |b| {
        b.singleton::<A>(|r| r.resolve::<B>().map(|_| A));
        b.singleton::<B>(|r| r.resolve::<A>().map(|_| B));
    });
    let report = boot.run().unwrap_err();
    assert_eq!(report.len(), 1, "{report}");
    let text = report.to_string();
    assert!(text.contains("dependency cycle"), "{text}");
    assert!(text.contains("A -> ") && text.contains("B -> "), "{text}");
}

#[test]
fn profiles_choose_adapters_without_touching_module_code() {
    fn boot(profile: &str) -> &'static str {
        let mut boot = Boot::new(Profile::new(profile)).without_discovery();
        boot.bind("app", |b| {
            b.when(&["memory"], |b| {
                b.instance::<Arc<dyn PaymentGateway>>(Arc::new(FakeGateway));
            });
            b.when(&["postgres", "nats"], |b| {
                b.instance::<Arc<dyn PaymentGateway>>(Arc::new(StripeGateway));
            });
        });
        let booted = boot.run().unwrap();
        booted.container().resolve::<Arc<dyn PaymentGateway>>().unwrap().name()
    }
    assert_eq!(boot("memory"), "fake");
    assert_eq!(boot("postgres"), "stripe");
}

#[test]
fn singletons_are_built_once_and_factories_every_time() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static BUILT: AtomicUsize = AtomicUsize::new(0);
    #[derive(Clone)]
    struct Counter(usize);
    let mut boot = Boot::new(Profile::new("memory")).without_discovery();
    boot.bind("app", |b| {
        b.singleton::<Arc<Counter>>(|_| Some(Arc::new(Counter(BUILT.fetch_add(1, Ordering::SeqCst)))));
        b.factory::<Counter>(|r| r.resolve::<Arc<Counter>>().map(|c| Counter(c.0 + 100)));
    });
    let booted = boot.run().unwrap();
    let a = booted.container().resolve::<Arc<Counter>>().unwrap();
    let b = booted.container().resolve::<Arc<Counter>>().unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(booted.container().resolve::<Counter>().unwrap().0, 100);
    assert_eq!(BUILT.load(Ordering::SeqCst), 1);
    let missing = booted.container().resolve::<Mailer>().unwrap_err();
    assert!(missing.to_string().contains("no binding for"), "{missing}");
}

#[test]
fn modules_contribute_to_extensions_and_a_missing_extension_is_reported() {
    #[derive(Default)]
    struct Routes(Vec<&'static str>);
    impl Extension for Routes {}
    struct Web;
    impl Module for Web {
        fn name(&self) -> &'static str {
            "web"
        }
    }
    impl Installer for Web {
        fn wire(&self, wiring: &mut Wiring<'_>) {
            if let Some(routes) = wiring.extension::<Routes>() {
                routes.0.push("/orders");
            }
        }
    }
    let mut boot = Boot::new(Profile::new("memory")).without_discovery();
    boot.module(Web).extension(Routes::default());
    let mut booted = boot.run().unwrap();
    assert_eq!(booted.take_extension::<Routes>().unwrap().0, ["/orders"]);

    let mut boot = Boot::new(Profile::new("memory")).without_discovery();
    boot.module(Web);
    let report = boot.run().unwrap_err();
    assert!(report.to_string().contains("module `web` needs"), "{report}");
}
