//! The rules: what each attribute accepts of the function it is on, given its
//! options. Every mistake is collected (a user with three sees three), and a
//! [`Plan`] comes back only when there was none, so that nothing after this
//! stage can fail.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::{FnArg, GenericParam, Ident, Pat, Type};

use crate::domain;
use crate::errors::Errors;
use crate::model::{borrowed_lifetime, Func, Int, Pass};
use crate::options::{Attr, Options};
use crate::plan::{self, Bound, Key, Mode, Need, Plan, Scope};

/// Checks `func` and `options` for `attr`; `errors` holds what the earlier
/// stages found, and every error comes back combined.
pub(crate) fn plan<'a>(
    attr: Attr,
    options: &'a Options,
    func: &'a Func,
    mut errors: Errors,
) -> Result<Plan<'a>, syn::Error> {
    combinations(options, &mut errors);
    signature(attr, func, &mut errors);
    let plan = match attr {
        Attr::Memoize => Some(Plan::Memoize(memoize(options, func, &mut errors))),
        Attr::Precompute => precompute(options, func, &mut errors).map(Plan::Precompute),
        Attr::Counted => Some(Plan::Counted(plan::Counted {
            func,
            options,
            scope: scope(func),
        })),
    };
    errors.finish()?;
    // Each check that returns no plan reports why; this is the fallback.
    plan.ok_or_else(|| {
        syn::Error::new(
            Span::call_site(),
            format_args!("`#[{}]` cannot expand this function", attr.name()),
        )
    })
}

/// The options that need, or exclude, one another.
fn combinations(options: &Options, errors: &mut Errors) {
    let at = &options.at;
    if let (Some((true, single_flight)), Some(_)) = (options.single_flight, at.thread_local) {
        errors.at_span(
            single_flight,
            "`single_flight` makes callers on other threads wait for one run of the body, \
             and a `thread_local` cache is never shared between threads; remove one of them",
        );
    }
    if let (Some(refresh), None) = (options.refresh, at.ttl) {
        errors.at_span(
            refresh,
            "`refresh` restarts an entry's `ttl` on each hit and needs `ttl = \"...\"` (`ttl_of` gives each entry a fixed expiry); add `ttl`, or remove `refresh`",
        );
    }
    if let (Some(stale), None, None) = (options.stale_on_error, at.ttl, &options.ttl_of) {
        errors.at_span(
            stale,
            "`stale_on_error` serves an expired value when recomputing it fails, and entries expire only with `ttl = \"...\"` or `ttl_of = ...`; add one, or remove `stale_on_error`",
        );
    }
    if let (Some(ttl_of), Some(_)) = (&options.ttl_of, at.ttl) {
        errors.at(
            ttl_of,
            "`ttl_of` gives each entry its own expiry and `ttl` one for all; keep one of them",
        );
    }
    if let (Some(version), None) = (at.version, &options.store) {
        errors.at_span(
            version,
            "`version` is part of a store's keys; add `store = disk` (or `redis`, or a backend fn), or remove `version`",
        );
    }
    if let (Some(policy), None) = (at.policy, options.capacity) {
        errors.at_span(
            policy,
            "`policy` chooses how a bounded cache evicts; add `capacity = N`, or remove `policy`",
        );
    }
}

fn scope(func: &Func) -> Scope {
    if func.in_impl() {
        Scope::Impl
    } else {
        Scope::Free
    }
}

/// What every attribute checks of the signature: the caching ones need a
/// key made of named, owned-able parameters and a return value to keep.
fn signature(attr: Attr, func: &Func, errors: &mut Errors) {
    let caches = attr != Attr::Counted;
    let sig = &func.item.sig;
    let what = format!("`#[{}]`", attr.name());
    if caches {
        generics(attr, &sig.generics, &what, errors);
        if let (Some(asyncness), Attr::Precompute) = (&sig.asyncness, attr) {
            errors.at(
                asyncness,
                format_args!("{what} does not support `async fn`; apply it to a synchronous function the async one calls"),
            );
        }
    }
    if let Some(constness) = &sig.constness {
        match attr {
            Attr::Memoize => errors.at(
                constness,
                "a memoized function cannot stay `const`: its cache lives at run time; remove `const`, \
                 or use `#[precompute]` to build a table at compile time",
            ),
            Attr::Counted => errors.at(
                constness,
                "a counted function cannot stay `const`: its counters live at run time; remove `const`",
            ),
            Attr::Precompute => {}
        }
    }
    // `#[counted]` keys nothing: it takes any receiver and any parameter.
    if !caches {
        return;
    }
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) if r.colon_token.is_some() => errors.at(
                r,
                format_args!("{what} supports `&self` and `self` receivers; write `&self`"),
            ),
            FnArg::Receiver(r) if r.mutability.is_some() && r.reference.is_some() => errors.at(
                r,
                format_args!("{what} cannot key a cache by `&mut self`: the body could change it; take `&self`"),
            ),
            FnArg::Receiver(_) => {}
            FnArg::Typed(arg) if !matches!(&*arg.pat, Pat::Ident(_)) => errors.at(
                &arg.pat,
                format_args!(
                    "{what} needs a name for each parameter to build the key; \
                     name it (`arg: {}`) and destructure it inside the body",
                    arg.ty.to_token_stream()
                ),
            ),
            FnArg::Typed(arg) => key_type(&arg.ty, &what, errors),
        }
    }
    match &func.output {
        // At the `)`, where the return type would go.
        None => errors.at_span(
            sig.paren_token.span.close(),
            format_args!(
                "{what} keeps return values, and this function returns `()`; add a return type, \
                 or use `#[counted]` to count its calls"
            ),
        ),
        Some(ty @ Type::ImplTrait(_)) => errors.at(
            ty,
            format_args!("{what} must name the return type to store it; replace `impl Trait` with a concrete type"),
        ),
        Some(_) => {}
    }
}

