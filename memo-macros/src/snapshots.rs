//! Expansion snapshots: every `tests/expand/*.rs` at the workspace root is
//! expanded and pretty-printed next to it as `*.expanded.rs`, so a reader sees
//! the generated code without installing anything and a change shows in review.
//! `MEMO_BLESS=1 cargo test -p memo-macros` rewrites the snapshots.

use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Attribute, ImplItem, Item};

use crate::expand;
use crate::options::Attr;

fn attr_of(attrs: &mut Vec<Attribute>) -> Option<(Attr, TokenStream)> {
    let at = attrs.iter().position(|a| {
        let last = a.path().segments.last().map(|s| s.ident.to_string());
        matches!(last.as_deref(), Some("memoize" | "precompute" | "counted"))
    })?;
    let attr = attrs.remove(at);
    let kind = match attr.path().segments.last()?.ident.to_string().as_str() {
        "memoize" => Attr::Memoize,
        "precompute" => Attr::Precompute,
        _ => Attr::Counted,
    };
    let args = match attr.meta {
        syn::Meta::List(list) => list.tokens,
        _ => TokenStream::new(),
    };
    Some((kind, args))
}

fn expand_file(source: &str) -> String {
    let file: syn::File = syn::parse_str(source).expect("snapshot inputs parse");
    let mut out = file.clone();
    out.items.clear();
    for mut item in file.items {
        match &mut item {
            Item::Fn(func) => {
                if let Some((kind, args)) = attr_of(&mut func.attrs) {
                    let expanded = expand::run(kind, args, func.to_token_stream());
                    let parsed: syn::File = syn::parse2(expanded).expect("expansion parses");
                    out.items.extend(parsed.items);
                    continue;
                }
            }
            Item::Impl(block) => {
                let mut items = Vec::new();
                for impl_item in block.items.drain(..) {
                    let ImplItem::Fn(mut method) = impl_item else {
                        items.push(impl_item);
                        continue;
                    };
                    if let Some((kind, args)) = attr_of(&mut method.attrs) {
                        let expanded = expand::run(kind, args, method.to_token_stream());
                        let wrapper: syn::ItemImpl =
                            syn::parse2(quote::quote!(impl X { #expanded }))
                                .expect("expansion parses");
                        items.extend(wrapper.items);
                    } else {
                        items.push(ImplItem::Fn(method));
                    }
                }
                block.items = items;
            }
            _ => {}
        }
        out.items.push(item);
    }
    prettyplease::unparse(&out)
}

fn inputs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/expand");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    files.retain(|p| {
        p.extension().is_some_and(|e| e == "rs") && !p.to_string_lossy().ends_with(".expanded.rs")
    });
    files.sort();
    files
}

#[test]
fn expansions_match_their_snapshots() {
    let bless = std::env::var_os("MEMO_BLESS").is_some();
    let mut stale = Vec::new();
    for input in inputs() {
        let source = fs::read_to_string(&input).expect("readable input");
        let expanded = expand_file(&source);
        let snapshot = input.with_extension("expanded.rs");
        if bless {
            fs::write(&snapshot, &expanded).expect("writable snapshot");
        } else if fs::read_to_string(&snapshot).ok().as_deref() != Some(expanded.as_str()) {
            stale.push(snapshot.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "expansion changed; review and run `MEMO_BLESS=1 cargo test -p memo-macros`: {stale:?}"
    );
}
