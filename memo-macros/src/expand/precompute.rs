//! `#[precompute]`: every result over a small integer domain in one flat,
//! row-major table. A call in the domain costs one unsigned compare per
//! argument, one load and a per-thread counter bump; any other call runs the
//! body. A `const fn`'s table is a `static` filled at compile time; any other
//! fn's is built once, on the first call or on `f::init()`.
//!
//! The body moves to a hidden sibling, `__memo_f`, so that it keeps its
//! meaning (`return`, recursion through `f`, the names of the function's
//! module) and the companion module can build the table from it.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Ident, Pat, Type};

use super::common::{self, InfoFields};
use crate::domain::{self, Bounds, Dim, Domain, Key};
use crate::errors::Errors;
use crate::model::Func;
use crate::options::Options;

// Input:  #[precompute(domain = (0..N, _))] fn f(a: u32, b: bool) -> R { body }
// Output: fn f(a: u32, b: bool) -> R { look `(a, b)` up in f's table, or run __memo_f }
//         fn __memo_f(a: u32, b: bool) -> R { body }
//         mod f { __MEMO; stats(); clear(); the domain's consts; the table; init() }
pub(crate) fn expand(options: &Options, func: &Func, errors: &mut Errors) -> TokenStream {
    let read = domain::read(options.domain.as_ref(), options.max_entries, func, errors);
    let (Some(domain), Some(output)) = (read, &func.output) else {
        return TokenStream::new();
    };
    let constant = func.item.sig.constness.is_some();
    if constant {
        if let Some(call) = recursive_call(func) {
            errors.at(
                call,
                "a `const fn` under `#[precompute]` cannot call itself: its table is built before the function exists; \
                 remove `const` to build the table at run time",
            );
            return TokenStream::new();
        }
    }
    let root = common::root(options);
    let companion_root = common::companion_root(options);
    let body = body_ident(func);
    // The domain's bounds and the return type are written in the function's
    // module, one level up.
    let assert_output = quote_spanned!(output.span()=>
        const _: fn() = #companion_root::__private::assert_table_value::<#output>;
    );
    let mut extra = quote! {
        #[allow(unused_imports, clippy::wildcard_imports)]
        use super::*;
        #assert_output
    };
    extra.extend(consts(&domain, func));
    extra.extend(table(
        &companion_root,
        &domain,
        func,
        output,
        &body,
        constant,
    ));
    extra.extend(quote! {
        #[doc(hidden)]
        pub(super) static __MEMO_TOUCHED: #companion_root::__private::Touched<{ __MEMO_LEN.div_ceil(64) }> =
            #companion_root::__private::Touched::new();
    });
    let info = InfoFields {
        entries: quote!(__MEMO_LEN),
        touched: quote!(::core::option::Option::Some(&__MEMO_TOUCHED)),
        ..InfoFields::plain(quote!(Precompute))
    };
    let site = common::site(options, func, &info, &extra);
    let outer = outer_fn(&root, options, &domain, func, &site.state);
    let inner = body_fn(func, &body);
    let companion = &site.companion;
    quote! {
        #outer
        #inner
        #companion
    }
}

/// `__memo_f` for `f`.
fn body_ident(func: &Func) -> Ident {
    format_ident!("__memo_{}", func.name().unraw())
}

/// A parameter's name as generated code refers to it.
fn param_ident(dim: &Dim) -> Ident {
    let mut ident = dim.param.name.clone();
    ident.set_span(Span::call_site());
    ident
}

/// A name numbered by parameter: `__MEMO_START_0`.
fn nth(what: &str, k: usize) -> Ident {
    format_ident!("__MEMO_{}_{}", what, k)
}

