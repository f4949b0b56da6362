//! `#[precompute]`: every domain form against the plain function, over the
//! whole domain and around its edges; exact counters; one build under racing
//! threads; `strict`; `const fn` tables; a `no_std` crate. The lints below are
//! the strict user crate of the API contract: CI runs clippy on this file.
#![deny(warnings, missing_docs, unsafe_code)]
#![deny(clippy::all, clippy::pedantic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;

use memo::{precompute, Kind, Stats};

const N_RULES: u32 = 20;
const N: i16 = 3;

/// Every value of `$t` from `$first` to `$last` (as `i128`), and around the
/// range: one below and above it, further out, and the type's extremes.
macro_rules! probes {
    ($t:ty, $first:expr, $last:expr) => {{
        let (first, last): (i128, i128) = ($first, $last);
        let mut values: Vec<$t> = (first..=last)
            .filter_map(|v| <$t>::try_from(v).ok())
            .collect();
        for edge in [first - 1, last + 1, first - 1000, last + 1000] {
            if let Ok(v) = <$t>::try_from(edge) {
                values.push(v);
            }
        }
        values.extend([<$t>::MIN, <$t>::MAX]);
        values
    }};
}

/// Calls and counts since the last `clear()`.
fn counts(stats: &Stats) -> (u64, u64, u64) {
    (stats.calls, stats.hits, stats.misses)
}

fn in_range<T: Into<i128> + Copy>(value: T, first: i128, last: i128) -> bool {
    (first..=last).contains(&value.into())
}

// --- every domain form, against the plain function ---------------------------

fn rule_plain(rule_id: u32, event_type: u32) -> bool {
    rule_id
        .wrapping_mul(7)
        .wrapping_add(event_type.wrapping_mul(3))
        % 5
        < 2
}

#[precompute(domain = (0..N_RULES, 0..=9))]
fn rule(rule_id: u32, event_type: u32) -> bool {
    rule_plain(rule_id, event_type)
}

#[test]
fn half_open_and_inclusive_ranges_with_a_constant_bound() {
    rule::clear();
    let (mut calls, mut hits) = (0, 0);
    for a in probes!(u32, 0, 19) {
        for b in probes!(u32, 0, 9) {
            assert_eq!(rule(a, b), rule_plain(a, b), "rule({a}, {b})");
            calls += 1;
            if a < N_RULES && b <= 9 {
                hits += 1;
            }
        }
    }
    assert_eq!(counts(&rule::stats()), (calls, hits, calls - hits));
    assert_eq!(rule::stats().entries, 200);
}

fn square_plain(n: u64) -> u64 {
    n.wrapping_mul(n)
}

#[precompute(domain = 0..100)]
fn square(n: u64) -> u64 {
    square_plain(n)
}

#[test]
fn a_single_range_needs_no_parentheses() {
    square::clear();
    let probes = probes!(u64, 0, 99);
    for &n in &probes {
        assert_eq!(square(n), square_plain(n), "square({n})");
    }
    let hits = probes.iter().filter(|&&n| n < 100).count() as u64;
    let calls = probes.len() as u64;
    assert_eq!(counts(&square::stats()), (calls, hits, calls - hits));
    assert_eq!(square::stats().entries, 100);
}

fn signed_plain(x: i16, y: i8) -> i32 {
    i32::from(x) * 1000 - i32::from(y)
}

#[precompute(domain = (-N..=N, _))]
fn signed(x: i16, y: i8) -> i32 {
    signed_plain(x, y)
}

#[test]
fn negative_constant_bounds_and_the_whole_of_an_i8() {
    signed::clear();
    let (mut calls, mut hits) = (0, 0);
    for x in probes!(i16, -3, 3) {
        for y in probes!(i8, -128, 127) {
            assert_eq!(signed(x, y), signed_plain(x, y), "signed({x}, {y})");
            calls += 1;
            if in_range(x, -3, 3) {
                hits += 1;
            }
        }
    }
    assert_eq!(counts(&signed::stats()), (calls, hits, calls - hits));
    assert_eq!(signed::stats().entries, 7 * 256);
}

fn name_plain(byte: u8) -> String {
    format!("byte {byte:#04x}")
}

#[precompute(domain = _)]
fn name(byte: u8) -> String {
    name_plain(byte)
}

