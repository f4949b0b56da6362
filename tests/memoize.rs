//! `#[memoize]`: every behaviour API.md lists, with exact counts.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use memo::memoize;

#[memoize]
fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

#[test]
fn fib_35_from_empty_counts_exactly_and_clear_resets() {
    assert_eq!(fib(35), 9_227_465);
    let s = fib::stats();
    assert_eq!((s.calls, s.hits, s.misses, s.entries), (69, 33, 36, 36));
    assert_eq!(s.name, "memoize::fib");
    assert_eq!(s.kind, memo::Kind::Memoize);
    assert_eq!(fib(35), 9_227_465);
    assert_eq!(fib::stats().hits, 34);

    fib::clear();
    let s = fib::stats();
    assert_eq!((s.calls, s.hits, s.misses, s.entries), (0, 0, 0, 0));
    assert_eq!(fib(35), 9_227_465);
    let s = fib::stats();
    assert_eq!(
        (s.calls, s.hits, s.misses),
        (69, 33, 36),
        "clear() dropped every entry"
    );
}

static LRU_RUNS: AtomicUsize = AtomicUsize::new(0);

#[memoize(capacity = 2, policy = lru)]
fn lru(k: u32) -> u32 {
    LRU_RUNS.fetch_add(1, SeqCst);
    k * 10
}

#[test]
fn capacity_evicts_in_exact_lru_order() {
    // 1 2 | 1 hit (1 most recent) | 3 evicts 2 | 1 hit | 2 miss evicts 3 | 3 miss evicts 1
    let sequence = [1, 2, 1, 3, 1, 2, 3];
    let expected_hit = [false, false, true, false, true, false, false];
    for (k, hit) in sequence.into_iter().zip(expected_hit) {
        let before = LRU_RUNS.load(SeqCst);
        assert_eq!(lru(k), k * 10);
        assert_eq!(LRU_RUNS.load(SeqCst) == before, hit, "key {k}");
    }
    let s = lru::stats();
    assert_eq!((s.calls, s.hits, s.misses), (7, 2, 5));
    assert_eq!((s.entries, s.evictions, s.capacity), (2, 3, Some(2)));
}

static LOCAL_RUNS: AtomicUsize = AtomicUsize::new(0);

#[memoize(thread_local)]
fn per_thread(k: u32) -> u32 {
    LOCAL_RUNS.fetch_add(1, SeqCst);
    k + 1
}