/// `#[precompute]` takes no generic function; `#[memoize]` keeps a cache per
/// instantiation of its type parameters, found by their `TypeId`, which a
/// `const` parameter has none of.
fn generics(attr: Attr, generics: &syn::Generics, what: &str, errors: &mut Errors) {
    for param in &generics.params {
        match (param, attr) {
            (GenericParam::Lifetime(_), _) | (GenericParam::Type(_), Attr::Memoize) => {}
            (GenericParam::Const(_), Attr::Memoize) => errors.at(
                param,
                format_args!(
                    "{what} keeps one cache per instantiation, found by the type parameters' `TypeId`, \
                     and cannot tell `const` parameters apart; pass the value as an argument instead"
                ),
            ),
            _ => errors.at(
                param,
                format_args!(
                    "{what} cannot cache a generic function: one table cannot hold every instantiation; \
                     make the function non-generic, or apply {what} to a non-generic wrapper"
                ),
            ),
        }
    }
}

/// Rejects parameter types that cannot be cache keys.
fn key_type(ty: &Type, what: &str, errors: &mut Errors) {
    match ty {
        Type::ImplTrait(_) => errors.at(
            ty,
            format_args!("{what} cannot key a cache by an `impl Trait` argument; take a concrete type"),
        ),
        Type::Reference(r) if r.mutability.is_some() => errors.at(
            ty,
            format_args!(
                "{what} cannot key a cache by a `&mut` argument: the body could change it; take `&T` or an owned value"
            ),
        ),
        Type::Reference(r) => key_type(&r.elem, what, errors),
        _ => {}
    }
}

fn memoize<'a>(options: &'a Options, func: &'a Func, errors: &mut Errors) -> plan::Memoize<'a> {
    let key = match &options.key {
        Some(expr) => Key::Expr(expr),
        None => Key::Params,
    };
    if let Key::Params = key {
        key_lifetimes(func, errors);
    }
    if let (Some(at), false) = (options.stale_on_error, func.returns_result) {
        errors.at_span(
            at,
            "`stale_on_error` serves the expired `Ok` value when the body returns `Err`, \
             and this function does not return a `Result`; remove `stale_on_error`",
        );
    }
    let scope = scope(func);
    let generic = func
        .item
        .sig
        .generics
        .params
        .iter()
        .any(|p| matches!(p, GenericParam::Type(_)));
    if let (Some((_, at)), true) = (&options.store, scope == Scope::Impl || generic) {
        errors.at_span(
            *at,
            "a `store` keys its entries by the function's path and arguments, which cannot tell a \
             method's `Self` types or a generic function's instantiations apart; \
             apply `store` to a non-generic free function the method calls",
        );
    }
    let single_flight = match options.single_flight {
        Some((on, _)) => on,
        None => func.item.sig.asyncness.is_some() && !options.thread_local,
    };
    // `single_flight` with `thread_local` is an error of the options.
    let mode = if options.thread_local {
        Mode::ThreadLocal
    } else if single_flight {
        Mode::SingleFlight
    } else {
        Mode::Shared
    };
    plan::Memoize {
        func,
        options,
        scope,
        mode,
        bounds: bounds(func, &key),
        key,
        generic,
    }
}

