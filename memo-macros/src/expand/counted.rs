//! `#[counted]`: the function unchanged, plus one per-thread counter bump.

use proc_macro2::TokenStream;
use quote::quote;

use super::common::{self, InfoFields};
use crate::plan::{Counted, Scope};

// Input:  fn fib(n: u64) -> u64 { body }
// Output: fn fib(n: u64) -> u64 {
//             let counts = { thread_local! { static __MEMO_COUNTS: ThreadSlot = .. }; &__MEMO_COUNTS };
//             let timer = if tick(counts) { None }   (counted: one thread-local load and bump)
//                         else { count_sampled(counts, &fib::__MEMO, || hash of the arguments) };
//             body
//         }
//         mod fib { static __MEMO; fn stats(); fn clear() }
//         A method counts through `count_method(state, type_name::<Self>(), hash)`, its
//         `let state = { static __MEMO ..; &__MEMO };` at the top of its body.
pub(crate) fn expand(plan: &Counted) -> TokenStream {
    let Counted {
        func,
        options,
        scope,
    } = *plan;
    let root = common::root(options);
    let site = common::site(
        options,
        func,
        scope,
        &InfoFields::plain(quote!(Counted)),
        &TokenStream::new(),
    );
    let state = &site.state;
    let counts = common::local("__memo_counts");
    // Named parameters feed the distinct-input sketch on sampled calls.
    let args = func.params.iter().map(|p| &p.name);
    let hash = quote! {
        || {
            use #root::__private::{Hashed as _, Unhashed as _};
            (&#root::__private::KeyProbe(&(#(&#args,)*))).key_hash()
        }
    };
    let timer = common::local("__memo_timer");
    let block = &func.item.block;
    // A method's `Self` may be any type of a generic `impl`: its counts are
    // kept per `Self` type, found by name, instead of in one thread-local.
    let count = if scope == Scope::Impl {
        quote! {
            let #timer = #root::__private::count_method(#state, #root::__private::type_name::<Self>(), #hash);
        }
    } else {
        let counts_decl = common::counts(&root, &counts);
        quote! {
            #counts_decl
            let #timer = if #root::__private::tick(#counts) {
                ::core::option::Option::None
            } else {
                #root::__private::count_sampled(#counts, #state, #hash)
            };
        }
    };
    site.emit(
        func,
        quote! {
            #count
            #block
        },
    )
}
