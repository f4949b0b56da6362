//! The attribute's arguments: `#[memoize(capacity = 100, ttl = "5s")]` and the
//! like, parsed into typed values; every mistake is collected, not just the first.
//! Each value is checked as it is read (`capacity = 0`, a bad `ttl`); the rules
//! between options (`refresh` needs `ttl`) are `check`'s.

use std::fmt::Display;
use std::str::FromStr;

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::{Expr, Ident, LitInt, LitStr, Path, Token};

use crate::errors::Errors;
use crate::kw;

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attr {
    Memoize,
    Precompute,
    Counted,
}

impl Attr {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Attr::Memoize => "memoize",
            Attr::Precompute => "precompute",
            Attr::Counted => "counted",
        }
    }

    /// The options this attribute accepts, as its error messages list them.
    fn accepts(self) -> &'static str {
        match self {
            Attr::Memoize => {
                "`capacity = N`, `policy = lru`, `thread_local`, `single_flight`, `ttl = \"500ms\"`, `refresh`, `ttl_of = EXPR`, `key = EXPR`, `cache_if = EXPR`, `stale_on_error`, `store = disk | redis | path`, `version = N` and `crate = path`"
            }
            Attr::Precompute => {
                "`domain = (a..b, ...)`, `strict`, `max_entries = N` and `crate = path`"
            }
            Attr::Counted => "only `crate = path`",
        }
    }
}

/// The parsed options of one attribute.
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) krate: Option<Path>,
    pub(crate) capacity: Option<usize>,
    /// `policy = lru`: exact least-recently-used eviction.
    pub(crate) lru: bool,
    pub(crate) thread_local: bool,
    /// `single_flight` / `single_flight = false`, where it was written.
    pub(crate) single_flight: Option<(bool, Span)>,
    /// In milliseconds.
    pub(crate) ttl: Option<u64>,
    pub(crate) key: Option<Expr>,
    /// `cache_if = EXPR`: a predicate over the value to store.
    pub(crate) cache_if: Option<Expr>,
    /// `refresh`, where it was written.
    pub(crate) refresh: Option<Span>,
    /// `stale_on_error`, where it was written.
    pub(crate) stale_on_error: Option<Span>,
    /// `ttl_of = EXPR`: an entry's own time to live.
    pub(crate) ttl_of: Option<Expr>,
    /// `store = disk | redis | path::to::fn`, where it was written.
    pub(crate) store: Option<(Store, Span)>,
    /// `version = N`: part of a store's keys.
    pub(crate) version: Option<u32>,
    pub(crate) domain: Option<Expr>,
    pub(crate) strict: bool,
    pub(crate) max_entries: Option<u64>,
    /// Where some options were written, for `check`'s rules between options.
    pub(crate) at: Written,
}

/// Where options that hold no span of their own were written.
#[derive(Default)]
pub(crate) struct Written {
    pub(crate) policy: Option<Span>,
    pub(crate) thread_local: Option<Span>,
    pub(crate) ttl: Option<Span>,
    pub(crate) version: Option<Span>,
}

/// A second-level store.
#[derive(Clone)]
pub(crate) enum Store {
    Disk,
    Redis,
    /// A fn returning `&'static dyn memo::store::Backend`.
    User(Path),
}

/// An option that may be given at most once.
struct Once<T> {
    name: &'static str,
    value: Option<T>,
}

impl<T> Once<T> {
    const fn new(name: &'static str) -> Self {
        Once { name, value: None }
    }

    fn set(&mut self, errors: &mut Errors, span: Span, value: T) {
        if self.value.is_some() {
            errors.at_span(
                span,
                format_args!("`{}` is given twice; keep one", self.name),
            );
        } else {
            self.value = Some(value);
        }
    }
}

struct Raw {
    krate: Once<Path>,
    capacity: Once<usize>,
    policy: Once<Span>,
    thread_local: Once<Span>,
    single_flight: Once<(bool, Span)>,
    ttl: Once<(u64, Span)>,
    key: Once<Expr>,
    cache_if: Once<Expr>,
    refresh: Once<Span>,
    stale_on_error: Once<Span>,
    ttl_of: Once<Expr>,
    store: Once<(Store, Span)>,
    version: Once<(u32, Span)>,
    domain: Once<Expr>,
    strict: Once<()>,
    max_entries: Once<u64>,
}

