//! The hot paths in instructions: run under callgrind by `scripts/bench
//! instructions`, which counts only inside the `measure_*` function of one
//! operation (`--toggle-collect`) and divides by the number of calls.
//! Instruction counts are stable on a loaded machine, unlike times; the
//! targets are asserted there (BENCHMARKS.md has the figures).
//!
//! Usage: instructions OPERATION [CALLS]   (scripts/bench runs it)
//!        instructions                    (cargo bench: each operation once, uncounted)

use std::hint::black_box;
use std::sync::Arc;

use hush_core::anonymize::Environment;
use hush_core::clock::SystemClock;
use hush_core::ohttp::KeyConfigs;
use hush_core::schema::MetricId;
use hush_core::seal::{EndpointRules, Endpoints, Route};
use hush_core::tabs::TabId;
use hush_core::{Config, Hush};

const RFC_KEYS_HEX: &str =
    "002d01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003";

/// The page-load URLs of `benches/core.rs`: typical, 100-300 bytes.
const URLS: &[&str] = &[
    "https://en.wikipedia.org/wiki/Oblivious_HTTP?useskin=vector&oldid=1234567890#Protocol_overview_and_history_of_the_standard",
    "https://www.amazon.com/dp/B0CHX3QBCH/ref=sr_1_3?crid=2M4XQ7ZP1ABCD&keywords=usb+c+charger&qid=1700000000&sprefix=usb+c%2Caps%2C180&sr=8-3",
    "https://news.some-regional-paper.co.uk/politics/2026/11/21/a-long-headline-about-the-budget-vote-tonight?utm_source=twitter&utm_medium=social&utm_campaign=share",
    "https://m.youtube.com/watch?v=dQw4w9WgXcQ&list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI&index=12&pp=iAQB8AUB",
];
/// A punycode host (as a browser hands an IDN over), and the same in Unicode.
const IDN_PUNYCODE: &str = "https://www.xn--bcher-kva.de/shop/fachbuecher/informatik-edv/programmiersprachen/rust/?sort=relevance";
const IDN_UNICODE: &str = "https://www.bücher.de/shop/fachbuecher/informatik-edv/programmiersprachen/rust/?sort=relevance";
const SEARCH: &str = "https://www.google.com/search?q=weather+in+jakarta+tomorrow&oq=weather+in+jakarta&sourceid=chrome&ie=UTF-8";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

struct Setup {
    h: Hush,
    normal: TabId,
    private: TabId,
    counter: MetricId,
    _dir: tempfile::TempDir,
}

/// A task configuration for the shipped schema (as `benches/core.rs`); the
/// aggregators' keys are placeholders (nothing is opened in a bench).
fn tasks() -> Vec<u8> {
    let plan = hush_core::dap::Plan::new(
        &hush_core::schema::Schema::default_browser(),
        hush_core::anonymize::Anonymizer::shipped(),
    )
    .unwrap();
    hush_core::dap::TaskConfig::for_plan_x25519(
        &plan,
        "https://leader.invalid/",
        "https://helper.invalid/",
        &[9; 32],
        &[10; 32],
        86_400,
        100,
    )
    .unwrap()
    .to_json()
    .into_bytes()
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let env = Environment::coarse("14.2.7", 34, "en-US").unwrap();
    // Never contacted: the benchmark uploads nothing.
    let endpoints = Endpoints::new(
        "https://collector.invalid/gateway",
        Route::DirectToCollector,
        EndpointRules::Release,
    )
    .unwrap();
    let keys = KeyConfigs::parse(&hex(RFC_KEYS_HEX)).unwrap();
    let mut c = Config::new(dir.path().to_path_buf(), keys, endpoints, tasks(), env);
    // The real clock: every recording call reads it to find its window.
    c.clock = Arc::new(SystemClock);
    c.collection_enabled = Some(true);
    let mut h = Hush::open(c).unwrap();
    let normal = h.open_tab(false).unwrap();
    let private = h.open_tab(true).unwrap();
    let counter = h.metric("bookmarks.added").unwrap();
    Setup {
        h,
        normal,
        private,
        counter,
        _dir: dir,
    }
}

