//! The function an attribute is on, read into what the later stages need.
//! This is the syntax only: what an attribute accepts is `check`'s business.

use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Type};

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

    /// Reads `item`: its receiver, its named parameters (a parameter bound by
    /// a pattern has no name to key by and is left out; `check` rejects it
    /// where a key needs it) and its return type. Nothing is checked here.
    pub(crate) fn read(item: ItemFn) -> Func {
        let sig = &item.sig;
        let receiver = sig.receiver().map(|r| Receiver {
            by_ref: r.reference.is_some(),
        });
        let params = sig
            .inputs
            .iter()
            .filter_map(|input| {
                let FnArg::Typed(arg) = input else {
                    return None;
                };
                let Pat::Ident(pat) = &*arg.pat else {
                    return None;
                };
                let pass = match &*arg.ty {
                    Type::Reference(r) if r.mutability.is_none() => Pass::Borrowed(r.elem.clone()),
                    _ => Pass::Owned,
                };
                Some(Param {
                    name: pat.ident.clone(),
                    ty: (*arg.ty).clone(),
                    pass,
                })
            })
            .collect();
        let output = match &sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some((**ty).clone()),
        };
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

/// A primitive integer type, as far as the macros need to know it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Int {
    pub(crate) name: &'static str,
    /// The unsigned type of the same width.
    pub(crate) unsigned: &'static str,
    /// The smallest and largest value, where the macro can know them (not for
    /// `usize` and `isize`, whose width is the target's); `u128::MAX` stands
    /// beyond `i128` and is written `None`.
    pub(crate) range: Option<(i128, Option<i128>)>,
}

const fn int(
    name: &'static str,
    unsigned: &'static str,
    range: Option<(i128, Option<i128>)>,
) -> Int {
    Int {
        name,
        unsigned,
        range,
    }
}

/// Every primitive integer type: the one list both the report's observed
/// domain and `#[precompute]`'s table keys read.
#[allow(clippy::cast_lossless)] // `i128::from` is not `const`
pub(crate) const INTEGERS: [Int; 12] = [
    int("u8", "u8", Some((0, Some(u8::MAX as i128)))),
    int("u16", "u16", Some((0, Some(u16::MAX as i128)))),
    int("u32", "u32", Some((0, Some(u32::MAX as i128)))),
    int("u64", "u64", Some((0, Some(u64::MAX as i128)))),
    int("u128", "u128", Some((0, None))),
    int("usize", "usize", None),
    int("i8", "u8", Some((i8::MIN as i128, Some(i8::MAX as i128)))),
    int(
        "i16",
        "u16",
        Some((i16::MIN as i128, Some(i16::MAX as i128))),
    ),
    int(
        "i32",
        "u32",
        Some((i32::MIN as i128, Some(i32::MAX as i128))),
    ),
    int(
        "i64",
        "u64",
        Some((i64::MIN as i128, Some(i64::MAX as i128))),
    ),
    int("i128", "u128", Some((i128::MIN, Some(i128::MAX)))),
    int("isize", "usize", None),
];

impl Int {
    /// `u32` into its entry of [`INTEGERS`].
    pub(crate) fn named(name: &str) -> Option<Int> {
        INTEGERS.iter().copied().find(|int| int.name == name)
    }
}

/// `u32` for a parameter typed exactly `u32`, `bool` for `bool`: the types
/// whose values the report can turn into a `#[precompute]` domain (every
/// integer but the 128-bit ones, which an observed `i128` cannot hold).
pub(crate) fn small_integer(ty: &Type) -> Option<&'static str> {
    let Type::Path(path) = ty else { return None };
    let ident = path.path.get_ident()?.to_string();
    if ident == "bool" {
        return Some("bool");
    }
    Int::named(&ident)
        .filter(|int| !int.name.ends_with("128"))
        .map(|int| int.name)
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
