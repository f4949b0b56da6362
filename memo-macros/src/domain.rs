//! The `domain` of `#[precompute]`, read against the function's parameters:
//! one typed entry per parameter, with the checks the macro can make itself.
//! Bounds it cannot evaluate (`0..N_RULES`) are left to `const` assertions in
//! the generated code.

use std::fmt::Display;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Expr, ExprRange, Lit, RangeLimits, Type, UnOp};

use crate::errors::Errors;
use crate::model::{Func, Int, Param};

/// Tables above this many entries need `max_entries`.
pub(crate) const DEFAULT_LIMIT: u64 = 16_777_216;

/// A parameter type a table can be indexed by.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Bool,
    /// A primitive integer: its name and the unsigned type of the same width.
    Int {
        name: &'static str,
        unsigned: &'static str,
    },
}

impl Key {
    /// `u32`, `bool`, `::core::primitive::u32`; `None` for anything else.
    fn of(ty: &Type) -> Option<Key> {
        let path = match ty {
            Type::Path(p) if p.qself.is_none() => &p.path,
            Type::Group(g) => return Key::of(&g.elem),
            Type::Paren(p) => return Key::of(&p.elem),
            _ => return None,
        };
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let last = path.segments.last()?;
        if !last.arguments.is_none() {
            return None;
        }
        let prefix_ok = match segments.as_slice() {
            [_] => path.leading_colon.is_none(),
            [krate, module, _] => (krate == "core" || krate == "std") && module == "primitive",
            _ => false,
        };
        if !prefix_ok {
            return None;
        }
        let name = segments.last()?.as_str();
        if name == "bool" {
            return Some(Key::Bool);
        }
        let int = Int::named(name)?;
        Some(Key::Int {
            name: int.name,
            unsigned: int.unsigned,
        })
    }

    /// Whether `_` (the whole type) makes a table of at most 256 entries.
    fn whole_is_small(self) -> bool {
        matches!(
            self,
            Key::Bool
                | Key::Int {
                    name: "u8" | "i8",
                    ..
                }
        )
    }

    /// The smallest and largest value of an integer type (see [`Int::range`]).
    fn int_range(self) -> Option<(i128, Option<i128>)> {
        let Key::Int { name, .. } = self else {
            return None;
        };
        Int::named(name)?.range
    }

    /// The number of values of a type that `_` may cover.
    fn whole_len(self) -> u128 {
        match self {
            Key::Bool => 2,
            Key::Int { .. } => 256,
        }
    }
}

/// The values one parameter takes in the table.
pub(crate) enum Bounds<'a> {
    /// `_`: every value of the type (`bool`, `u8`, `i8`).
    Whole,
    /// `start..end` or `start..=end`.
    Range {
        start: &'a Expr,
        end: &'a Expr,
        inclusive: bool,
    },
}

/// One parameter and its entry in `domain`.
pub(crate) struct Dim<'a> {
    pub(crate) param: &'a Param,
    pub(crate) key: Key,
    pub(crate) bounds: Bounds<'a>,
    /// The entry as the user wrote it, where errors about it point.
    pub(crate) entry: &'a Expr,
    /// The entry as the user wrote it, for messages: `0..N_RULES`.
    pub(crate) written: String,
}

/// The whole `domain`, one entry per parameter.
pub(crate) struct Domain<'a> {
    pub(crate) dims: Vec<Dim<'a>>,
    /// The `domain = ...` expression, where errors about the whole domain point.
    pub(crate) expr: &'a Expr,
    /// The most entries the table may have (`max_entries`, or the default).
    pub(crate) limit: u64,
}

/// Collects errors and remembers whether there was any.
struct Checks<'e> {
    errors: &'e mut Errors,
    ok: bool,
}

impl Checks<'_> {
    fn fail(&mut self, tokens: &dyn ToTokens, message: impl Display) {
        self.errors.at(tokens.to_token_stream(), message);
        self.ok = false;
    }

    fn fail_at(&mut self, span: Span, message: impl Display) {
        self.errors.at_span(span, message);
        self.ok = false;
    }
}