impl Raw {
    fn new() -> Self {
        Raw {
            krate: Once::new("crate"),
            capacity: Once::new("capacity"),
            policy: Once::new("policy"),
            thread_local: Once::new("thread_local"),
            single_flight: Once::new("single_flight"),
            ttl: Once::new("ttl"),
            key: Once::new("key"),
            cache_if: Once::new("cache_if"),
            refresh: Once::new("refresh"),
            stale_on_error: Once::new("stale_on_error"),
            ttl_of: Once::new("ttl_of"),
            store: Once::new("store"),
            version: Once::new("version"),
            domain: Once::new("domain"),
            strict: Once::new("strict"),
            max_entries: Once::new("max_entries"),
        }
    }

    fn finish(self) -> Options {
        Options {
            krate: self.krate.value,
            capacity: self.capacity.value,
            lru: self.policy.value.is_some(),
            thread_local: self.thread_local.value.is_some(),
            single_flight: self.single_flight.value,
            ttl: self.ttl.value.map(|(ms, _)| ms),
            key: self.key.value,
            cache_if: self.cache_if.value,
            refresh: self.refresh.value,
            stale_on_error: self.stale_on_error.value,
            ttl_of: self.ttl_of.value,
            store: self.store.value,
            version: self.version.value.map(|(v, _)| v),
            domain: self.domain.value,
            strict: self.strict.value.is_some(),
            max_entries: self.max_entries.value,
            at: Written {
                policy: self.policy.value,
                thread_local: self.thread_local.value,
                ttl: self.ttl.value.map(|(_, at)| at),
                version: self.version.value.map(|(_, at)| at),
            },
        }
    }
}

/// Parses `args`; mistakes go to `errors` and the rest is still returned.
pub(crate) fn parse(attr: Attr, args: TokenStream, errors: &mut Errors) -> Options {
    let mut raw = Raw::new();
    let parser = |input: ParseStream| -> syn::Result<()> {
        while !input.is_empty() {
            if let Err(error) = parse_one(attr, input, &mut raw, errors) {
                errors.push(error);
                skip_to_comma(input)?;
            }
            if !input.is_empty() {
                input
                    .parse::<Token![,]>()
                    .map_err(|error| syn::Error::new(error.span(), "add a `,` between options"))?;
            }
        }
        Ok(())
    };
    if let Err(error) = parser.parse2(args) {
        errors.push(error);
    }
    raw.finish()
}

fn skip_to_comma(input: ParseStream) -> syn::Result<()> {
    while !input.is_empty() && !input.peek(Token![,]) {
        input.parse::<TokenTree>()?;
    }
    Ok(())
}

