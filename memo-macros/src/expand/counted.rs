//! `#[counted]`: the function unchanged, plus one per-thread counter bump.

use proc_macro2::TokenStream;
use quote::quote;

use super::common::{self, InfoFields};
use crate::model::Func;
use crate::options::Options;

// Input:  fn fib(n: u64) -> u64 { body }
// Output: fn fib(n: u64) -> u64 {
//             thread_local! { static __MEMO_COUNTS: ThreadSlot = const { ThreadSlot::new() }; }
//             let timer = if tick(&__MEMO_COUNTS) { None }   (counted: one thread-local load and bump)
//                         else { count_sampled(&__MEMO_COUNTS, &fib::__MEMO, || hash of the arguments) };
//             body
//         }
//         mod fib { static __MEMO; fn stats(); fn clear() }
pub(crate) fn expand(options: &Options, func: &Func) -> TokenStream {
    let root = common::root(options);
    let site = common::site(
        options,
        func,
        &InfoFields::plain(quote!(Counted)),
        &TokenStream::new(),
    );
    let state = &site.state;
    let counts = common::thread_local_ident("COUNTS");
    let counts_decl = common::counts_decl(&root, &TokenStream::new());
    let name_method = common::name_method(&root, func, state);
    // Named parameters feed the distinct-input sketch on sampled calls.
    let args = func.params.iter().map(|p| &p.name);
    let timer = common::local("__memo_timer");
    let block = &func.item.block;
    site.emit(
        func,
        quote! {
            #counts_decl
            let #timer = if #root::__private::tick(&#counts) {
                ::core::option::Option::None
            } else {
                #root::__private::count_sampled(&#counts, &#state, || {
                    use #root::__private::{Hashed as _, Unhashed as _};
                    (&#root::__private::KeyProbe(&(#(&#args,)*))).key_hash()
                })
            };
            #name_method
            #block
        },
    )
}