#[test]
fn the_whole_of_a_u8_and_a_clone_return_type() {
    name::clear();
    for byte in 0..=u8::MAX {
        assert_eq!(name(byte), name_plain(byte));
    }
    assert_eq!(counts(&name::stats()), (256, 256, 0));
    assert_eq!(name::stats().entries, 256);
}

#[precompute(domain = (_, _))]
fn gate(a: bool, b: bool) -> (bool, u8) {
    (a ^ b, u8::from(a) * 2 + u8::from(b))
}

#[test]
fn bool_parameters_cover_both_values() {
    gate::clear();
    for a in [false, true] {
        for b in [false, true] {
            assert_eq!(gate(a, b), (a ^ b, u8::from(a) * 2 + u8::from(b)));
        }
    }
    assert_eq!(counts(&gate::stats()), (4, 4, 0));
    assert_eq!(gate::stats().entries, 4);
}

fn letter_plain(c: u8, upper: bool, shift: i64) -> Option<char> {
    let c = i64::from(c).checked_add(shift)?;
    let c = char::from(u8::try_from(c).ok()?);
    Some(if upper { c.to_ascii_uppercase() } else { c })
}

#[precompute(domain = (b'a'..=b'z', _, -5..5))]
fn letter(c: u8, upper: bool, shift: i64) -> Option<char> {
    letter_plain(c, upper, shift)
}

#[test]
fn byte_literals_a_flag_and_a_negative_literal_range() {
    letter::clear();
    let (mut calls, mut hits) = (0, 0);
    for c in probes!(u8, 97, 122) {
        for upper in [false, true] {
            for shift in probes!(i64, -5, 4) {
                assert_eq!(
                    letter(c, upper, shift),
                    letter_plain(c, upper, shift),
                    "letter({c}, {upper}, {shift})"
                );
                calls += 1;
                if c.is_ascii_lowercase() && in_range(shift, -5, 4) {
                    hits += 1;
                }
            }
        }
    }
    assert_eq!(counts(&letter::stats()), (calls, hits, calls - hits));
    assert_eq!(letter::stats().entries, 26 * 2 * 10);
}

fn extremes_plain(a: u128, b: i128) -> u128 {
    (u128::MAX - a)
        .wrapping_mul(10)
        .wrapping_add(b.abs_diff(i128::MIN))
}

#[precompute(domain = (u128::MAX - 3..=u128::MAX, i128::MIN..i128::MIN + 4))]
fn extremes(a: u128, b: i128) -> u128 {
    extremes_plain(a, b)
}

#[test]
fn bounds_at_the_extremes_of_128_bit_types() {
    extremes::clear();
    let a_values = [u128::MAX, u128::MAX - 3, u128::MAX - 4, 0, 1 << 127];
    let b_values = [i128::MIN, i128::MIN + 3, i128::MIN + 4, -1, 0, i128::MAX];
    let (mut calls, mut hits) = (0, 0);
    for a in a_values {
        for b in b_values {
            assert_eq!(extremes(a, b), extremes_plain(a, b), "extremes({a}, {b})");
            calls += 1;
            if a >= u128::MAX - 3 && b < i128::MIN + 4 {
                hits += 1;
            }
        }
    }
    assert_eq!(counts(&extremes::stats()), (calls, hits, calls - hits));
    assert_eq!(extremes::stats().entries, 16);
}

fn sizes_plain(i: usize, j: isize, k: core::primitive::u16) -> i64 {
    let (i, j) = (
        i64::try_from(i).unwrap_or(-1),
        i64::try_from(j).unwrap_or(-1),
    );
    i.wrapping_mul(100)
        .wrapping_add(j.wrapping_mul(10))
        .wrapping_add(i64::from(k))
}

#[precompute(domain = (10usize..20, (-3..=3), 1000..1002))]
fn sizes(i: usize, j: isize, k: core::primitive::u16) -> i64 {
    sizes_plain(i, j, k)
}

#[test]
fn pointer_sized_integers_a_primitive_path_and_a_parenthesised_range() {
    sizes::clear();
    let (mut calls, mut hits) = (0, 0);
    for i in probes!(usize, 10, 19) {
        for j in probes!(isize, -3, 3) {
            for k in probes!(u16, 1000, 1001) {
                assert_eq!(sizes(i, j, k), sizes_plain(i, j, k), "sizes({i}, {j}, {k})");
                calls += 1;
                if (10..20).contains(&i) && (-3..=3).contains(&j) && (1000..1002).contains(&k) {
                    hits += 1;
                }
            }
        }
    }
    assert_eq!(counts(&sizes::stats()), (calls, hits, calls - hits));
    assert_eq!(sizes::stats().entries, 10 * 7 * 2);
}