// Each operation is written once (`op_*`, inlined) and runs twice: in a
// warm-up loop that calls it through a pointer, and in its `measure_*`
// function, never inlined, inside which alone callgrind counts. The
// `overhead` operation is the loop and the black-boxed arguments alone.

macro_rules! operations {
    ($($name:ident => |$s:ident, $i:ident| $body:expr;)*) => {
        $(
            #[inline(always)]
            fn $name($s: &mut Setup, $i: u64) {
                $body
            }
        )*
        const OPERATIONS: &[(&str, Operation, Operation)] = &[
            $((stringify!($name), |s, calls| warm(s, calls, $name), measure::$name),)*
        ];
        mod measure {
            use super::*;
            $(
                #[inline(never)]
                pub fn $name(s: &mut Setup, calls: u64) {
                    for i in 0..calls {
                        super::$name(s, i);
                    }
                }
            )*
        }
    };
}

type Operation = fn(&mut Setup, u64);

fn warm(s: &mut Setup, calls: u64, op: fn(&mut Setup, u64)) {
    let op = black_box(op);
    for i in 0..calls {
        op(s, i);
    }
}

operations! {
    // The loop and argument passing alone: scripts/bench subtracts it.
    overhead => |s, _i| {
        black_box((black_box(s.normal), black_box(s.counter)));
    };
    counter => |s, _i| s.h.add(black_box(s.normal), black_box(s.counter), 1).unwrap();
    page => |s, i| {
        let url = URLS[i as usize % URLS.len()];
        s.h.page_loaded(black_box(s.normal), black_box(url.as_bytes()), 840).unwrap()
    };
    page_punycode => |s, _i| s.h.page_loaded(black_box(s.normal), black_box(IDN_PUNYCODE.as_bytes()), 840).unwrap();
    page_unicode => |s, _i| s.h.page_loaded(black_box(s.normal), black_box(IDN_UNICODE.as_bytes()), 840).unwrap();
    search => |s, _i| s.h.searched(black_box(s.normal), black_box(SEARCH.as_bytes())).unwrap();
    private_page => |s, _i| s.h.page_loaded(black_box(s.private), black_box(URLS[0].as_bytes()), 100).unwrap();
    private_counter => |s, _i| s.h.add(black_box(s.private), black_box(s.counter), 1).unwrap();
    registrable => |_s, i| {
        black_box(hush_core::anonymize::registrable_domain(black_box(HOSTS[i as usize % HOSTS.len()])));
    };
    registrable_psl_crate => |_s, i| {
        black_box(psl::Psl::domain(&psl::List, black_box(HOSTS[i as usize % HOSTS.len()]).as_bytes()));
    };
}

/// The hosts of `benches/anonymize.rs`'s registrable-domain bench.
const HOSTS: &[&str] = &[
    "www.google.com",
    "www.bbc.co.uk",
    "m.facebook.com",
    "shop.example.co.uk",
    "someone.github.io",
    "www.amazon.in",
    "a.b.c.kawasaki.jp",
    "bucket.s3.amazonaws.com",
];

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let selected: Vec<&(&str, Operation, Operation)> = match args.first() {
        Some(name) => vec![OPERATIONS
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("unknown operation {name}"))],
        None => OPERATIONS.iter().collect(),
    };
    let calls: u64 = args
        .get(1)
        .map_or(1, |n| n.parse().expect("CALLS is a number"));
    for (name, warm_up, measured) in selected {
        let mut s = setup();
        // First-use work (the allow-list map, the window's entries) is not
        // the hot path: it happens in the warm-up, outside the count.
        warm_up(&mut s, 1_000);
        measured(&mut s, calls);
        if args.is_empty() {
            println!("{name}: ran (count instructions with `scripts/bench instructions`)");
        }
    }
}
