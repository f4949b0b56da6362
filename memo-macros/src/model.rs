//! The function an attribute is on, read into what the expanders need, with
//! the checks the attributes share.

use syn::{FnArg, GenericParam, Ident, ItemFn, Pat, ReturnType, Type};

use crate::errors::Errors;
use crate::options::Attr;

/// How a parameter enters the cache key.
pub(crate) enum Pass {
    /// `n: T`: keyed by `T`.
    Owned,
    /// `s: &T`: keyed by `T::Owned`; `T` is the referent.
    Borrowed(Box<Type>),
}

pub(crate) struct Param {
    pub(crate) name: Ident,
    pub(crate) ty: Type,
    pub(crate) pass: Pass,
}

/// A `self` receiver.
pub(crate) struct Receiver {
    /// `&self` (true) or `self` (false).
    pub(crate) by_ref: bool,
}

pub(crate) struct Func {
    pub(crate) item: ItemFn,
    pub(crate) receiver: Option<Receiver>,
    pub(crate) params: Vec<Param>,
    /// The return type; `None` for `()`.
    pub(crate) output: Option<Type>,
    /// Whether the return type's last path segment is `Result`.
    pub(crate) returns_result: bool,
    /// For a `Result<T, ..>` return type (`io::Result<T>` too), `T`: what
    /// the cache stores. An `Err` is never stored, so `E` need not be `Clone`.
    pub(crate) ok_type: Option<Type>,
}

impl Func {
    pub(crate) fn name(&self) -> &Ident {
        &self.item.sig.ident
    }

    /// Whether the function is an associated function: it has a receiver or its
    /// signature names `Self`. Its state then lives in its body, since an `impl`
    /// block cannot hold a companion module.
    pub(crate) fn in_impl(&self) -> bool {
        self.receiver.is_some() || mentions_self(&self.item.sig)
    }

    /// Reads `item`, reporting to `errors` what `attr` cannot take.
    pub(crate) fn read(attr: Attr, item: ItemFn, errors: &mut Errors) -> Func {
        let caches = attr != Attr::Counted;
        let sig = &item.sig;
        let what = format!("`#[{}]`", attr.name());
        if caches {
            check_generics(attr, &sig.generics, &what, errors);
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
        let mut receiver = None;
        let mut params = Vec::new();
        for input in &sig.inputs {
            match input {
                FnArg::Receiver(r) => {
                    // `#[counted]` takes any receiver: it keys nothing by it.
                    if caches && r.colon_token.is_some() {
                        errors.at(
                            r,
                            format_args!(
                                "{what} supports `&self` and `self` receivers; write `&self`"
                            ),
                        );
                    } else if caches && r.mutability.is_some() && r.reference.is_some() {
                        errors.at(
                            r,
                            format_args!("{what} cannot key a cache by `&mut self`: the body could change it; take `&self`"),
                        );
                    }
                    receiver = Some(Receiver {
                        by_ref: r.reference.is_some(),
                    });
                }
                FnArg::Typed(arg) => {
                    let Pat::Ident(pat) = &*arg.pat else {
                        if caches {
                            errors.at(
                                &arg.pat,
                                format_args!(
                                    "{what} needs a name for each parameter to build the key; \
                                     name it (`arg: {}`) and destructure it inside the body",
                                    quote::ToTokens::to_token_stream(&arg.ty)
                                ),
                            );
                        }
                        continue;
                    };
                    if caches {
                        check_key_type(&arg.ty, &what, errors);
                    }
                    let pass = match &*arg.ty {
                        Type::Reference(r) if r.mutability.is_none() => {
                            Pass::Borrowed(r.elem.clone())
                        }
                        _ => Pass::Owned,
                    };
                    params.push(Param {
                        name: pat.ident.clone(),
                        ty: (*arg.ty).clone(),
                        pass,
                    });
                }
            }
        }
        let output = match &sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some((**ty).clone()),
        };
        if caches {
            match &output {
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
        let ok_type = output.as_ref().and_then(ok_type);
        Func {
            item,
            receiver,
            params,
            output,
            returns_result: ok_type.is_some(),
            ok_type,
        }
    }
}

/// `#[precompute]` takes no generic function; `#[memoize]` keeps a cache per
/// instantiation of its type parameters, found by their `TypeId`, which a
/// `const` parameter has none of.
fn check_generics(attr: Attr, generics: &syn::Generics, what: &str, errors: &mut Errors) {
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

/// The first lifetime other than `'static` inside a key type (past the
/// outer reference of a borrowed parameter, which the key owns a copy of).
pub(crate) fn borrowed_lifetime(ty: &Type) -> Option<syn::Lifetime> {
    fn walk(tokens: proc_macro2::TokenStream) -> Option<syn::Lifetime> {
        let mut tokens = tokens.into_iter().peekable();
        while let Some(tt) = tokens.next() {
            match tt {
                proc_macro2::TokenTree::Punct(p) if p.as_char() == '\'' => {
                    if let Some(proc_macro2::TokenTree::Ident(ident)) = tokens.next() {
                        if ident != "static" {
                            return Some(syn::Lifetime {
                                apostrophe: p.span(),
                                ident,
                            });
                        }
                    }
                }
                proc_macro2::TokenTree::Group(group) => {
                    if let Some(found) = walk(group.stream()) {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        None
    }
    let owned = match ty {
        Type::Reference(r) => &*r.elem,
        other => other,
    };
    walk(quote::ToTokens::to_token_stream(owned))
}

/// `T` of a return type whose last path segment is `Result<T, ..>`: a
/// `Result` is recognised by its name, so `io::Result<T>` and
/// `anyhow::Result<T>` are, and an alias of another name
/// (`type Res<T> = Result<T, E>`) is a value like any other.
fn ok_type(ty: &Type) -> Option<Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        syn::GenericArgument::Type(ty) => Some(ty.clone()),
        _ => None,
    })
}

/// Rejects parameter types that cannot be cache keys.
fn check_key_type(ty: &Type, what: &str, errors: &mut Errors) {
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
        Type::Reference(r) => check_key_type(&r.elem, what, errors),
        _ => {}
    }
}

/// The primitive integer and `bool` types whose values the report can turn
/// into a `#[precompute]` domain.
pub(crate) const SMALL_INTEGERS: [&str; 11] = [
    "bool", "u8", "u16", "u32", "u64", "usize", "i8", "i16", "i32", "i64", "isize",
];

/// `u32` for a parameter typed exactly `u32` (one of [`SMALL_INTEGERS`]).
pub(crate) fn small_integer(ty: &Type) -> Option<&'static str> {
    let Type::Path(path) = ty else { return None };
    let ident = path.path.get_ident()?;
    SMALL_INTEGERS.iter().copied().find(|name| ident == name)
}

fn mentions_self(sig: &syn::Signature) -> bool {
    fn walk(tokens: proc_macro2::TokenStream) -> bool {
        tokens.into_iter().any(|tt| match tt {
            proc_macro2::TokenTree::Ident(ident) => ident == "Self",
            proc_macro2::TokenTree::Group(group) => walk(group.stream()),
            _ => false,
        })
    }
    walk(quote::ToTokens::to_token_stream(sig))
}