mod limits {
    /// Imported below, as an example's shared constants are.
    pub const LEVELS: u8 = 10;

    /// A return type from another module.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Level(pub u8);
}

use limits::{Level, LEVELS};

#[precompute(domain = 0..LEVELS)]
fn level(n: u8) -> Level {
    Level(n.saturating_mul(2))
}

#[test]
fn bounds_and_return_types_may_be_imported_names() {
    assert_eq!(level(4), Level(8));
    assert_eq!(level(200), Level(255));
    assert_eq!(level::stats().entries, 10);
}

#[precompute(domain = (0..10))]
fn early(n: i32) -> &'static str {
    if n % 2 == 0 {
        return "even";
    }
    "odd"
}

#[test]
fn return_in_the_body_keeps_its_meaning() {
    assert_eq!(early(4), "even");
    assert_eq!(early(7), "odd");
    assert_eq!(early(-3), "odd");
    assert_eq!(early(12), "even");
}

/// A public table, built at run time: its companion must satisfy the crate's
/// `missing_docs` and clippy's pedantic lints.
#[precompute(domain = (1..=12, _), strict)]
#[must_use]
pub fn days_in_month(month: u8, leap: bool) -> u8 {
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A public `const fn` table.
#[precompute(domain = _)]
#[must_use]
pub const fn parity(byte: u8) -> bool {
    byte.count_ones() % 2 == 1
}

#[test]
fn public_functions_keep_their_attributes() {
    assert_eq!(days_in_month(2, true), 29);
    assert_eq!(days_in_month(11, false), 30);
    assert!(parity(7));
    days_in_month::init();
    parity::init();
    assert_eq!(days_in_month::stats().entries, 24);
    assert_eq!(parity::stats().entries, 256);
}

// --- building the table ------------------------------------------------------

static RACY_RUNS: AtomicUsize = AtomicUsize::new(0);

#[precompute(domain = 0..5000)]
fn racy(n: u16) -> u32 {
    if n == 0 {
        // Gives the other threads time to arrive while the table is built.
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    RACY_RUNS.fetch_add(1, Ordering::Relaxed);
    u32::from(n) * 3
}

#[test]
fn racing_threads_build_the_table_exactly_once() {
    let barrier = Barrier::new(8);
    std::thread::scope(|s| {
        for t in 0..8_u16 {
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                for n in (t..5000).step_by(97) {
                    assert_eq!(racy(n), u32::from(n) * 3);
                }
            });
        }
    });
    assert_eq!(RACY_RUNS.load(Ordering::Relaxed), 5000);
    assert_eq!(racy(4999), 14_997);
    assert_eq!(racy(5000), 15_000);
    assert_eq!(RACY_RUNS.load(Ordering::Relaxed), 5001);
    let made: usize = (0..8_u16)
        .map(|t| (t..5000).step_by(97).count())
        .sum::<usize>()
        + 2;
    let stats = racy::stats();
    assert_eq!(stats.calls, made as u64);
    assert_eq!(stats.misses, 1);
}

static LAZY_RUNS: AtomicUsize = AtomicUsize::new(0);

#[precompute(domain = 0..=200)]
fn lazy(x: u8) -> u32 {
    LAZY_RUNS.fetch_add(1, Ordering::Relaxed);
    u32::from(x) + 1
}

#[test]
fn init_builds_the_table_once_and_counts_no_call() {
    assert_eq!(LAZY_RUNS.load(Ordering::Relaxed), 0);
    lazy::init();
    assert_eq!(LAZY_RUNS.load(Ordering::Relaxed), 201);
    lazy::init();
    assert_eq!(LAZY_RUNS.load(Ordering::Relaxed), 201);
    assert_eq!(counts(&lazy::stats()), (0, 0, 0));
    assert_eq!(lazy(200), 201);
    assert_eq!(lazy(201), 202);
    assert_eq!(LAZY_RUNS.load(Ordering::Relaxed), 202);
    assert_eq!(counts(&lazy::stats()), (2, 1, 1));
    lazy::clear();
    assert_eq!(counts(&lazy::stats()), (0, 0, 0));
    assert_eq!(lazy(0), 1);
    assert_eq!(
        LAZY_RUNS.load(Ordering::Relaxed),
        202,
        "clear() keeps the table"
    );
}

