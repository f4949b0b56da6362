//! `#[memoize]`: probe the cache with the borrowed arguments; on a miss, run the
//! body (as a closure, so `return` and `?` keep their meaning) and store the result.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::common::{self, InfoFields};
use crate::model::{small_integer, Func, Pass};
use crate::options::Options;

// Input:  fn f(n: u64, s: &str) -> R { body }
// Output: fn f(n: u64, s: &str) -> R {
//             thread_local! { static __MEMO_LOCAL: Local<(u64, <str as ToOwned>::Owned), R> = Local::new(&f::__MEMO); }
//             let query = (&n, s);
//             let miss = match lookup(&__MEMO_LOCAL, "", &query) { Ok(v) => return v, Err(m) => m };
//             fill(&__MEMO_LOCAL, "", miss, query.into_key(), &[observed], move || -> R { body }, always)
//         }
//         mod f { static __MEMO; fn stats(); fn clear() }
pub(crate) fn expand(options: &Options, func: &Func) -> TokenStream {
    let root = common::root(options);
    let observed = observed_domain(&root, options, func);
    let info = InfoFields {
        capacity: options.capacity,
        lru: options.lru,
        ttl_ms: options.ttl,
        thread_local: options.thread_local,
        params: observed.types,
        ..InfoFields::plain(quote!(Memoize))
    };
    let observed_values = observed.values;
    let site = common::site(options, func, &info, &TokenStream::new());
    let state = &site.state;
    let local = common::thread_local_ident("LOCAL");
    let output = func
        .output
        .as_ref()
        .map_or_else(|| quote!(()), |ty| quote!(#ty));
    let query = query(&root, options, func);
    // Key types the macro can name go in a typed thread-local; `Self` and the
    // type of a `key` expression cannot be named in a `static`, so those use
    // an erased one, typed on first use.
    let local_decl = if func.in_impl() || options.key.is_some() {
        quote! {
            #root::__private::thread_local! {
                static #local: #root::__private::ErasedLocal = #root::__private::ErasedLocal::new(&#state);
            }
        }
    } else {
        let key_types = func.params.iter().map(|p| match &p.pass {
            Pass::Owned => {
                let ty = &p.ty;
                quote!(#ty)
            }
            Pass::Borrowed(referent) => {
                quote!(<#referent as #root::__private::ToOwned>::Owned)
            }
        });
        quote! {
            #root::__private::thread_local! {
                static #local: #root::__private::Local<(#(#key_types,)*), #output> = #root::__private::Local::new(&#state);
            }
        }
    };
    let asserts = bound_checks(&root, options, func);
    let cacheable = if func.returns_result {
        quote!(#root::__private::is_ok)
    } else {
        quote!(#root::__private::always)
    };
    // A method's `Self` may be any type of a generic `impl`: its name picks
    // the instantiation's own cache and report row.
    let self_name = if func.in_impl() {
        quote!(#root::__private::type_name::<Self>())
    } else {
        quote!("")
    };
    let miss = common::local("__memo_miss");
    let query_var = common::local("__memo_query");
    let value = common::local("__memo_value");
    let block = &func.item.block;
    site.emit(
        func,
        quote! {
            #local_decl
            #asserts
            let #query_var = #query;
            let #miss = match #root::__private::lookup(&#local, #self_name, &#query_var) {
                ::core::result::Result::Ok(#value) => return #value,
                ::core::result::Result::Err(#miss) => #miss,
            };
            #root::__private::fill(
                &#local,
                #self_name,
                #miss,
                #root::__private::Lookup::into_key(#query_var),
                &[#(#observed_values),*],
                move || -> #output #block,
                #cacheable,
            )
        },
    )
}

struct Observed {
    types: TokenStream,
    values: Vec<TokenStream>,
}

// Input:  fn f(rule: u32, on: bool)   (every parameter an integer or `bool`)
// Output: types `&["u32", "bool"]`, values `[Observe::observe(&rule), Observe::observe(&on)]`
//         for the report's observed domain; nothing for other functions.
fn observed_domain(root: &TokenStream, options: &Options, func: &Func) -> Observed {
    let types: Option<Vec<&str>> = func.params.iter().map(|p| small_integer(&p.ty)).collect();
    match types {
        Some(types) if !types.is_empty() && options.key.is_none() && func.receiver.is_none() => {
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
fn query(root: &TokenStream, options: &Options, func: &Func) -> TokenStream {
    if let Some(key) = &options.key {
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
fn bound_checks(root: &TokenStream, options: &Options, func: &Func) -> TokenStream {
    let mut checks = TokenStream::new();
    if options.key.is_none() {
        for param in &func.params {
            let ty = match &param.pass {
                Pass::Owned => &param.ty,
                Pass::Borrowed(referent) => referent,
            };
            checks.extend(quote_spanned!(ty.span()=> #root::__private::assert_key::<#ty>();));
        }
    }
    if let Some(output) = &func.output {
        checks.extend(quote_spanned!(output.span()=> #root::__private::assert_value::<#output>();));
    }
    checks
}
