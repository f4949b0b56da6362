//! Procedural macros of memo.