static FIB_RUNS: AtomicUsize = AtomicUsize::new(0);

#[precompute(domain = 0..=90)]
fn fib(n: u64) -> u64 {
    FIB_RUNS.fetch_add(1, Ordering::Relaxed);
    if n < 2 {
        return n;
    }
    fib(n - 1) + fib(n - 2)
}

#[test]
fn a_recursive_body_reads_the_cells_already_built() {
    assert_eq!(fib(90), 2_880_067_194_370_816_120);
    // One run per cell: each cell's recursive calls find the cells below it.
    assert_eq!(FIB_RUNS.load(Ordering::Relaxed), 91);
    // The first call, and two lookups from each cell above 1 while building.
    assert_eq!(counts(&fib::stats()), (1 + 2 * 89, 1 + 2 * 89, 0));
    fib::clear();
    assert_eq!(fib(91), 4_660_046_610_375_530_309);
    assert_eq!(counts(&fib::stats()), (3, 2, 1));
}

#[precompute(domain = 0..20_000_000, max_entries = 20_000_000)]
fn big(n: u32) -> u8 {
    u8::try_from(n % 256).unwrap_or(0)
}

#[test]
fn max_entries_raises_the_limit_and_nothing_is_built_before_use() {
    assert_eq!(big::stats().entries, 20_000_000);
    assert_eq!(big::stats().kind, Kind::Precompute);
}

// --- strict ------------------------------------------------------------------

#[precompute(domain = (1..N_RULES, -3..=3), strict)]
fn checked(a: u32, b: i8) -> i32 {
    i32::try_from(a).unwrap_or(i32::MAX) * 10 + i32::from(b)
}

fn panic_message(f: impl FnOnce() -> i32 + std::panic::UnwindSafe) -> String {
    let payload = std::panic::catch_unwind(f).expect_err("the call panics");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn strict_panics_outside_the_domain_naming_the_parameter_its_value_and_its_range() {
    assert_eq!(checked(19, -3), 187);
    assert_eq!(
        panic_message(|| checked(0, 0)),
        "memo: `precompute::checked` is `strict`, and `a` = 0 is outside its domain `1..N_RULES` (1..20); \
         widen the domain, or remove `strict` to compute such calls"
    );
    assert_eq!(
        panic_message(|| checked(20, 0)),
        "memo: `precompute::checked` is `strict`, and `a` = 20 is outside its domain `1..N_RULES` (1..20); \
         widen the domain, or remove `strict` to compute such calls"
    );
    assert_eq!(
        panic_message(|| checked(5, 4)),
        "memo: `precompute::checked` is `strict`, and `b` = 4 is outside its domain `-3..=3`; \
         widen the domain, or remove `strict` to compute such calls"
    );
    assert_eq!(
        panic_message(|| checked(5, i8::MIN)),
        "memo: `precompute::checked` is `strict`, and `b` = -128 is outside its domain `-3..=3`; \
         widen the domain, or remove `strict` to compute such calls"
    );
    let stats = checked::stats();
    assert_eq!((stats.misses, stats.calls), (0, stats.hits));
}

// --- const fn: the table is built at compile time ----------------------------

const fn mix_plain(x: u32, flip: bool) -> u64 {
    let v = (x as u64) * 2_654_435_761 % 1_000_003;
    if flip {
        v ^ 0xff
    } else {
        v
    }
}

#[precompute(domain = (0..64, _))]
const fn mix(x: u32, flip: bool) -> u64 {
    mix_plain(x, flip)
}

#[precompute(domain = -2..=2)]
const fn sign(x: i32) -> &'static str {
    match x {
        ..=-1 => "negative",
        0 => "zero",
        _ => "positive",
    }
}

#[precompute(domain = 0..=u16::MAX)]
const fn bits(x: u16) -> u8 {
    #[allow(clippy::cast_possible_truncation)]
    let ones = x.count_ones() as u8;
    ones
}

