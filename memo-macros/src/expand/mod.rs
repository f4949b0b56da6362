//! Writes the code. `run` is the same for every attribute: parse the options,
//! read the function, check it into a plan, and either expand the plan or give
//! back the function untouched beside the errors, so the rest of the user's
//! crate still type-checks. The expanders cannot fail: every check is behind them.

mod common;
mod counted;
mod memoize;
mod precompute;

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::Item;

use crate::check;
use crate::errors::Errors;
use crate::model::Func;
use crate::options::{self, Attr};
use crate::plan::Plan;

pub(crate) fn run(attr: Attr, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let options = options::parse(attr, args, &mut errors);
    let func = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(func)) => func,
        Ok(other) => {
            errors.at(
                item_head(&other),
                format_args!(
                    "`#[{}]` applies to functions only; put it on a `fn`",
                    attr.name()
                ),
            );
            return with_errors(item, errors);
        }
        Err(error) => {
            errors.push(error);
            return with_errors(item, errors);
        }
    };
    let func = Func::read(func);
    match check::plan(attr, &options, &func, errors) {
        Ok(Plan::Memoize(plan)) => memoize::expand(&plan),
        Ok(Plan::Precompute(plan)) => precompute::expand(&plan),
        Ok(Plan::Counted(plan)) => counted::expand(&plan),
        Err(error) => {
            let mut out = func.item.to_token_stream();
            out.extend(error.to_compile_error());
            out
        }
    }
}

fn with_errors(item: TokenStream, errors: Errors) -> TokenStream {
    let error = errors.finish().err().map(|e| e.to_compile_error());
    quote!(#item #error)
}

/// The tokens that name an item's kind (`struct Foo`), where a misplaced
/// attribute's error points.
fn item_head(item: &Item) -> TokenStream {
    fn head(keyword: impl ToTokens, ident: &syn::Ident) -> TokenStream {
        quote!(#keyword #ident)
    }
    match item {
        Item::Struct(s) => head(s.struct_token, &s.ident),
        Item::Enum(e) => head(e.enum_token, &e.ident),
        Item::Mod(m) => head(m.mod_token, &m.ident),
        Item::Trait(t) => head(t.trait_token, &t.ident),
        Item::Static(s) => head(s.static_token, &s.ident),
        Item::Const(c) => head(c.const_token, &c.ident),
        Item::Type(t) => head(t.type_token, &t.ident),
        Item::Impl(i) => i.impl_token.to_token_stream(),
        other => other.to_token_stream(),
    }
}
