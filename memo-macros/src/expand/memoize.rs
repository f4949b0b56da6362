//! `#[memoize]`: probe the cache with the borrowed arguments; on a miss, run the
//! body (as a closure, or an `async` block for an `async fn`, so `return` and
//! `?` keep their meaning) and store the result.
//!
//! A free function's companion is an uninhabited `enum f {}` with associated
//! functions (`stats`, `clear`, `get`, `insert`, `remove`), written beside the
//! function: an `impl` sees the names of the scope it is written in, so the
//! companion can name the parameter types wherever the function is declared,
//! a function body included. Its statics live inside hidden associated
//! functions. Methods keep their statics in their own body, in a block of
//! their own, out of the user's code's scope.
//!
//! The key's and the value's bounds (`Hash`, `Eq`, `Clone`, ...) on types the
//! user wrote are `where` clauses of a free function and of the part of its
//! companion that needs them, spanned at the types: rustc reports an unmet
//! one there, and checks the generated calls assuming it (see `check::bounds`).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{GenericParam, Ident};

use super::common::{self, InfoFields};
use crate::model::{small_integer, Func, Pass};
use crate::options::{Options, Store};
use crate::plan::{Bound, Key, Memoize, Mode, Need, Scope};

/// What the expansion needs to know about the function, computed once.
struct Shape<'a> {
    root: TokenStream,
    plan: &'a Memoize<'a>,
    options: &'a Options,
    func: &'a Func,
    /// The return type (`()` if none).
    output: TokenStream,
    /// What the cache stores: the return type, or `T` of a `Result<T, E>`.
    value: TokenStream,
    /// How a call names its instantiation (`Instance::plain()` for a plain fn).
    instance: TokenStream,
    /// Whether the key or value types can be named in a `static`.
    erased: bool,
}

