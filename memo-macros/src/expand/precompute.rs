//! `#[precompute]`: being written.

use proc_macro2::TokenStream;

use crate::errors::Errors;
use crate::model::Func;
use crate::options::Options;

pub(crate) fn expand(_options: &Options, func: &Func, errors: &mut Errors) -> TokenStream {
    errors.at(func.name(), "`#[precompute]` is not available yet");
    TokenStream::new()
}