/// A key is stored past the call, so it cannot borrow: a parameter type with
/// a lifetime (past a borrowed parameter's own `&`, whose referent is copied
/// into an owned key) is rejected, unless `key = EXPR` leaves it out.
fn key_lifetimes(func: &Func, errors: &mut Errors) {
    for param in &func.params {
        if let Some(lifetime) = borrowed_lifetime(&param.ty) {
            errors.at(
                &lifetime,
                format_args!(
                    "`#[memoize]` stores its keys past the call, so a key cannot borrow for `{lifetime}`; \
                     take an owned type (e.g. `String` for `Cow<'_, str>`), or leave `{}` out with `key = ...`",
                    param.name
                ),
            );
        }
    }
}

/// The bounds of the key's and the value's types, each checked where the
/// user wrote the type: one per type (a type written twice, or both key and
/// value, is checked once, for what both need).
fn bounds<'a>(func: &'a Func, key: &Key) -> Vec<Bound<'a>> {
    let mut bounds: Vec<Bound<'a>> = Vec::new();
    let mut add = |ty: &'a Type, need: Need| {
        let text = ty.to_token_stream().to_string();
        let same = |bound: &&mut Bound| bound.ty.to_token_stream().to_string() == text;
        match bounds.iter_mut().find(same) {
            Some(bound) => bound.need = bound.need.max(need),
            None => bounds.push(Bound {
                ty,
                need,
                as_where: as_where(func, ty),
            }),
        }
    };
    if let Key::Params = key {
        for param in &func.params {
            match &param.pass {
                Pass::Owned => add(&param.ty, Need::Key),
                Pass::Borrowed(referent) => add(referent, Need::BorrowedKey),
            }
        }
    }
    if let Some(value) = func.ok_type.as_ref().or(func.output.as_ref()) {
        add(value, Need::Value);
    }
    bounds
}

/// Whether a bound on `ty` can be a `where` clause of the function (and of
/// its companion), and is worth one: not for a type naming `Self`, the
/// function's own generic parameters or an elided lifetime (the clause would
/// add a bound to the signature the user did not write), and not for the
/// primitive types the bounds always hold for. A method's type may name its
/// `impl`'s type parameters, which the macro cannot see: the clause is then
/// a bound of the method on that parameter (where the `impl` does not have
/// it already, the method is callable for the types that are keys, instead
/// of failing to compile). `tests/ui/pass/memoize_method_bounds.rs` shows
/// every shape of method.
fn as_where(func: &Func, ty: &Type) -> bool {
    fn concrete(tokens: TokenStream, generics: &[String]) -> bool {
        let mut tokens = tokens.into_iter().peekable();
        while let Some(tree) = tokens.next() {
            let ok = match &tree {
                TokenTree::Ident(ident) => {
                    let name = ident.to_string();
                    name != "Self" && !generics.contains(&name)
                }
                // `'a` but `'static`, and a `&` without a lifetime.
                TokenTree::Punct(p) if p.as_char() == '\'' => {
                    matches!(tokens.next(), Some(TokenTree::Ident(i)) if i == "static")
                }
                TokenTree::Punct(p) if p.as_char() == '&' => matches!(
                    tokens.peek(),
                    Some(TokenTree::Punct(next)) if next.as_char() == '\''
                ),
                TokenTree::Group(group) => concrete(group.stream(), generics),
                _ => true,
            };
            if !ok {
                return false;
            }
        }
        true
    }
    let primitive = match ty {
        Type::Path(path) if path.qself.is_none() => path.path.get_ident().is_some_and(|ident| {
            let name = ident.to_string();
            ["bool", "char", "str", "String"].contains(&name.as_str())
                || Int::named(&name).is_some()
        }),
        _ => false,
    };
    let generics: Vec<String> = func
        .item
        .sig
        .generics
        .params
        .iter()
        .map(|param| match param {
            GenericParam::Type(t) => t.ident.to_string(),
            GenericParam::Const(c) => c.ident.to_string(),
            GenericParam::Lifetime(l) => l.lifetime.ident.to_string(),
        })
        .collect();
    !primitive && concrete(ty.to_token_stream(), &generics)
}

fn precompute<'a>(
    options: &'a Options,
    func: &'a Func,
    errors: &mut Errors,
) -> Option<plan::Precompute<'a>> {
    let domain = domain::read(options.domain.as_ref(), options.max_entries, func, errors);
    let (Some(domain), Some(output)) = (domain, &func.output) else {
        return None;
    };
    let constant = func.item.sig.constness.is_some();
    if constant {
        if let Some(call) = recursive_call(func) {
            errors.at(
                call,
                "a `const fn` under `#[precompute]` cannot call itself: its table is built before the function exists; \
                 remove `const` to build the table at run time",
            );
            return None;
        }
    }
    Some(plan::Precompute {
        func,
        options,
        domain,
        output,
        constant,
    })
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