fn parse_one(
    attr: Attr,
    input: ParseStream,
    raw: &mut Raw,
    errors: &mut Errors,
) -> syn::Result<()> {
    let span = input.span();
    let allowed = |attrs: &[Attr], name: &str| -> syn::Result<()> {
        if attrs.contains(&attr) {
            Ok(())
        } else {
            Err(syn::Error::new(
                span,
                format!(
                    "`{name}` is not an option of `#[{}]`, which accepts {}",
                    attr.name(),
                    attr.accepts()
                ),
            ))
        }
    };
    if input.peek(Token![crate]) {
        input.parse::<Token![crate]>()?;
        let path = value::<Path>(input, span, "crate", "a path, e.g. `crate = ::memo`")?;
        raw.krate.set(errors, span, path);
    } else if input.peek(kw::capacity) {
        input.parse::<kw::capacity>()?;
        allowed(&[Attr::Memoize], "capacity")?;
        let lit = value::<LitInt>(
            input,
            span,
            "capacity",
            "an integer, e.g. `capacity = 1024`",
        )?;
        let n: usize = integer(&lit, "capacity", "usize", "capacity = 1024")?;
        if n == 0 {
            errors.at(
                &lit,
                "`capacity` must be at least 1; remove it for an unbounded cache",
            );
        }
        raw.capacity.set(errors, span, n);
    } else if input.peek(kw::policy) {
        input.parse::<kw::policy>()?;
        allowed(&[Attr::Memoize], "policy")?;
        let policy = value::<Ident>(
            input,
            span,
            "policy",
            "`lru`, for exact least-recently-used eviction: `policy = lru`",
        )?;
        if policy != "lru" {
            return Err(syn::Error::new(
                policy.span(),
                format!(
                    "unknown policy `{policy}`; write `policy = lru` for exact least-recently-used \
                     eviction, or remove `policy` for the default scan-resistant one"
                ),
            ));
        }
        raw.policy.set(errors, span, policy.span());
    } else if input.peek(kw::thread_local) {
        input.parse::<kw::thread_local>()?;
        allowed(&[Attr::Memoize], "thread_local")?;
        flag(input, "thread_local")?;
        raw.thread_local.set(errors, span, span);
    } else if input.peek(kw::single_flight) {
        input.parse::<kw::single_flight>()?;
        allowed(&[Attr::Memoize], "single_flight")?;
        let on = if input.peek(Token![=]) {
            value::<syn::LitBool>(
                input,
                span,
                "single_flight",
                "`true` or `false`, or write `single_flight` alone",
            )?
            .value
        } else {
            true
        };
        raw.single_flight.set(errors, span, (on, span));
    } else if input.peek(kw::ttl) {
        input.parse::<kw::ttl>()?;
        allowed(&[Attr::Memoize], "ttl")?;
        let lit = value::<LitStr>(input, span, "ttl", "a string, e.g. `ttl = \"30s\"`")?;
        raw.ttl.set(errors, span, (parse_ttl(&lit)?, span));
    } else if input.peek(kw::key) {
        input.parse::<kw::key>()?;
        allowed(&[Attr::Memoize], "key")?;
        let expr = value::<Expr>(
            input,
            span,
            "key",
            "an expression over the parameters, e.g. `key = (user.id, day)`",
        )?;
        raw.key.set(errors, span, expr);
    } else if input.peek(kw::cache_if) {
        input.parse::<kw::cache_if>()?;
        allowed(&[Attr::Memoize], "cache_if")?;
        let expr = value::<Expr>(
            input,
            span,
            "cache_if",
            "a predicate over a reference to the value, e.g. `cache_if = Option::is_some`",
        )?;
        raw.cache_if.set(errors, span, expr);
    } else if input.peek(kw::ttl_of) {
        input.parse::<kw::ttl_of>()?;
        allowed(&[Attr::Memoize], "ttl_of")?;
        let expr = value::<Expr>(
            input,
            span,
            "ttl_of",
            "a function from a reference to the value to `Option<Duration>`, e.g. `ttl_of = Token::lifetime`",
        )?;
        raw.ttl_of.set(errors, span, expr);
    } else if input.peek(kw::store) {
        input.parse::<kw::store>()?;
        allowed(&[Attr::Memoize], "store")?;
        let path = value::<Path>(
            input,
            span,
            "store",
            "`disk`, `redis`, or the path of a fn returning `&'static dyn memo::store::Backend`",
        )?;
        let store = if path.is_ident("disk") {
            Store::Disk
        } else if path.is_ident("redis") {
            Store::Redis
        } else {
            Store::User(path)
        };
        raw.store.set(errors, span, (store, span));
    } else if input.peek(kw::version) {
        input.parse::<kw::version>()?;
        allowed(&[Attr::Memoize], "version")?;
        let lit = value::<LitInt>(input, span, "version", "an integer, e.g. `version = 2`")?;
        let n: u32 = integer(&lit, "version", "u32", "version = 2")?;
        raw.version.set(errors, span, (n, span));
    } else if input.peek(kw::refresh) {
        input.parse::<kw::refresh>()?;
        allowed(&[Attr::Memoize], "refresh")?;
        flag(input, "refresh")?;
        raw.refresh.set(errors, span, span);
    } else if input.peek(kw::stale_on_error) {
        input.parse::<kw::stale_on_error>()?;
        allowed(&[Attr::Memoize], "stale_on_error")?;
        flag(input, "stale_on_error")?;
        raw.stale_on_error.set(errors, span, span);
    } else if input.peek(kw::domain) {
        input.parse::<kw::domain>()?;
        allowed(&[Attr::Precompute], "domain")?;
        let expr = value::<Expr>(
            input,
            span,
            "domain",
            "one range per parameter, e.g. `domain = (0..20, 0..=9)`",
        )?;
        raw.domain.set(errors, span, expr);
    } else if input.peek(kw::strict) {
        input.parse::<kw::strict>()?;
        allowed(&[Attr::Precompute], "strict")?;
        flag(input, "strict")?;
        raw.strict.set(errors, span, ());
    } else if input.peek(kw::max_entries) {
        input.parse::<kw::max_entries>()?;
        allowed(&[Attr::Precompute], "max_entries")?;
        let lit = value::<LitInt>(
            input,
            span,
            "max_entries",
            "an integer, e.g. `max_entries = 100_000_000`",
        )?;
        let n: u64 = integer(&lit, "max_entries", "u64", "max_entries = 100_000_000")?;
        if n == 0 {
            errors.at(&lit, "`max_entries` must be at least 1");
        }
        raw.max_entries.set(errors, span, n);
    } else {
        let name = input.call(Ident::parse_any).map_err(|error| {
            syn::Error::new(
                error.span(),
                format!(
                    "expected an option here; `#[{}]` accepts {}",
                    attr.name(),
                    attr.accepts()
                ),
            )
        })?;
        return Err(syn::Error::new(
            name.span(),
            format!(
                "unknown option `{name}`; `#[{}]` accepts {}",
                attr.name(),
                attr.accepts()
            ),
        ));
    }
    Ok(())
}