/// Reads `domain` against the parameters of `func`; every mistake goes to
/// `errors`, and `None` comes back if there was any.
pub(crate) fn read<'a>(
    domain: Option<&'a Expr>,
    max_entries: Option<u64>,
    func: &'a Func,
    errors: &mut Errors,
) -> Option<Domain<'a>> {
    let mut checks = Checks { errors, ok: true };
    let name = func.name();
    if let Some(receiver) = func.item.sig.receiver() {
        checks.fail(
            receiver,
            "`#[precompute]` indexes its table by the parameters alone and cannot take `self`; \
             make it a free function of the fields it needs",
        );
    } else if func.in_impl() {
        checks.fail(
            &func.item.sig.output,
            "`#[precompute]` keeps its table in a `static`, which cannot name `Self`; \
             write the type out",
        );
    } else if func.params.is_empty() {
        checks.fail(
            name,
            "`#[precompute]` needs at least one parameter to index its table; \
             for a value computed once, use a `static` holding a `std::sync::LazyLock`",
        );
        return None;
    }
    if let Some(unsafety) = &func.item.sig.unsafety {
        checks.fail(
            unsafety,
            "`#[precompute]` does not support `unsafe fn`; apply it to a safe function \
             and call that from the unsafe one",
        );
    }
    let keys: Vec<Option<Key>> = func
        .params
        .iter()
        .map(|param| {
            let key = Key::of(&param.ty);
            if key.is_none() && !reported_by_check(&param.ty) {
                checks.fail(
                    &param.ty,
                    format_args!(
                        "`#[precompute]` indexes its table by integer and `bool` parameters, and `{}: {}` is neither; \
                         use `#[memoize]` to cache this function instead",
                        param.name,
                        display(&param.ty)
                    ),
                );
            }
            key
        })
        .collect();
    let Some(expr) = domain else {
        checks.fail_at(
            Span::call_site(),
            format_args!(
                "`#[precompute]` needs `domain`, one range per parameter, in order: e.g. `#[precompute(domain = {})]`",
                example(func)
            ),
        );
        return None;
    };
    let entries = entries(expr);
    if entries.len() != func.params.len() {
        checks.fail(
            expr,
            format_args!(
                "`domain` has {} and `{name}` has {}; give one range per parameter, in order: `domain = {}`",
                plural(entries.len(), "entry", "entries"),
                plural(func.params.len(), "parameter", "parameters"),
                example(func)
            ),
        );
    }
    let mut dims = Vec::new();
    for ((param, key), entry) in func.params.iter().zip(&keys).zip(&entries) {
        let Some(bounds) = bounds(entry, &mut checks) else {
            continue;
        };
        let Some(key) = *key else {
            continue;
        };
        let dim = Dim {
            param,
            key,
            bounds,
            entry,
            written: display(entry),
        };
        if let Err((tokens, message)) = dim.check() {
            checks.fail(&tokens, message);
            continue;
        }
        dims.push(dim);
    }
    let limit = max_entries.unwrap_or(DEFAULT_LIMIT);
    if checks.ok {
        let sizes: Option<Vec<u128>> = dims.iter().map(Dim::literal_len).collect();
        let total = sizes.map(|sizes| sizes.iter().fold(1u128, |n, &size| n.saturating_mul(size)));
        if let Some(total) = total.filter(|&total| total > u128::from(limit)) {
            checks.fail(
                expr,
                format_args!(
                    "this domain has {} entries, more than the {} a table may hold; \
                     use `#[memoize]` to cache only the arguments that occur, or raise the limit with `max_entries = {total}`",
                    grouped(total),
                    grouped(u128::from(limit))
                ),
            );
        }
    }
    checks.ok.then_some(Domain { dims, expr, limit })
}

/// Types whose error `check` reports for every attribute (`impl Trait`, `&mut`).
fn reported_by_check(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(_) => true,
        Type::Reference(r) => r.mutability.is_some() || reported_by_check(&r.elem),
        _ => false,
    }
}

/// `(a..b, c)` into its entries; a lone range is one entry.
fn entries(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::Tuple(tuple) => tuple.elems.iter().collect(),
        Expr::Paren(paren) => vec![&*paren.expr],
        Expr::Group(group) => entries(&group.expr),
        other => vec![other],
    }
}

/// One entry into its bounds, reporting what is not a range or `_`.
fn bounds<'a>(entry: &'a Expr, checks: &mut Checks) -> Option<Bounds<'a>> {
    match entry {
        Expr::Infer(_) => Some(Bounds::Whole),
        Expr::Paren(paren) => bounds(&paren.expr, checks),
        Expr::Group(group) => bounds(&group.expr, checks),
        Expr::Range(ExprRange {
            start: Some(start),
            end: Some(end),
            limits,
            ..
        }) => Some(Bounds::Range {
            start,
            end,
            inclusive: matches!(limits, RangeLimits::Closed(_)),
        }),
        Expr::Range(range) => {
            checks.fail(
                range,
                "give this range both bounds: the table needs its first and last value, e.g. `0..100`",
            );
            None
        }
        other => {
            checks.fail(
                other,
                "a `domain` entry is a range `a..b` or `a..=b`, or `_` for every value of a `bool`, `u8` or `i8`",
            );
            None
        }
    }
}