#[test]
fn thread_local_caches_are_per_thread_and_clear_reaches_all() {
    let run = || {
        for k in 0..10 {
            for _ in 0..3 {
                assert_eq!(per_thread(k), k + 1);
            }
        }
    };
    std::thread::scope(|s| {
        s.spawn(run);
        s.spawn(run);
    });
    assert_eq!(LOCAL_RUNS.load(SeqCst), 20, "each thread computes its own");
    let s = per_thread::stats();
    assert_eq!((s.calls, s.hits, s.misses), (60, 40, 20));
    assert!(s.thread_local);

    // A thread that stays alive keeps its entries, and `clear()` from another
    // thread drops them.
    let (to_worker, from_main) = std::sync::mpsc::channel::<()>();
    let (to_main, from_worker) = std::sync::mpsc::channel::<usize>();
    let worker = std::thread::spawn(move || {
        per_thread(100);
        to_main.send(LOCAL_RUNS.load(SeqCst)).unwrap();
        from_main.recv().unwrap();
        per_thread(100);
        to_main.send(LOCAL_RUNS.load(SeqCst)).unwrap();
    });
    let first = from_worker.recv().unwrap();
    // The scoped threads above have returned, but their thread-locals (whose
    // entries count until dropped) may still be in their destructors.
    let settled = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while per_thread::stats().entries != 1 && std::time::Instant::now() < settled {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(per_thread::stats().entries, 1, "the live thread's entry");
    per_thread::clear();
    assert_eq!(per_thread::stats().entries, 0);
    to_worker.send(()).unwrap();
    assert_eq!(
        from_worker.recv().unwrap(),
        first + 1,
        "recomputed after clear"
    );
    worker.join().unwrap();
}

static TTL_RUNS: AtomicUsize = AtomicUsize::new(0);

#[memoize(ttl = "40ms")]
fn with_ttl(k: u32) -> u32 {
    TTL_RUNS.fetch_add(1, SeqCst);
    k
}

#[test]
fn ttl_recomputes_expired_entries() {
    with_ttl(1);
    with_ttl(1);
    assert_eq!(TTL_RUNS.load(SeqCst), 1);
    std::thread::sleep(Duration::from_millis(60));
    with_ttl(1);
    assert_eq!(TTL_RUNS.load(SeqCst), 2);
    let s = with_ttl::stats();
    assert_eq!((s.calls, s.hits, s.misses), (3, 1, 2));
    assert_eq!(s.ttl, Some(Duration::from_millis(40)));
}

#[derive(Clone)]
struct User {
    id: u64,
    name: String,
}

static KEY_RUNS: AtomicUsize = AtomicUsize::new(0);

#[memoize(key = (user.id, day))]
fn greeting(user: &User, day: u32, verbose: bool) -> String {
    KEY_RUNS.fetch_add(1, SeqCst);
    let _ = verbose;
    format!("{} {day}", user.name)
}

#[test]
fn key_expression_leaves_other_parameters_out() {
    let ann = User {
        id: 1,
        name: "ann".into(),
    };
    let renamed = User {
        id: 1,
        name: "bob".into(),
    };
    assert_eq!(greeting(&ann, 3, true), "ann 3");
    assert_eq!(
        greeting(&renamed, 3, false),
        "ann 3",
        "same (id, day): cached"
    );
    assert_eq!(greeting(&renamed, 4, false), "bob 4");
    assert_eq!(KEY_RUNS.load(SeqCst), 2);
}

static STR_RUNS: AtomicUsize = AtomicUsize::new(0);

#[memoize]
fn describe(s: &str, bytes: &[u8], n: &u32) -> String {
    STR_RUNS.fetch_add(1, SeqCst);
    format!("{s}:{}:{n}", bytes.len())
}

#[test]
fn borrowed_arguments_are_keyed_by_their_owned_form() {
    let a = String::from("abc");
    let b = String::from("abc");
    assert_eq!(describe(&a, &[1, 2], &7), "abc:2:7");
    let bytes: Vec<u8> = vec![1, 2];
    assert_eq!(describe(&b, &bytes, &7), "abc:2:7");
    assert_eq!(
        STR_RUNS.load(SeqCst),
        1,
        "equal contents, different allocations: a hit"
    );
    describe("abd", &[1, 2], &7);
    describe("abc", &[1, 3], &7);
    describe("abc", &[1, 2], &8);
    assert_eq!(STR_RUNS.load(SeqCst), 4);
    assert_eq!(describe::stats().entries, 4);
}

static ZERO_RUNS: AtomicUsize = AtomicUsize::new(0);

#[memoize]
fn config() -> Vec<String> {
    ZERO_RUNS.fetch_add(1, SeqCst);
    vec!["a".into()]
}

#[test]
fn zero_argument_functions_run_once() {
    for _ in 0..5 {
        assert_eq!(config(), ["a"]);
    }
    assert_eq!(ZERO_RUNS.load(SeqCst), 1);
    assert_eq!(config::stats().entries, 1);
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Grid {
    w: u32,
}

static AREA_RUNS: AtomicUsize = AtomicUsize::new(0);

impl Grid {
    #[memoize]
    fn cells(&self, h: u32) -> u64 {
        AREA_RUNS.fetch_add(1, SeqCst);
        u64::from(self.w) * u64::from(h)
    }

    #[memoize(thread_local)]
    fn into_label(self) -> String {
        format!("grid {}", self.w)
    }
}

#[test]
fn methods_key_on_self_and_report_by_name() {
    let g = Grid { w: 3 };
    assert_eq!(g.cells(4), 12);
    assert_eq!(g.clone().cells(4), 12);
    assert_eq!(Grid { w: 5 }.cells(4), 20);
    assert_eq!(AREA_RUNS.load(SeqCst), 2);
    assert_eq!(g.clone().into_label(), "grid 3");
    assert_eq!(g.into_label(), "grid 3");
    let report = memo::report();
    let s = report
        .get("memoize::Grid::cells")
        .expect("methods are in the report by name");
    assert_eq!((s.calls, s.hits, s.misses), (3, 1, 2));
    let s = report.get("memoize::Grid::into_label").unwrap();
    assert_eq!((s.calls, s.hits), (2, 1));
}

static PARSE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[memoize]
fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
    PARSE_RUNS.fetch_add(1, SeqCst);
    s.parse()
}

#[test]
fn err_is_returned_but_not_cached() {
    assert!(parse("x").is_err());
    assert!(parse("x").is_err());
    assert_eq!(PARSE_RUNS.load(SeqCst), 2);
    assert_eq!(parse("5"), Ok(5));
    assert_eq!(parse("5"), Ok(5));
    assert_eq!(PARSE_RUNS.load(SeqCst), 3);
    let s = parse::stats();
    assert_eq!((s.calls, s.hits, s.misses, s.entries), (4, 1, 3, 1));
}

static PANIC_RUNS: AtomicUsize = AtomicUsize::new(0);

#[memoize]
fn fragile(k: u32) -> u32 {
    if PANIC_RUNS.fetch_add(1, SeqCst) == 0 {
        panic!("first call fails");
    }
    k * 2
}

#[test]
fn a_panic_caches_nothing_and_poisons_nothing() {
    let outcome = std::panic::catch_unwind(|| fragile(1));
    assert!(outcome.is_err());
    assert_eq!(fragile::stats().entries, 0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| assert_eq!(fragile(1), 2));
        }
    });
    assert_eq!(fragile(1), 2);
    let s = fragile::stats();
    assert_eq!(s.entries, 1);
    assert_eq!(
        s.calls, 6,
        "the call that panicked, four threads' and the last"
    );
    assert_eq!(s.misses, PANIC_RUNS.load(SeqCst) as u64);
}

