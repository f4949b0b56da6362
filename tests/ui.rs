//! Compile-time behaviour of the attributes: every rejected input has a file in
//! `tests/ui/` with the exact message it must produce (`.stderr`), and every
//! shape that must keep compiling has one in `tests/ui/pass/`.
//!
//! Regenerate the expected output after a deliberate change to a message with
//! `TRYBUILD=overwrite cargo test --test ui`, then read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