impl Dim<'_> {
    /// What the macro can check without evaluating constants: the tokens at
    /// fault and the message.
    fn check(&self) -> Result<(), (TokenStream, String)> {
        let name = &self.param.name;
        let ty = display(&self.param.ty);
        let at_entry = |message: String| Err((self.entry.to_token_stream(), message));
        match (&self.bounds, self.key) {
            (Bounds::Whole, key) if !key.whole_is_small() => at_entry(format!(
                "`_` stands for every value of a `bool`, `u8` or `i8`, and `{name}: {ty}` has too many; \
                 give `{name}` a range, e.g. `0..100`"
            )),
            (Bounds::Whole, _) => Ok(()),
            (Bounds::Range { .. }, Key::Bool) => at_entry(format!(
                "`{name}: bool` takes `_` in `domain`: the table covers both values"
            )),
            (Bounds::Range { start, end, .. }, key) => {
                if let Some((bound, min, max)) = self.outside(key, start, end) {
                    let whole = if key.whole_is_small() {
                        ", or `_` for every value"
                    } else {
                        ""
                    };
                    return Err((
                        bound.to_token_stream(),
                        format!(
                            "`{}` does not fit in `{name}: {ty}`, whose values are {min}..={max}; \
                             give `{name}` a range inside them{whole}",
                            display(bound)
                        ),
                    ));
                }
                if self.literal_len() == Some(0) {
                    return at_entry(format!(
                        "the range `{}` of `{name}` is empty; give it at least one value",
                        self.written
                    ));
                }
                Ok(())
            }
        }
    }

    /// The first literal bound that does not fit in the parameter's type, with
    /// the type's range as text.
    fn outside<'e>(
        &self,
        key: Key,
        start: &'e Expr,
        end: &'e Expr,
    ) -> Option<(&'e Expr, String, String)> {
        let (min, max) = key.int_range()?;
        let max_text = max.map_or_else(|| u128::MAX.to_string(), |max| max.to_string());
        [start, end].into_iter().find_map(|bound| {
            let value = literal(bound)?;
            let fits = value >= min && max.is_none_or(|max| value <= max);
            (!fits).then(|| (bound, min.to_string(), max_text.clone()))
        })
    }

    /// The number of values, if the bounds are literals.
    fn literal_len(&self) -> Option<u128> {
        match &self.bounds {
            Bounds::Whole => Some(self.key.whole_len()),
            Bounds::Range {
                start,
                end,
                inclusive,
            } => {
                let (start, end) = (literal(start)?, literal(end)?);
                let last = if *inclusive { end } else { end.checked_sub(1)? };
                if last < start {
                    return Some(0);
                }
                u128::try_from(last.checked_sub(start)?)
                    .ok()?
                    .checked_add(1)
            }
        }
    }
}

/// An integer literal bound: `7`, `-3`, `b'a'`, `(4)`.
fn literal(expr: &Expr) -> Option<i128> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(int) => int.base10_parse().ok(),
            Lit::Byte(byte) => Some(i128::from(byte.value())),
            _ => None,
        },
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => {
            literal(&unary.expr)?.checked_neg()
        }
        Expr::Paren(paren) => literal(&paren.expr),
        Expr::Group(group) => literal(&group.expr),
        _ => None,
    }
}

/// A domain the user could write for `func`: `(0..100, _)`.
fn example(func: &Func) -> String {
    let entries: Vec<&str> = func
        .params
        .iter()
        .map(|param| match Key::of(&param.ty) {
            Some(key) if key.whole_is_small() => "_",
            _ => "0..100",
        })
        .collect();
    match entries.as_slice() {
        [one] => (*one).to_owned(),
        _ => format!("({})", entries.join(", ")),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `16777216` as `16,777,216`.
pub(crate) fn grouped(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Tokens as a person writes them: `0..N_RULES`, `-N..=N`, `&str`.
pub(crate) fn display(tokens: &dyn ToTokens) -> String {
    fn word(c: char) -> bool {
        c.is_alphanumeric() || c == '_'
    }
    fn walk(stream: TokenStream, out: &mut String) {
        for tree in stream {
            let text = match &tree {
                TokenTree::Group(group) => {
                    let (open, close) = match group.delimiter() {
                        proc_macro2::Delimiter::Parenthesis => ("(", ")"),
                        proc_macro2::Delimiter::Brace => ("{", "}"),
                        proc_macro2::Delimiter::Bracket => ("[", "]"),
                        proc_macro2::Delimiter::None => ("", ""),
                    };
                    let mut inner = String::new();
                    walk(group.stream(), &mut inner);
                    format!("{open}{inner}{close}")
                }
                other => other.to_string(),
            };
            let joins_words =
                out.chars().last().is_some_and(word) && text.chars().next().is_some_and(word);
            let after_comma = out.ends_with(',');
            if joins_words || after_comma {
                out.push(' ');
            }
            out.push_str(&text);
        }
    }
    let mut out = String::new();
    walk(tokens.to_token_stream(), &mut out);
    out
}