// Input:  fn f(n: u64, s: &str) -> R { body }
// Output: fn f(n: u64, s: &str) -> R  (where R: Clone + Send + Sync + 'static, for an `R` not a primitive)
//         {
//             let query = (&n, s);
//             let miss = match lookup(f::__memo_local(), Instance::plain(), &query) { Ok(v) => return v, Err(m) => m };
//             fill(f::__memo_local(), Instance::plain(), miss, query.into_key(), &[observed], move || -> R { body }, always)
//         }
//         enum f {}
//         impl f { fn __memo_state(); stats(); clear() }
//         impl f (where R: ..) { fn __memo_local(); get(n, s); insert(n, s, value); remove(n, s); traced(n, s) }
pub(crate) fn expand(plan: &Memoize) -> TokenStream {
    let Memoize {
        func,
        options,
        scope,
        mode,
        generic,
        ..
    } = *plan;
    let root = common::root(options);
    let shape = Shape {
        output: func
            .output
            .as_ref()
            .map_or_else(|| quote!(()), |ty| quote!(#ty)),
        value: match (&func.ok_type, &func.output) {
            (Some(ty), _) | (None, Some(ty)) => quote!(#ty),
            (None, None) => quote!(()),
        },
        instance: instance(&root, plan),
        erased: scope == Scope::Impl || matches!(plan.key, Key::Expr(_)) || generic,
        root,
        plan,
        options,
        func,
    };
    let observed = observed_domain(&shape);
    let info = InfoFields {
        capacity: options.capacity,
        lru: options.lru,
        ttl_ms: options.ttl,
        thread_local: mode == Mode::ThreadLocal,
        single_flight: mode == Mode::SingleFlight,
        refresh: options.refresh.is_some(),
        stale_on_error: options.stale_on_error.is_some(),
        ttl_of: options.ttl_of.is_some(),
        store: if options.store.is_some() {
            quote!(::core::option::Option::Some(&__MEMO_STORE))
        } else {
            quote!(::core::option::Option::None)
        },
        generic,
        params: observed.types,
        ..InfoFields::plain(quote!(Memoize))
    };
    if scope == Scope::Impl {
        return method(&shape, &info, &observed.values);
    }
    let name = func.name();
    let local = quote!(#name::__memo_local());
    let body = call(&shape, &local, &observed.values);
    let item = common::function(func, &signature(&shape), body);
    let companion = companion(&shape, &info);
    quote!(#item #companion)
}

// Input:  fn f(p: Point) -> R where T: X
// Output: fn f(p: Point) -> R where T: X, Point: Hash + Eq + Clone + Send + Sync + 'static, R: Clone + ..
//         (the signature unchanged when no bound is a `where` clause)
fn signature(shape: &Shape) -> TokenStream {
    let clauses = where_clauses(shape);
    let sig = &shape.func.item.sig;
    if clauses.is_empty() {
        return sig.to_token_stream();
    }
    let mut sig = sig.clone();
    let written = sig.generics.where_clause.take();
    let written = written.iter().flat_map(|clause| clause.predicates.iter());
    quote!(#sig where #(#written,)* #(#clauses,)*)
}

// Input:  p: Point, s: &Name -> Value      (the bounds `check` made `where` clauses)
// Output: Point: Hash + Eq + Clone + Send + Sync + 'static,
//         Name: ToOwned + Hash + Eq, <Name as ToOwned>::Owned: Hash + Eq + Clone + Send + Sync + 'static,
//         Value: Clone + Send + Sync + 'static
//         each spanned at the type: rustc reports an unmet bound there, once, and checks
//         the body and the companion assuming it, so no generated call repeats the error.
fn where_clauses(shape: &Shape) -> Vec<TokenStream> {
    let root = &shape.root;
    let mut clauses = Vec::new();
    for Bound { ty, need, .. } in shape.plan.bounds.iter().filter(|bound| bound.as_where) {
        let span = ty.span();
        let stored = quote_spanned!(span=>
            ::core::clone::Clone + ::core::marker::Send + ::core::marker::Sync + 'static
        );
        let key = quote_spanned!(span=> ::core::hash::Hash + ::core::cmp::Eq);
        match need {
            Need::Key => clauses.push(quote_spanned!(span=> #ty: #key + #stored)),
            Need::Value => clauses.push(quote_spanned!(span=> #ty: #stored)),
            Need::BorrowedKey => {
                let to_owned = quote_spanned!(span=> #root::__private::ToOwned);
                clauses.push(quote_spanned!(span=> #ty: #to_owned + #key));
                clauses.push(quote_spanned!(span=> <#ty as #to_owned>::Owned: #key + #stored));
            }
        }
    }
    clauses
}

// Input:  a method `fn m(&self, n: u64) -> R { body }`
// Output: fn m(&self, n: u64) -> R <where clauses, as `signature`> {
//             let local = { static __MEMO ...; thread_local! { static __MEMO_LOCAL: ErasedLocal }; &__MEMO_LOCAL };
//             <call>
//         }
fn method(shape: &Shape, info: &InfoFields, observed: &[TokenStream]) -> TokenStream {
    let root = &shape.root;
    let local = common::local("__memo_local");
    let state = common::state_ident();
    let thread_local = quote! {
        #root::__private::thread_local! {
            static __MEMO_LOCAL: #root::__private::ErasedLocal = #root::__private::ErasedLocal::new(&#state);
        }
    };
    let in_body = common::in_method(
        root,
        shape.func,
        info,
        &local,
        &thread_local,
        &quote!(&__MEMO_LOCAL),
    );
    let body = call(shape, &quote!(#local), observed);
    common::function(shape.func, &signature(shape), quote!(#in_body #body))
}

// Input:  the function, and how to reach its thread-local (`local`)
// Output: assert_key::<..>(); let query = ..; let miss = match lookup(..) { .. };
//         fill(.., move || -> R { body }, cacheable)                 (sync)
//         fill_async(.., typed_future::<R, _>(async move { body }), cacheable).await   (async)
fn call(shape: &Shape, local: &TokenStream, observed: &[TokenStream]) -> TokenStream {
    let Shape {
        root,
        func,
        output,
        instance,
        ..
    } = shape;
    let asserts = bound_checks(shape);
    let query = query(shape);
    let rules = rules(shape);
    let hit = if func.returns_result {
        quote!(::core::result::Result::Ok)
    } else {
        TokenStream::new()
    };
    let miss = common::local("__memo_miss");
    let query_var = common::local("__memo_query");
    let value = common::local("__memo_value");
    let block = &func.item.block;
    let fill = if func.item.sig.asyncness.is_some() {
        quote! {
            #root::__private::fill_async(
                #local,
                #instance,
                #miss,
                #root::__private::Lookup::into_key(#query_var),
                [#(#observed),*],
                #root::__private::typed_future::<#output, _>(async move #block),
                #rules,
            )
            .await
        }
    } else {
        quote! {
            #root::__private::fill(
                #local,
                #instance,
                #miss,
                #root::__private::Lookup::into_key(#query_var),
                &[#(#observed),*],
                move || -> #output #block,
                #rules,
            )
        }
    };
    quote! {
        #asserts
        let #query_var = #query;
        let #miss = match #root::__private::lookup(#local, #instance, &#query_var) {
            ::core::result::Result::Ok(#value) => return #hit(#value),
            ::core::result::Result::Err(#miss) => #miss,
        };
        #fill
    }
}

// Input:  fn f(..) -> R, or -> Result<T, E>; `cache_if = P`, `ttl_of = F`
// Output: Rules { split: |r| Computed::value(r, P), wrap: identity, ttl_of: Some(|v| F(v)) }
//         Rules { split: |r| Computed::result(r, P), wrap: Result::Ok, ttl_of: None }
fn rules(shape: &Shape) -> TokenStream {
    let Shape {
        root,
        options,
        func,
        value,
        ..
    } = shape;
    let keep = match &options.cache_if {
        Some(predicate) => quote!(#predicate),
        None => quote!(#root::__private::always),
    };
    // A predicate of the wrong type is reported at the predicate.
    let span = options
        .cache_if
        .as_ref()
        .map_or_else(Span::call_site, Spanned::span);
    let (split, wrap) = if func.returns_result {
        (
            quote_spanned!(span=> #root::__private::Computed::result),
            quote!(::core::result::Result::Ok),
        )
    } else {
        (
            quote_spanned!(span=> #root::__private::Computed::value),
            quote!(#root::__private::identity),
        )
    };
    let ttl_of = match &options.ttl_of {
        Some(ttl_of) => {
            quote_spanned!(ttl_of.span()=> #root::__private::ttl_fn::<#value, _>(#ttl_of))
        }
        None => quote!(#root::__private::NoTtl),
    };
    let output = &shape.output;
    let r = common::local("__memo_r");
    // A `store` is for free functions only.
    let store = if options.store.is_some() && shape.plan.scope == Scope::Free {
        let name = func.name();
        let (k, v, ttl) = (
            common::local("__memo_k"),
            common::local("__memo_v"),
            common::local("__memo_ttl"),
        );
        quote! {
            #root::__private::Tier {
                get: |#k| #name::__memo_store().get(#k),
                put: |#k, #v, #ttl| #name::__memo_store().put(#k, #v, #ttl),
                get_async: |#k| ::std::boxed::Box::pin(#name::__memo_store().get_async(#k)),
                put_async: |#k, #v, #ttl| {
                    #name::__memo_store().put_queued(#k, #v, #ttl);
                },
            }
        }
    } else {
        quote!(#root::__private::NoStore)
    };
    quote! {
        #root::__private::Rules {
            split: |#r: #output| #split(#r, #keep),
            wrap: #wrap,
            ttl_of: #ttl_of,
            store: #store,
        }
    }
}

// Input:  #[memoize(store = disk, version = 2)] fn f(n: u64, s: &str) -> R
// Output: static __MEMO_STORE: Persisted = Persisted::new(
//             Prefix::new(concat!(module_path!(), "::f"), "u64, & str -> R", 2),
//             || ::memo::__store_disk!(),
//         );
fn store_static(shape: &Shape) -> Option<TokenStream> {
    let Shape {
        root,
        options,
        func,
        output,
        ..
    } = shape;
    let (store, _) = options.store.as_ref()?;
    let name = func.name();
    let backend = match store {
        Store::Disk => quote!(#root::__store_disk!()),
        Store::Redis => quote!(#root::__store_redis!()),
        Store::User(path) => {
            quote_spanned!(path.span()=> ::core::result::Result::Ok(#path()))
        }
    };
    let types = func.params.iter().map(|p| &p.ty);
    let signature = quote!(#(#types),* -> #output).to_string();
    let version = options.version.unwrap_or(0);
    Some(quote! {
        #root::__store_feature!();
        static __MEMO_STORE: #root::__private::persist::Persisted =
            #root::__private::persist::Persisted::new(
                #root::__private::persist::Prefix::new(
                    ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                    #signature,
                    #version,
                ),
                || #backend,
            );
    })
}

// Input:  fn f<T>(x: T, s: &str) -> R   (a free function)
// Output: enum f {}
//         impl f {
//             fn __memo_state() -> &'static Function { static __MEMO; inventory::submit!; &__MEMO }
//             pub fn stats() -> Stats;  pub fn clear();
//         }
//         impl f where R: Clone + .. {     (the key and value bounds that are `where` clauses, if any)
//             fn __memo_local() -> &'static LocalKey<Local<(T, String), R>> { thread_local!; &__MEMO_LOCAL }
//             pub fn get<T>(x: T, s: &str) -> Option<R>;  pub fn insert<T>(x: T, s: &str, value: R);
//             pub fn remove<T>(x: T, s: &str) -> Option<R>;  pub fn traced<T>(x: T, s: &str) -> (R, Source);
//         }
fn companion(shape: &Shape, info: &InfoFields) -> TokenStream {
    let Shape { root, func, .. } = shape;
    let name = func.name();
    let state_items = common::companion_state(root, name, info);
    let state = common::state_ident();
    let local = Ident::new("__MEMO_LOCAL", Span::call_site());
    let local_type = if shape.erased {
        quote!(#root::__private::ErasedLocal)
    } else {
        let key = key_tuple(shape);
        let value = &shape.value;
        quote!(#root::__private::Local<#key, #value>)
    };
    let local_init = if shape.erased {
        quote!(#root::__private::ErasedLocal::new(#name::__memo_state()))
    } else {
        quote!(#root::__private::Local::new(#name::__memo_state()))
    };
    let one_key = one_key(shape);
    let traced = traced(shape);
    let statics = match store_static(shape) {
        Some(store) => quote! {
            #[doc(hidden)]
            #[inline(always)]
            fn __memo_statics() -> (
                &'static #root::__private::Function,
                &'static #root::__private::persist::Persisted,
            ) {
                #store
                #state_items
                (&#state, &__MEMO_STORE)
            }
            #[doc(hidden)]
            #[inline(always)]
            fn __memo_state() -> &'static #root::__private::Function {
                #name::__memo_statics().0
            }
            #[doc(hidden)]
            #[inline(always)]
            fn __memo_store() -> &'static #root::__private::persist::Persisted {
                #name::__memo_statics().1
            }
        },
        None => quote! {
            #[doc(hidden)]
            #[inline(always)]
            fn __memo_state() -> &'static #root::__private::Function {
                #state_items
                &#state
            }
        },
    };
    let vis = &func.item.vis;
    let doc = format!("Counters and controls of [`{name}()`](fn@{name}), generated by `memo`.");
    let unbounded = quote! {
        #statics
        /// A snapshot of the function's counters (of a generic function:
        /// the sum over its instantiations, each of which also has a row
        /// of its own in `memo::report()`).
        #[must_use]
        pub fn stats() -> #root::Stats {
            #name::__memo_state().stats()
        }
        /// Drops every stored entry and zeroes the counters.
        pub fn clear() {
            #name::__memo_state().clear();
        }
    };
    let bounded = quote! {
        #[doc(hidden)]
        #[inline(always)]
        fn __memo_local() -> &'static #root::__private::LocalKey<#local_type> {
            #root::__private::thread_local! {
                static #local: #local_type = #local_init;
            }
            &#local
        }
        #one_key
        #traced
    };
    // The key and value bounds, as `where` clauses, hold only for what needs
    // them: the thread-local's initializer, outside the clauses, reaches the state.
    let where_clauses = where_clauses(shape);
    let impls = if where_clauses.is_empty() {
        quote! {
            #[allow(dead_code)]
            impl #name {
                #unbounded
                #bounded
            }
        }
    } else {
        quote! {
            #[allow(dead_code)]
            impl #name {
                #unbounded
            }
            #[allow(dead_code)]
            impl #name where #(#where_clauses,)* {
                #bounded
            }
        }
    };
    quote! {
        #[doc = #doc]
        #[allow(non_camel_case_types, clippy::empty_enum)]
        #vis enum #name {}
        #impls
    }
}

// Input:  fn f(n: u64, s: &str) -> R        (or `key = EXPR`: the key's type, generic)
// Output: pub fn get(n: u64, s: &str) -> Option<R>;  pub fn insert(n: u64, s: &str, value: R);
//         pub fn remove(n: u64, s: &str) -> Option<R>
fn one_key(shape: &Shape) -> TokenStream {
    let Shape {
        root,
        func,
        value: output,
        instance,
        options,
        ..
    } = shape;
    let name = func.name();
    let generics = &func.item.sig.generics;
    let where_clause = &generics.where_clause;
    let mut params: Vec<GenericParam> = generics.params.iter().cloned().collect();
    let (args, query) = if let Key::Expr(expr) = shape.plan.key {
        // A key made of parameters has their types; any other expression's
        // type cannot be named, so the companion takes any key type.
        let key_type = match key_type(expr, func) {
            Some(ty) => ty,
            None => {
                let ident = Ident::new("__MemoKey", Span::mixed_site());
                params.push(syn::parse_quote!(
                    #ident: ::core::hash::Hash + ::core::cmp::Eq + ::core::clone::Clone
                        + ::core::marker::Send + ::core::marker::Sync + 'static
                ));
                quote!(#ident)
            }
        };
        let key = Ident::new("key", Span::call_site());
        (
            vec![quote!(#key: #key_type)],
            quote!(#root::__private::Owned(#key)),
        )
    } else {
        let args = func
            .params
            .iter()
            .map(|p| {
                let (name, ty) = (&p.name, &p.ty);
                quote!(#name: #ty)
            })
            .collect();
        (args, query(shape))
    };
    let value = if func.params.iter().any(|p| p.name == "value") {
        Ident::new("__memo_value", Span::call_site())
    } else {
        Ident::new("value", Span::call_site())
    };
    let generics = quote!(<#(#params),*>);
    let local = quote!(#name::__memo_local());
    let rules = rules(shape);
    let query_var = common::local("__memo_query");
    let removed = common::local("__memo_removed");
    let store_remove = if options.store.is_some() {
        quote! {
            #name::__memo_store().remove(&#root::__private::Lookup::into_key(#query_var));
        }
    } else {
        TokenStream::new()
    };
    quote! {
        /// The cached value for these arguments, if there is one: runs
        /// nothing and counts nothing.
        #[must_use]
        #[allow(clippy::needless_pass_by_value)]
        pub fn get #generics (#(#args),*) -> ::core::option::Option<#output> #where_clause {
            let #query_var = #query;
            #root::__private::get(#local, #instance, &#query_var)
        }
        /// Stores `value` as the result for these arguments, as if a call had
        /// computed it.
        #[allow(clippy::needless_pass_by_value)]
        pub fn insert #generics (#(#args,)* #value: #output) #where_clause {
            let #query_var = #query;
            #root::__private::insert(
                #local,
                #instance,
                #root::__private::Lookup::into_key(#query_var),
                #value,
                #rules,
            );
        }
        /// Drops the entry for these arguments in every thread's view (no
        /// thread is served it once this returns) and returns its value.
        #[allow(clippy::needless_pass_by_value, clippy::must_use_candidate)]
        pub fn remove #generics (#(#args),*) -> ::core::option::Option<#output> #where_clause {
            let #query_var = #query;
            let #removed = #root::__private::remove(#local, #instance, &#query_var);
            #store_remove
            #removed
        }
    }
}

// Input:  fn f<T>(x: T, s: &str) -> R     (not `async`, no `key = EXPR`)
// Output: pub fn traced<T>(x: T, s: &str) -> (R, Source) { traced::<_, V, _, _>(local, instance, || f(x, s)) }
fn traced(shape: &Shape) -> TokenStream {
    let Shape {
        root,
        func,
        output,
        value,
        instance,
        plan,
        ..
    } = shape;
    if func.item.sig.asyncness.is_some() || matches!(plan.key, Key::Expr(_)) {
        return TokenStream::new();
    }
    let name = func.name();
    let key = key_tuple(shape);
    let generics = &func.item.sig.generics;
    let where_clause = &generics.where_clause;
    let params = &generics.params;
    // Parameters named apart from the function (`fn total(total: u64)`).
    let names: Vec<Ident> = func
        .params
        .iter()
        .map(|p| Ident::new(&p.name.to_string(), Span::mixed_site()))
        .collect();
    let args = names.iter().zip(&func.params).map(|(name, p)| {
        let ty = &p.ty;
        quote!(#name: #ty)
    });
    let turbofish = {
        let types: Vec<&Ident> = type_params(func).collect();
        if types.is_empty() {
            TokenStream::new()
        } else {
            quote!(::<#(#types),*>)
        }
    };
    quote! {
        /// Calls the function and tells where its value came from: the
        /// cache, a wait on another caller, or the body.
        #[allow(clippy::needless_pass_by_value)]
        pub fn traced <#params> (#(#args),*) -> (#output, #root::Source) #where_clause {
            #root::__private::traced::<#key, #value, _, _>(
                #name::__memo_local(),
                #instance,
                || #name #turbofish (#(#names),*),
            )
        }
    }
}

/// The key type of a function keyed by its parameters: `(u64, String)` for
/// `(n: u64, s: &str)`.
fn key_tuple(shape: &Shape) -> TokenStream {
    let root = &shape.root;
    let types = shape.func.params.iter().map(|p| match &p.pass {
        Pass::Owned => {
            let ty = &p.ty;
            quote!(#ty)
        }
        Pass::Borrowed(referent) => {
            quote!(<#referent as #root::__private::ToOwned>::Owned)
        }
    });
    quote!((#(#types,)*))
}

/// The type of a `key` expression made of owned parameters (`id`, `(a, b)`).
fn key_type(expr: &syn::Expr, func: &Func) -> Option<TokenStream> {
    match expr {
        syn::Expr::Paren(inner) => key_type(&inner.expr, func),
        syn::Expr::Tuple(tuple) => {
            let types = tuple
                .elems
                .iter()
                .map(|e| key_type(e, func))
                .collect::<Option<Vec<_>>>()?;
            Some(quote!((#(#types,)*)))
        }
        syn::Expr::Path(path) if path.qself.is_none() => {
            let ident = path.path.get_ident()?;
            let param = func.params.iter().find(|p| p.name == *ident)?;
            match param.pass {
                Pass::Owned => {
                    let ty = &param.ty;
                    Some(quote!(#ty))
                }
                Pass::Borrowed(_) => None,
            }
        }
        _ => None,
    }
}

/// The function's type parameters (not its lifetimes).
fn type_params(func: &Func) -> impl Iterator<Item = &Ident> {
    func.item
        .sig
        .generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Type(t) => Some(&t.ident),
            _ => None,
        })
}

// Input:  fn f<T, U>(..)  /  fn m(&self, ..) in an impl  /  fn f(..)
// Output: Instance { types: TypeId::of::<(T, U,)>(), self_type: "", args: type_name::<(T, U,)>() }
//         Instance { types: TypeId::of::<()>(), self_type: type_name::<Self>(), args: "" }
//         Instance::plain()
fn instance(root: &TokenStream, plan: &Memoize) -> TokenStream {
    let types: Vec<&Ident> = type_params(plan.func).collect();
    let in_impl = plan.scope == Scope::Impl;
    if types.is_empty() && !in_impl {
        return quote!(#root::__private::Instance::plain());
    }
    let self_type = if in_impl {
        quote!(#root::__private::type_name::<Self>())
    } else {
        quote!("")
    };
    let args = if types.is_empty() {
        quote!("")
    } else {
        quote!(#root::__private::type_name::<(#(#types,)*)>())
    };
    quote! {
        #root::__private::Instance {
            types: #root::__private::TypeId::of::<(#(#types,)*)>(),
            self_type: #self_type,
            args: #args,
        }
    }
}

struct Observed {
    types: TokenStream,
    values: Vec<TokenStream>,
}

// Input:  fn f(rule: u32, on: bool)   (every parameter an integer or `bool`)
// Output: types `&["u32", "bool"]`, values `[Observe::observe(&rule), Observe::observe(&on)]`
//         for the report's observed domain; nothing for other functions.
fn observed_domain(shape: &Shape) -> Observed {
    let Shape {
        root, plan, func, ..
    } = shape;
    let types: Option<Vec<&str>> = func.params.iter().map(|p| small_integer(&p.ty)).collect();
    match types {
        Some(types)
            if !types.is_empty() && matches!(plan.key, Key::Params) && func.receiver.is_none() =>
        {
            Observed {
                types: quote!(&[#(#types),*]),
                values: func
                    .params
                    .iter()
                    .map(|p| {
                        let name = &p.name;
                        quote!(#root::__private::Observe::observe(&#name))
                    })
                    .collect(),
            }
        }
        _ => Observed {
            types: quote!(&[]),
            values: Vec::new(),
        },
    }
}

// Input:  &self, n: u64, s: &str          (or `key = EXPR`)
// Output: (self, &n, s,)                   (or `Owned(EXPR)`)
fn query(shape: &Shape) -> TokenStream {
    let Shape {
        root, plan, func, ..
    } = shape;
    if let Key::Expr(key) = plan.key {
        return quote_spanned!(key.span()=> #root::__private::Owned(#key));
    }
    let receiver = func.receiver.as_ref().map(|r| {
        if r.by_ref {
            quote!(self,)
        } else {
            quote!(&self,)
        }
    });
    let params = func.params.iter().map(|p| {
        let name = &p.name;
        match p.pass {
            Pass::Owned => quote!(&#name),
            Pass::Borrowed(_) => quote!(#name),
        }
    });
    quote!((#receiver #(#params,)*))
}

// Input:  n: Foo, s: &Bar -> R
// Output: assert_key::<Foo>(); assert_key::<Bar>(); assert_value::<R>();
//         each spanned at the type, so "`Foo: Hash` is not satisfied" points there.
fn bound_checks(shape: &Shape) -> TokenStream {
    let Shape {
        root,
        options,
        func,
        plan,
        ..
    } = shape;
    let mut checks = TokenStream::new();
    for Bound { ty, need, .. } in plan.bounds.iter().filter(|bound| !bound.as_where) {
        checks.extend(match need {
            Need::Key | Need::BorrowedKey => {
                quote_spanned!(ty.span()=> #root::__private::assert_key::<#ty>();)
            }
            Need::Value => quote_spanned!(ty.span()=> #root::__private::assert_value::<#ty>();),
        });
    }
    if let (Some(value), Some(_)) = (
        func.ok_type.as_ref().or(func.output.as_ref()),
        &options.store,
    ) {
        checks.extend(quote_spanned!(value.span()=> #root::__private::assert_stored::<#value>();));
    }
    if options.store.is_some() && matches!(plan.key, Key::Params) {
        for param in &func.params {
            let ty = match &param.pass {
                Pass::Owned => param.ty.to_token_stream(),
                Pass::Borrowed(referent) => {
                    quote_spanned!(referent.span()=> <#referent as #root::__private::ToOwned>::Owned)
                }
            };
            checks.extend(
                quote_spanned!(param.ty.span()=> #root::__private::assert_stored::<#ty>();),
            );
        }
    }
    checks
}