fn primitive(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// `u32`, `bool`: a parameter's type as generated code names it.
fn key_type(key: Key) -> Ident {
    match key {
        Key::Bool => primitive("bool"),
        Key::Int { name, .. } => primitive(name),
    }
}

// Input:  domain = (0..N, _) over (a: u32, b: bool)
// Output: const __MEMO_START_0: u32 = 0;  const __MEMO_END_0: u32 = N;
//         const __MEMO_SIZE_0: u128 = { assert!(non-empty); END - START };  const __MEMO_SIZE_1: u128 = 2;
//         const __MEMO_STRIDE_0: usize = SIZE_1;  const __MEMO_STRIDE_1: usize = 1;
//         const __MEMO_LEN: usize = { assert!(SIZE_0 * SIZE_1 <= limit); .. };
//         const fn __memo_args(index: usize) -> (u32, bool) { (START_0 + index / STRIDE_0 % SIZE_0, ..) }
fn consts(domain: &Domain, func: &Func) -> TokenStream {
    let hidden = quote!(#[doc(hidden)] pub(super));
    let mut out = TokenStream::new();
    let name = func.name();
    for (k, dim) in domain.dims.iter().enumerate() {
        let (start, end, size) = (nth("START", k), nth("END", k), nth("SIZE", k));
        let Key::Int { name: ty, .. } = dim.key else {
            out.extend(quote!(#hidden const #size: u128 = 2;));
            continue;
        };
        let ty = primitive(ty);
        let (first, last, inclusive) = match &dim.bounds {
            Bounds::Whole => (quote!(#ty::MIN), quote!(#ty::MAX), true),
            Bounds::Range {
                start,
                end,
                inclusive,
            } => (quote!(#start), quote!(#end), *inclusive),
        };
        let message = format!(
            "`#[precompute]`: the range `{}` of `{}` in `{name}` is empty; give it at least one value",
            dim.written, dim.param.name
        )
        .replace('{', "{{")
        .replace('}', "}}");
        let (nonempty, count) = if inclusive {
            (
                quote!(#end >= #start),
                quote!((#end.abs_diff(#start) as u128).saturating_add(1)),
            )
        } else {
            (quote!(#end > #start), quote!(#end.abs_diff(#start) as u128))
        };
        let assert = quote_spanned!(dim.entry.span()=> ::core::assert!(#nonempty, #message););
        out.extend(quote! {
            #hidden const #start: #ty = #first;
            #hidden const #end: #ty = #last;
            #hidden const #size: u128 = {
                #assert
                #count
            };
        });
    }
    let sizes: Vec<Ident> = (0..domain.dims.len()).map(|k| nth("SIZE", k)).collect();
    for k in 0..domain.dims.len() {
        let stride = nth("STRIDE", k);
        let later = &sizes[k + 1..];
        let value = match later {
            [] => quote!(1),
            [first, rest @ ..] => quote!(#first #(.saturating_mul(#rest))* as usize),
        };
        out.extend(quote!(#hidden const #stride: usize = #value;));
    }
    let Some((first_size, other_sizes)) = sizes.split_first() else {
        return out;
    };
    let limit = u128::from(domain.limit);
    let message = format!(
        "`#[precompute]`: the domain of `{name}` has more than {} entries; use `#[memoize]` to cache \
         only the arguments that occur, or raise the limit with `max_entries = N`",
        domain::grouped(limit)
    );
    let assert = quote_spanned!(domain.expr.span()=>
        ::core::assert!(__MEMO_ENTRIES <= #limit && __MEMO_ENTRIES <= usize::MAX as u128, #message);
    );
    out.extend(quote! {
        const __MEMO_ENTRIES: u128 = #first_size #(.saturating_mul(#other_sizes))*;
        #hidden const __MEMO_LEN: usize = {
            #assert
            __MEMO_ENTRIES as usize
        };
    });
    let types = domain.dims.iter().map(|dim| key_type(dim.key));
    let values = domain.dims.iter().enumerate().map(|(k, dim)| {
        let (start, size, stride) = (nth("START", k), nth("SIZE", k), nth("STRIDE", k));
        match dim.key {
            Key::Bool => quote!((index / #stride) % 2 != 0),
            Key::Int { name, .. } => {
                let ty = primitive(name);
                quote!(#start.wrapping_add(((index / #stride) % (#size as usize)) as #ty))
            }
        }
    });
    out.extend(quote! {
        /// The arguments of the table's cell `index`.
        #hidden const fn __memo_args(index: usize) -> (#(#types,)*) {
            (#(#values,)*)
        }
    });
    out
}

// Input:  fn f(a: u32, b: bool) -> R, `const` or not
// Output: fn __memo_cell(index: usize) -> R { let (a, b) = __memo_args(index); super::__memo_f(a, b) }
//         thread_local! { static __MEMO_COUNTS: ThreadSlot = const { ThreadSlot::new() }; }
//         #[cold] fn __memo_miss(a: u32, b: bool) -> R { count(&__MEMO_COUNTS); super::__memo_f(a, b) }
//         const:     static __MEMO_TABLE: [R; __MEMO_LEN] = { every cell, by const evaluation };
//         otherwise: static __MEMO_TABLE: Table<R, __MEMO_LEN> = Table::new();   (built by the first call or init())
//         fn __memo_lookup(index: usize) -> Option<R> { a clone of the cell };  pub fn init()
fn table(
    root: &TokenStream,
    domain: &Domain,
    func: &Func,
    output: &Type,
    body: &Ident,
    constant: bool,
) -> TokenStream {
    let params: Vec<Ident> = domain.dims.iter().map(param_ident).collect();
    let types = domain.dims.iter().map(|dim| key_type(dim.key));
    let constness = constant.then(|| quote!(const));
    let counts = common::thread_local_ident("COUNTS");
    let timer = common::local("__memo_timer");
    let counts_decl = common::counts_decl(root, &quote!(pub(super)));
    let cell = quote! {
        #[doc(hidden)]
        #constness fn __memo_cell(index: usize) -> #output {
            let (#(#params,)*) = __memo_args(index);
            super::#body(#(#params),*)
        }
        #counts_decl
        /// A call the table does not answer: out of the domain, or while this
        /// thread builds the table. Out of line, so that the lookup inlines.
        #[doc(hidden)]
        #[cold]
        #[inline(never)]
        pub(super) fn __memo_miss(#(#params: #types),*) -> #output {
            let #timer = #root::__private::count(&#counts, &__MEMO, || ::core::option::Option::None);
            super::#body(#(#params),*)
        }
    };
    let name = func.name();
    // Spanned at the return type, where "`R` cannot be shared between threads"
    // and "`R: Clone` is not satisfied" belong.
    let span = output.span();
    let spanned_root = respan(root, span);
    let table_static = quote_spanned!(span=>
        #[doc(hidden)]
        static __MEMO_TABLE: #spanned_root::__private::Table<#output, { __MEMO_LEN }> = #spanned_root::__private::Table::new();
    );
    let get = quote_spanned!(span=> __MEMO_TABLE.get(index, __memo_cell));
    let items = if constant {
        let doc = format!(
            "Does nothing: the table of [`{name}()`](fn@super::{name}) was built at compile time."
        );
        quote! {
            #[doc(hidden)]
            #[allow(long_running_const_eval)]
            static __MEMO_TABLE: [#output; __MEMO_LEN] = {
                const __MEMO_FIRST: #output = __memo_cell(0);
                let mut table = [__MEMO_FIRST; __MEMO_LEN];
                let mut index = 1;
                while index < __MEMO_LEN {
                    table[index] = __memo_cell(index);
                    index += 1;
                }
                table
            };
            #[doc(hidden)]
            #[inline]
            pub(super) fn __memo_lookup(index: usize) -> ::core::option::Option<#output> {
                ::core::option::Option::map(
                    __MEMO_TABLE.get(index),
                    <#output as ::core::clone::Clone>::clone,
                )
            }
            #[doc = #doc]
            #[inline]
            pub fn init() {}
        }
    } else {
        let doc = format!(
            "Builds the table of [`{name}()`](fn@super::{name}) now, if no call has built it yet; \
             other threads that need it meanwhile wait."
        );
        quote! {
            #table_static
            #[doc(hidden)]
            #[inline]
            pub(super) fn __memo_lookup(index: usize) -> ::core::option::Option<#output> {
                #get
            }
            #[doc = #doc]
            pub fn init() {
                __MEMO_TABLE.init(__memo_cell);
            }
        }
    };
    quote! {
        #cell
        #items
    }
}

// Input:  fn f(a: u32, b: bool) -> R { body }
// Output: fn f(a: u32, b: bool) -> R {
//             let o0 = a.wrapping_sub(f::__MEMO_START_0) as u32;  let o1 = b as usize;
//             (strict: if o0 as u128 >= f::__MEMO_SIZE_0 { out_of_domain(..) })
//             if (o0 as u128) < f::__MEMO_SIZE_0 {
//                 let index = o0 as usize * f::__MEMO_STRIDE_0 + o1;
//                 if let Some(value) = f::__memo_lookup(index) { count_hit(&f::__MEMO_COUNTS, &f::__MEMO, &f::__MEMO_TOUCHED, index); return value }
//             }
//             f::__memo_miss(a, b)
//         }
fn outer_fn(
    root: &TokenStream,
    options: &Options,
    domain: &Domain,
    func: &Func,
    state: &TokenStream,
) -> TokenStream {
    let name = func.name();
    let offsets: Vec<Ident> = (0..domain.dims.len())
        .map(|k| common::local(&format!("__memo_{k}")))
        .collect();
    let mut lets = TokenStream::new();
    let mut in_domain = Vec::new();
    let mut strict = TokenStream::new();
    let mut index = Vec::new();
    for (k, (dim, offset)) in domain.dims.iter().zip(&offsets).enumerate() {
        let param = param_ident(dim);
        let (start, end, size, stride) = (
            nth("START", k),
            nth("END", k),
            nth("SIZE", k),
            nth("STRIDE", k),
        );
        index.push(if k + 1 == domain.dims.len() {
            quote!(#offset as usize)
        } else {
            quote!(#offset as usize * #name::#stride)
        });
        let Key::Int { unsigned, .. } = dim.key else {
            lets.extend(quote!(let #offset = #param as usize;));
            continue;
        };
        let unsigned = primitive(unsigned);
        lets.extend(quote!(let #offset = #param.wrapping_sub(#name::#start) as #unsigned;));
        if matches!(dim.bounds, Bounds::Whole) {
            continue;
        }
        in_domain.push(quote!((#offset as u128) < #name::#size));
        if options.strict {
            let param_name = dim.param.name.to_string();
            let written = &dim.written;
            let range = match &dim.bounds {
                Bounds::Range {
                    inclusive: true, ..
                } => "{}..={}",
                _ => "{}..{}",
            };
            strict.extend(quote! {
                if (#offset as u128) >= #name::#size {
                    #root::__private::out_of_domain(
                        &#state,
                        #param_name,
                        &#param,
                        #written,
                        ::core::format_args!(#range, #name::#start, #name::#end),
                    );
                }
            });
        }
    }
    let params = domain.dims.iter().map(param_ident);
    let value = common::local("__memo_value");
    let index_var = common::local("__memo_index");
    let lookup = quote! {
        let #index_var = #(#index)+*;
        if let ::core::option::Option::Some(#value) = #name::__memo_lookup(#index_var) {
            #root::__private::count_hit(&#name::__MEMO_COUNTS, &#name::__MEMO, &#name::__MEMO_TOUCHED, #index_var);
            return #value;
        }
    };
    let lookup = if in_domain.is_empty() {
        lookup
    } else {
        quote!(if #(#in_domain)&&* { #lookup })
    };
    let attrs = func
        .item
        .attrs
        .iter()
        .filter(|attr| !is_lint(attr, &["expect"]));
    let vis = &func.item.vis;
    let sig = outer_sig(func);
    quote! {
        #(#attrs)*
        #vis #sig {
            #lets
            #strict
            #lookup
            #name::__memo_miss(#(#params),*)
        }
    }
}

/// The user's signature, minus `const` (the function counts its calls in a
/// thread-local) and minus `mut` on the parameters (the body has its own copy).
fn outer_sig(func: &Func) -> syn::Signature {
    let mut sig = func.item.sig.clone();
    sig.constness = None;
    for input in &mut sig.inputs {
        if let FnArg::Typed(arg) = input {
            if let Pat::Ident(pat) = &mut *arg.pat {
                pat.mutability = None;
                pat.by_ref = None;
            }
        }
    }
    sig
}

// Input:  #[allow(x)] #[expect(y)] /// doc
//         fn f(mut a: u32) -> R { body }
// Output: #[doc(hidden)] #[allow(x)] #[expect(y)]
//         fn __memo_f(mut a: u32) -> R { body }
fn body_fn(func: &Func, body: &Ident) -> TokenStream {
    let attrs = func
        .item
        .attrs
        .iter()
        .filter(|attr| is_lint(attr, &["allow", "warn", "deny", "forbid", "expect"]));
    let mut sig = func.item.sig.clone();
    sig.ident = body.clone();
    let block = &func.item.block;
    quote! {
        #[doc(hidden)]
        #(#attrs)*
        #sig #block
    }
}

/// `tokens`, every one at `span`.
fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut tree| {
            if let TokenTree::Group(group) = &tree {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(&group.stream(), span));
                inner.set_span(span);
                tree = TokenTree::Group(inner);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}

fn is_lint(attr: &Attribute, levels: &[&str]) -> bool {
    attr.path()
        .get_ident()
        .is_some_and(|ident| levels.iter().any(|level| ident == level))
}

/// A call of the function by its own name in its body: `f(` .
fn recursive_call(func: &Func) -> Option<Ident> {
    // `f(`, but not `x.f(`, `Type::f(` or `f!(`.
    fn walk(stream: TokenStream, name: &Ident) -> Option<Ident> {
        let mut candidate: Option<Ident> = None;
        let mut after_path_or_dot = false;
        for tree in stream {
            let punct = match &tree {
                TokenTree::Punct(punct) => Some(punct.as_char()),
                _ => None,
            };
            match tree {
                TokenTree::Group(group) => {
                    if group.delimiter() == proc_macro2::Delimiter::Parenthesis {
                        if let Some(ident) = candidate.take() {
                            return Some(ident);
                        }
                    }
                    if let Some(found) = walk(group.stream(), name) {
                        return Some(found);
                    }
                    candidate = None;
                }
                TokenTree::Ident(ident) => {
                    candidate = (ident == *name && !after_path_or_dot).then_some(ident);
                }
                TokenTree::Punct(_) | TokenTree::Literal(_) => candidate = None,
            }
            after_path_or_dot = matches!(punct, Some('.' | ':'));
        }
        None
    }
    let block = &func.item.block;
    walk(quote!(#block), func.name())
}
