//! memo-core's modules form layers whose imports point one way (see
//! `src/call/mod.rs`): a module may use the layers below its own, never one
//! above, and `call` and `report` never use each other. This test reads the
//! sources and fails on an import that breaks the order.

use std::fs;
use std::path::{Path, PathBuf};

/// Bottom first. `call` and `report` share the top.
const LAYERS: [&[&str]; 6] = [
    &["sync"],
    &["store"],
    &["counters"],
    &["function"],
    &["persist"],
    &["call", "report"],
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a source file names as `crate::module`, outside
/// comments.
fn imports(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        for (at, _) in code.match_indices("crate::") {
            let name: String = code[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            found.push(name);
        }
    }
    found
}

#[test]
fn imports_point_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let top = relative.iter().next().unwrap().to_string_lossy();
        let module = top.trim_end_matches(".rs");
        if module == "lib" {
            continue;
        }
        let own =
            rank(module).unwrap_or_else(|| panic!("{module} is in no layer: add it to LAYERS"));
        for used in imports(&fs::read_to_string(file).unwrap()) {
            let Some(theirs) = rank(&used) else { continue };
            if used != module && theirs >= own {
                wrong.push(format!("{} uses crate::{used}", relative.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn private_surface_is_the_call_layer() {
    let lib = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let start = lib.find("pub mod __private").expect("lib.rs has __private");
    let body = &lib[start..];
    let body = &body[..body.find('}').unwrap()];
    let uses: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("pub use"))
        .collect();
    assert_eq!(
        uses,
        ["pub use crate::call::*;"],
        "__private re-exports only from call/"
    );
}