/// `= value` after an option name, with a message that shows the expected form.
fn value<T: Parse>(
    input: ParseStream,
    name_span: Span,
    name: &str,
    expected: &str,
) -> syn::Result<T> {
    if !input.peek(Token![=]) {
        return Err(syn::Error::new(
            name_span,
            format!("`{name}` needs a value: {expected}"),
        ));
    }
    let eq = input.parse::<Token![=]>()?;
    if input.is_empty() || input.peek(Token![,]) {
        return Err(syn::Error::new(
            eq.span,
            format!("`{name}` needs a value after `=`: {expected}"),
        ));
    }
    let at = input.span();
    input
        .parse::<T>()
        .map_err(|_| syn::Error::new(at, format!("`{name}` takes {expected}")))
}

/// An integer option's value; a negative one, or one too large for `ty`, is an
/// error that names the option instead of the parser's "invalid digit".
fn integer<N>(lit: &LitInt, name: &str, ty: &str, example: &str) -> syn::Result<N>
where
    N: FromStr,
    N::Err: Display,
{
    lit.base10_parse().map_err(|_| {
        syn::Error::new(
            lit.span(),
            format!("`{name}` must be a positive integer that fits in `{ty}`, e.g. `{example}`"),
        )
    })
}

/// An option that takes no value; a value given anyway is the error's span.
fn flag(input: ParseStream, name: &str) -> syn::Result<()> {
    if input.peek(Token![=]) {
        let mut given = TokenStream::new();
        while !input.is_empty() && !input.peek(Token![,]) {
            given.extend([input.parse::<TokenTree>()?]);
        }
        return Err(syn::Error::new_spanned(
            given,
            format!("`{name}` takes no value; write `{name}` alone"),
        ));
    }
    Ok(())
}

/// `"500ms"`, `"30s"`, `"5m"`, `"2h"` into milliseconds.
fn parse_ttl(lit: &LitStr) -> syn::Result<u64> {
    let text = lit.value();
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let scale = match unit.trim() {
        "ms" => Some(1),
        "s" => Some(1_000),
        "m" => Some(60_000),
        "h" => Some(3_600_000),
        _ => None,
    };
    let millis = scale.and_then(|scale| number.parse::<u64>().ok()?.checked_mul(scale));
    let well_formed = scale.is_some() && !number.is_empty();
    match millis {
        Some(0) => Err(syn::Error::new(
            lit.span(),
            "`ttl` must be longer than zero; remove `#[memoize]` if nothing should be cached",
        )),
        Some(millis) => Ok(millis),
        None if well_formed => Err(syn::Error::new(
            lit.span(),
            "`ttl` is too long to count in milliseconds; remove it for entries that never expire",
        )),
        None => Err(syn::Error::new(
            lit.span(),
            "`ttl` must be a whole number followed by `ms`, `s`, `m` or `h`, e.g. `ttl = \"500ms\"`",
        )),
    }
}