static SHARED_RUNS: AtomicUsize = AtomicUsize::new(0);

#[memoize]
fn shared(k: u32) -> u64 {
    SHARED_RUNS.fetch_add(1, SeqCst);
    u64::from(k) * 3
}

#[test]
fn eight_threads_count_exactly_and_body_runs_equal_misses() {
    let barrier = Arc::new(Barrier::new(8));
    std::thread::scope(|s| {
        for _ in 0..8 {
            let barrier = Arc::clone(&barrier);
            s.spawn(move || {
                barrier.wait();
                for round in 0..1_000 {
                    for k in 0..100 {
                        assert_eq!(shared((k + round) % 100), u64::from((k + round) % 100) * 3);
                    }
                }
            });
        }
    });
    let s = shared::stats();
    assert_eq!(s.calls, 8 * 1_000 * 100);
    assert_eq!(s.misses, SHARED_RUNS.load(SeqCst) as u64);
    assert!(
        s.misses >= 100 && s.misses <= 800,
        "each key computed by at most every thread once"
    );
    assert_eq!(s.entries, 100);
}

static RACE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[memoize]
fn raced(k: u32) -> u32 {
    RACE_RUNS.fetch_add(1, SeqCst);
    k ^ 0x55
}

#[memoize(capacity = 16)]
fn raced_lru(k: u32) -> u32 {
    k ^ 0x55
}

#[memoize(thread_local)]
fn raced_local(k: u32) -> u32 {
    k ^ 0x55
}

#[test]
fn clear_racing_with_calls_keeps_the_cache_consistent() {
    let stop = std::sync::atomic::AtomicBool::new(false);
    let made = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut k = 0;
                while !stop.load(SeqCst) {
                    assert_eq!(raced(k % 64), (k % 64) ^ 0x55);
                    assert_eq!(raced_lru(k % 64), (k % 64) ^ 0x55);
                    assert_eq!(raced_local(k % 64), (k % 64) ^ 0x55);
                    k += 1;
                    made.fetch_add(1, SeqCst);
                }
            });
        }
        s.spawn(|| {
            for _ in 0..200 {
                raced::clear();
                raced_lru::clear();
                raced_local::clear();
                std::thread::yield_now();
            }
            stop.store(true, SeqCst);
        });
    });
    // Counts since the last `clear()`: never more calls than were made, nor
    // more misses than runs.
    let made = made.load(SeqCst);
    for s in [raced::stats(), raced_lru::stats(), raced_local::stats()] {
        assert!(
            s.calls <= made as u64,
            "{}: {} calls of {made} made",
            s.name,
            s.calls
        );
    }
    assert!(raced::stats().misses <= RACE_RUNS.load(SeqCst) as u64);
    assert!(raced_lru::stats().entries <= 16);
    raced::clear();
    let before = RACE_RUNS.load(SeqCst);
    raced(1);
    raced(1);
    assert_eq!(RACE_RUNS.load(SeqCst), before + 1);
    let s = raced::stats();
    assert_eq!((s.calls, s.hits, s.misses, s.entries), (2, 1, 1, 1));
}

#[memoize]
fn never_called(k: u8) -> u8 {
    k
}

#[test]
fn the_report_lists_functions_before_their_first_call() {
    let report = memo::report();
    let s = report
        .get("memoize::never_called")
        .expect("registered at link time");
    assert_eq!((s.calls, s.entries), (0, 0));
    let table = report.to_string();
    let header = table.lines().next().unwrap();
    for column in [
        "function",
        "kind",
        "calls",
        "hits",
        "misses",
        "hit rate",
        "entries",
        "evictions",
    ] {
        assert!(header.contains(column), "{header}");
    }
    assert!(table.contains("memoize::never_called"));
    assert!(report.iter().any(|s| s.name == "memoize::fib"));
}

mod nested {
    /// Visibility and paths: a `pub(crate)` function in a child module.
    #[memo::memoize(crate = ::memo)]
    pub(crate) fn double(x: i64) -> i64 {
        x * 2
    }
}

#[test]
fn crate_option_and_module_paths() {
    assert_eq!(nested::double(4), 8);
    assert_eq!(nested::double::stats().name, "memoize::nested::double");
}

#[test]
fn parameters_named_like_internals_still_work() {
    #[memoize]
    fn inner(key: u32, cache: u32, result: u32, mut local: u32) -> u32 {
        local += 1;
        key + cache + result + local
    }
    assert_eq!(inner(1, 2, 3, 4), 11);
    assert_eq!(inner(1, 2, 3, 4), 11);
    assert_eq!(inner::stats().hits, 1);
}
