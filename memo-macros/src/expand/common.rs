//! What every attribute emits: the function's static state, its registration
//! with the report, and the companion module.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::Ident;

use crate::model::Func;
use crate::options::Options;
use crate::plan::Scope;

/// The root path of the `memo` crate in generated code.
pub(crate) fn root(options: &Options) -> TokenStream {
    match &options.krate {
        Some(path) => quote!(#path),
        None => quote!(::memo),
    }
}

/// The root path as seen from inside the companion module, one module below the
/// function: a relative `crate = self::m` becomes `super::m`, and `crate = super::m`
/// becomes `super::super::m`. Absolute paths and bare names (a renamed
/// dependency, which the extern prelude makes visible everywhere) are unchanged.
pub(crate) fn companion_root(options: &Options) -> TokenStream {
    let Some(path) = &options.krate else {
        return root(options);
    };
    let first = path.segments.first().map(|segment| &segment.ident);
    match first {
        Some(first) if path.leading_colon.is_none() && first == "self" => {
            let rest = path.segments.iter().skip(1);
            let up = Ident::new("super", first.span());
            quote!(#up #(:: #rest)*)
        }
        Some(first) if path.leading_colon.is_none() && first == "super" => {
            let up = Ident::new("super", first.span());
            quote!(#up :: #path)
        }
        _ => quote!(#path),
    }
}

/// The name of the function's static state.
pub(crate) fn state_ident() -> Ident {
    Ident::new("__MEMO", Span::call_site())
}

/// The attribute's knowledge of a function, for `memo_core::Info`.
pub(crate) struct InfoFields {
    pub(crate) kind: TokenStream,
    pub(crate) capacity: Option<usize>,
    /// `policy = lru`.
    pub(crate) lru: bool,
    pub(crate) ttl_ms: Option<u64>,
    pub(crate) thread_local: bool,
    pub(crate) single_flight: bool,
    pub(crate) refresh: bool,
    pub(crate) stale_on_error: bool,
    pub(crate) ttl_of: bool,
    /// `Some(&__MEMO_STORE)` with `store = ...`.
    pub(crate) store: TokenStream,
    /// One `Function` per instantiation of the type parameters.
    pub(crate) generic: bool,
    pub(crate) entries: TokenStream,
    /// `&["u32", "bool"]` when every parameter is an integer or `bool`.
    pub(crate) params: TokenStream,
    /// `Some(&__MEMO_TOUCHED)` for a table.
    pub(crate) touched: TokenStream,
}

impl InfoFields {
    pub(crate) fn plain(kind: TokenStream) -> Self {
        InfoFields {
            kind,
            capacity: None,
            lru: false,
            ttl_ms: None,
            thread_local: false,
            single_flight: false,
            refresh: false,
            stale_on_error: false,
            ttl_of: false,
            store: quote!(::core::option::Option::None),
            generic: false,
            entries: quote!(0),
            params: quote!(&[]),
            touched: quote!(::core::option::Option::None),
        }
    }
}

/// Where the state lives and how the body reaches it.
pub(crate) struct Site {
    /// How the function body reaches the state, a `&'static Function`:
    /// `&fib::__MEMO`, or a hygienic local for methods.
    pub(crate) state: TokenStream,
    /// Statements to put at the top of the body (methods keep their state there).
    pub(crate) in_body: TokenStream,
    /// The companion module (empty for methods: an `impl` block cannot hold one).
    pub(crate) companion: TokenStream,
}

// Input:  fn fib(n: u64) -> u64 { ... }
// Output: static __MEMO: Function = Function::new(Info { name: module_path!(), .. });
//         inventory::submit! { Registration(&__MEMO) }
pub(crate) fn state_items(
    root: &TokenStream,
    vis: &TokenStream,
    name: &TokenStream,
    method: &TokenStream,
    info: &InfoFields,
) -> TokenStream {
    let state = state_ident();
    let InfoFields {
        kind,
        capacity,
        lru,
        ttl_ms,
        thread_local,
        single_flight,
        refresh,
        stale_on_error,
        ttl_of,
        store,
        generic,
        entries,
        params,
        touched,
    } = info;
    let capacity = match capacity {
        Some(n) => quote!(::core::option::Option::Some(#n)),
        None => quote!(::core::option::Option::None),
    };
    let ttl = match ttl_ms {
        Some(ms) => {
            quote!(::core::option::Option::Some(#root::__private::Duration::from_millis(#ms)))
        }
        None => quote!(::core::option::Option::None),
    };
    quote! {
        #vis static #state: #root::__private::Function = #root::__private::Function::new(#root::__private::Info {
            name: #name,
            method: #method,
            kind: #root::__private::Kind::#kind,
            capacity: #capacity,
            lru: #lru,
            ttl: #ttl,
            thread_local: #thread_local,
            single_flight: #single_flight,
            refresh: #refresh,
            stale_on_error: #stale_on_error,
            ttl_of: #ttl_of,
            store: #store,
            generic: #generic,
            entries: #entries,
            params: #params,
            touched: #touched,
        });
        #root::__private::inventory::submit! { #root::__private::Registration(&#state) }
    }
}

// Input:  fn f, with a companion type `enum f {}`
// Output: the state items of `state_items`, named `module_path!()::f`, for
//         the companion's hidden associated functions to hold.
pub(crate) fn companion_state(root: &TokenStream, name: &Ident, info: &InfoFields) -> TokenStream {
    state_items(
        root,
        &TokenStream::new(),
        &quote!(::core::concat!(
            ::core::module_path!(),
            "::",
            ::core::stringify!(#name)
        )),
        &quote!(::core::option::Option::None),
        info,
    )
}

// Input:  a method `fn m(&self) -> R` in `impl T`, `let` name `var`, `items` and `value`
//         (which may name the static `__MEMO`)
// Output: let var = { static __MEMO: Function = ..; inventory::submit!; items value };
//         in a block, so that neither the static nor `items` is in scope of the body
//         that follows: a method's body may name its own items anything.
pub(crate) fn in_method(
    root: &TokenStream,
    func: &Func,
    info: &InfoFields,
    var: &Ident,
    items: &TokenStream,
    value: &TokenStream,
) -> TokenStream {
    let ident = func.name();
    let name = quote!(::core::concat!(
        ::core::module_path!(),
        "::<Self>::",
        ::core::stringify!(#ident)
    ));
    let method = quote!(::core::option::Option::Some(::core::stringify!(#ident)));
    let state = state_items(root, &TokenStream::new(), &name, &method, info);
    quote! {
        let #var = {
            #state
            #items
            #value
        };
    }
}

// Input:  pub fn fib(n: u64) -> u64 { ... }
// Output: pub mod fib { static __MEMO ...; pub fn stats() -> Stats; pub fn clear(); #extra }
//         or, for a method, the static inside its body.
//
// `extra` goes inside the companion module, so it names the crate with
// `companion_root`.
pub(crate) fn site(
    options: &Options,
    func: &Func,
    scope: Scope,
    info: &InfoFields,
    extra: &TokenStream,
) -> Site {
    let ident = func.name();
    if scope == Scope::Impl {
        let state = local("__memo_state");
        let value = state_ident();
        return Site {
            in_body: in_method(
                &root(options),
                func,
                info,
                &state,
                &TokenStream::new(),
                &quote!(&#value),
            ),
            state: state.into_token_stream(),
            companion: TokenStream::new(),
        };
    }
    let root = companion_root(options);
    let vis = &func.item.vis;
    let state = state_ident();
    let items = state_items(
        &root,
        &quote!(#[doc(hidden)] pub(super)),
        &quote!(::core::module_path!()),
        &quote!(::core::option::Option::None),
        info,
    );
    let doc = format!("Counters and controls of [`{ident}()`](fn@{ident}), generated by `memo`.");
    Site {
        state: quote!(&#ident::#state),
        in_body: TokenStream::new(),
        companion: quote! {
            #[doc = #doc]
            #vis mod #ident {
                #items
                /// A snapshot of the function's counters.
                #[must_use]
                pub fn stats() -> #root::Stats {
                    #state.stats()
                }
                /// Drops every stored entry and zeroes the counters.
                pub fn clear() {
                    #state.clear();
                }
                #extra
            }
        },
    }
}

impl Site {
    // Input:  the user's function and the statements that replace its body
    // Output: #[attrs] vis fn f(..) -> R { <let state = { .. }, for methods> body }  mod f { .. }
    pub(crate) fn emit(&self, func: &Func, body: TokenStream) -> TokenStream {
        let Site {
            in_body, companion, ..
        } = self;
        let item = function(func, &func.item.sig, quote!(#in_body #body));
        quote!(#item #companion)
    }
}

// Input:  the user's function, the signature to give it, and its new body
// Output: #[attrs] vis <sig> { body }   (the user's attributes and visibility kept)
pub(crate) fn function(func: &Func, sig: &impl ToTokens, body: TokenStream) -> TokenStream {
    let syn::ItemFn { attrs, vis, .. } = &func.item;
    quote! {
        #(#attrs)*
        #vis #sig {
            #body
        }
    }
}

/// A hygienic local name for generated code, invisible to the user's body.
pub(crate) fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

// Input:  a `#[counted]` function, `let` name `var`
// Output: let var = { thread_local! { static __MEMO_COUNTS: ThreadSlot = const { ThreadSlot::new() }; } &__MEMO_COUNTS };
//         (its counters' slot, one per thread, reached without a lazy-init check; in a
//         block, so that the thread-local is not in scope of the body that follows)
pub(crate) fn counts(root: &TokenStream, var: &Ident) -> TokenStream {
    quote! {
        let #var = {
            #root::__private::thread_local! {
                static __MEMO_COUNTS: #root::__private::ThreadSlot = const { #root::__private::ThreadSlot::new() };
            }
            &__MEMO_COUNTS
        };
    }
}
