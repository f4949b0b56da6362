//! Every instrumented function in the program, known at link time (before its
//! first call) through `inventory`.

use crate::function::Function;

/// Registers one function; the macros emit one per function.
pub struct Registration(pub &'static Function);

inventory::collect!(Registration);

/// Every registered function.
pub(crate) fn functions() -> impl Iterator<Item = &'static Function> {
    inventory::iter::<Registration>
        .into_iter()
        .flat_map(|registration| {
            std::iter::once(registration.0)
                .filter(|f| f.reported())
                .chain(registration.0.others())
        })
}