#[test]
fn const_fn_tables_answer_every_call_in_the_domain_without_the_body() {
    mix::clear();
    let (mut calls, mut hits) = (0, 0);
    for x in probes!(u32, 0, 63) {
        for flip in [false, true] {
            assert_eq!(mix(x, flip), mix_plain(x, flip), "mix({x}, {flip})");
            calls += 1;
            if x < 64 {
                hits += 1;
            }
        }
    }
    assert_eq!(counts(&mix::stats()), (calls, hits, calls - hits));
    assert_eq!(mix::stats().entries, 128);
    mix::init();
    assert_eq!(counts(&mix::stats()), (calls, hits, calls - hits));

    sign::clear();
    assert_eq!(
        [-3, -2, 0, 2, 3].map(sign),
        ["negative", "negative", "zero", "positive", "positive"]
    );
    assert_eq!(counts(&sign::stats()), (5, 3, 2));

    bits::clear();
    for x in 0..=u16::MAX {
        assert_eq!(u32::from(bits(x)), x.count_ones());
    }
    assert_eq!(counts(&bits::stats()), (65_536, 65_536, 0));
    assert_eq!(bits::stats().entries, 65_536);
}

// --- the report ----------------------------------------------------------------

#[test]
fn precomputed_functions_appear_in_the_report() {
    let report = memo::report();
    let stats = report
        .get("precompute::rule")
        .expect("`rule` is in the report");
    assert_eq!(stats.kind, Kind::Precompute);
    assert_eq!(stats.entries, 200);
    assert!(report.get("precompute::bits").is_some());
}

// --- no_std --------------------------------------------------------------------

/// `tests/no_std_crate`, a `#![no_std]` library with a `const fn` table, builds.
/// It is copied under the target directory with the workspace's lock file and
/// built into the workspace's target directory, so that it resolves the same
/// dependencies and reuses their build (cargo has released that directory's
/// lock by the time tests run).
#[test]
fn a_no_std_crate_can_use_a_const_fn_table() {
    use std::path::{Path, PathBuf};

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = root.join("tests/no_std_crate");
    let copy = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no_std_crate");
    std::fs::create_dir_all(copy.join("src")).expect("a scratch directory");
    let manifest = std::fs::read_to_string(source.join("Cargo.toml")).expect("its Cargo.toml");
    let manifest = manifest.replace(
        "path = \"../..\"",
        &format!("path = {:?}", root.display().to_string()),
    );
    std::fs::write(copy.join("Cargo.toml"), manifest).expect("a copy of Cargo.toml");
    std::fs::copy(source.join("src/lib.rs"), copy.join("src/lib.rs")).expect("a copy of lib.rs");
    std::fs::copy(root.join("Cargo.lock"), copy.join("Cargo.lock")).expect("a copy of Cargo.lock");
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let target = tmp.parent().unwrap_or(tmp);
    let output =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--offline", "--manifest-path"])
            .arg(copy.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", target)
            .output()
            .expect("cargo runs");
    assert!(
        output.status.success(),
        "the no_std crate does not build:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// --- calls from thread-local destructors -------------------------------------

#[precompute(domain = 0..10)]
fn warm_up(n: u32) -> u32 {
    n + 1
}

#[precompute(domain = 0..10)]
fn late_first(n: u32) -> u32 {
    n * 2
}

#[precompute(domain = 0..10)]
fn late_last(n: u32) -> u32 {
    n * 3
}

#[precompute(domain = 0..10)]
const fn late_const(n: u32) -> u32 {
    n * 5
}

/// Calls `call` when dropped, and sends its result.
struct CallsOnDrop {
    call: fn() -> [u32; 4],
    results: std::sync::mpsc::Sender<[u32; 4]>,
}

impl Drop for CallsOnDrop {
    fn drop(&mut self) {
        let _ = self.results.send((self.call)());
    }
}

#[test]
fn calls_from_thread_local_destructors_run_after_teardown() {
    use std::cell::RefCell;
    thread_local! {
        // One set before memo's thread-locals exist and one after, so that
        // whichever order the platform runs destructors in, one of them
        // runs after memo's are gone.
        static FIRST: RefCell<Option<CallsOnDrop>> = const { RefCell::new(None) };
        static LAST: RefCell<Option<CallsOnDrop>> = const { RefCell::new(None) };
    }
    let (results, received) = std::sync::mpsc::channel();
    let first = results.clone();
    let thread = std::thread::spawn(move || {
        FIRST.with(|slot| {
            *slot.borrow_mut() = Some(CallsOnDrop {
                call: || [late_first(3), late_first(30), late_const(4), late_const(40)],
                results: first,
            });
        });
        assert_eq!(warm_up(1), 2);
        assert_eq!(late_const(1), 5);
        LAST.with(|slot| {
            *slot.borrow_mut() = Some(CallsOnDrop {
                call: || [late_last(3), late_last(30), late_const(4), late_const(40)],
                results,
            });
        });
    });
    assert!(thread.join().is_ok(), "a call during teardown panicked");
    let mut got: Vec<[u32; 4]> = received.iter().collect();
    got.sort_unstable();
    assert_eq!(got, [[6, 60, 20, 200], [9, 90, 20, 200]]);
}

// --- tables that call each other ---------------------------------------------

#[precompute(domain = 0..40)]
fn ping(a: u32) -> u32 {
    // Widens the window in which both tables are being built.
    std::thread::sleep(std::time::Duration::from_millis(2));
    if a == 0 {
        0
    } else {
        pong(a - 1) + 1
    }
}

#[precompute(domain = 0..40)]
fn pong(a: u32) -> u32 {
    std::thread::sleep(std::time::Duration::from_millis(2));
    if a == 0 {
        0
    } else {
        ping(a - 1) + 1
    }
}

#[test]
fn tables_that_call_each_other_build_on_two_threads_without_deadlock() {
    let (done, finished) = std::sync::mpsc::channel();
    // The watchdog: the two builders run on a thread of their own, so that a
    // deadlock fails this test instead of hanging it.
    std::thread::spawn(move || {
        let barrier = Barrier::new(2);
        let results = std::thread::scope(|s| {
            let a = s.spawn(|| {
                barrier.wait();
                (0..40).map(ping).collect::<Vec<_>>()
            });
            let b = s.spawn(|| {
                barrier.wait();
                (0..40).map(pong).collect::<Vec<_>>()
            });
            (a.join().ok(), b.join().ok())
        });
        let _ = done.send(results);
    });
    let (a, b) = finished
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the two table builds deadlocked");
    let expected: Vec<u32> = (0..40).collect();
    assert_eq!(a.as_ref(), Some(&expected));
    assert_eq!(b.as_ref(), Some(&expected));
    assert_eq!(ping(39), 39);
    assert_eq!(pong(39), 39);
}

// --- inside a function body ----------------------------------------------------

#[test]
fn tables_defined_inside_a_function_body() {
    const LOCAL_N: u32 = 6;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct Local(u32);

    #[precompute(domain = 0..LOCAL_N)]
    fn local_plain(n: u32) -> Local {
        if n == 0 {
            Local(1)
        } else {
            Local(local_plain(n - 1).0 * 2)
        }
    }

    #[precompute(domain = (0..4, _))]
    const fn local_const(n: u8, flip: bool) -> u8 {
        if flip {
            n + 10
        } else {
            n
        }
    }

    local_plain::init();
    local_plain::init();
    local_plain::clear();
    assert_eq!(local_plain(5), Local(32));
    assert_eq!(local_plain(7), Local(128));
    let s = local_plain::stats();
    // 7 and 6 run the body; 5 is read twice.
    assert_eq!((s.calls, s.hits, s.misses, s.entries), (4, 2, 2, 6));
    assert!(s.name.ends_with("::local_plain"), "{}", s.name);

    local_const::init();
    assert_eq!(local_const(3, true), 13);
    assert_eq!(local_const(9, false), 9);
    let s = local_const::stats();
    assert_eq!((s.calls, s.hits, s.misses, s.entries), (2, 1, 1, 8));
}

/// A table of exactly the runtime's limit: the macro must accept it (one
/// cell more is `tests/ui/precompute_too_large.rs`'s error). The macro and
/// the runtime's advice keep the number in two crates (a proc-macro crate
/// cannot share a constant with a runtime one); this ties them.
#[precompute(domain = (0..4096, 0..4096))]
fn at_the_limit(a: u16, b: u16) -> u16 {
    a ^ b
}

#[test]
fn the_macros_table_limit_is_the_runtimes() {
    assert_eq!(memo::thresholds::MAX_TABLE_CELLS, 4096 * 4096);
    assert_eq!(at_the_limit::stats().calls, 0, "declared, never built");
}
