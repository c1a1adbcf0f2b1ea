//! Property (P1, P2): for any interleaving of open/close/record calls across
//! normal and private tabs, the reports equal those of the same trace with
//! every private-tab call removed (Enhanced incognito on), or with only the
//! private tabs' `aggregate` counters kept (off).

mod common;

use common::{without_id, Harness};
use hush_core::report::Report;
use hush_core::tabs::TabId;
use proptest::prelude::*;

const URLS: &[&str] = &[
    "https://www.wikipedia.org/wiki/Page",
    "https://google.com/maps?q=home",
    "https://unknown-site.example.net/x",
    "ftp://example.com/file",
    "https://www.bing.com/search?q=a",
    "not a url",
];
const COUNTERS: &[&str] = &[
    "bookmarks.added",
    "tabs.private_opened",
    "tabs.opened",
    "downloads.started",
];

#[derive(Debug, Clone)]
enum Op {
    Open(bool),
    Close(usize),
    Page(usize, usize, u64),
    Search(usize, usize),
    Count(usize, usize),
    Label(usize, bool),
    Advance(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => any::<bool>().prop_map(Op::Open),
        1 => any::<usize>().prop_map(Op::Close),
        4 => (any::<usize>(), 0..URLS.len(), 0u64..20_000).prop_map(|(t, u, ms)| Op::Page(t, u, ms)),
        2 => (any::<usize>(), 0..URLS.len()).prop_map(|(t, u)| Op::Search(t, u)),
        4 => (any::<usize>(), 0..COUNTERS.len()).prop_map(|(t, m)| Op::Count(t, m)),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(t, ok)| Op::Label(t, ok)),
        1 => (1u8..30).prop_map(Op::Advance),
    ]
}

/// Runs `ops`, skipping calls through a private tab unless `keep_private`
/// says otherwise. Tabs are named by the order they were opened in.
fn run(ops: &[Op], enhanced: bool, keep_private: impl Fn(&Op) -> bool) -> Vec<Report> {
    let t = Harness::new();
    let mut h = t.open();
    h.set_enhanced_incognito(enhanced);
    let mut tabs: Vec<(TabId, bool)> = Vec::new();
    let pick =
        |tabs: &Vec<(TabId, bool)>, i: usize| (!tabs.is_empty()).then(|| tabs[i % tabs.len()]);
    for op in ops {
        if let Op::Open(private) = op {
            // Open every tab in both runs so the naming stays aligned.
            tabs.push((h.open_tab(*private).unwrap(), *private));
            continue;
        }
        if let Op::Advance(hours) = op {
            t.clock.advance_ms(i64::from(*hours) * 3_600_000);
            continue;
        }
        let i = match op {
            Op::Close(i)
            | Op::Page(i, ..)
            | Op::Search(i, _)
            | Op::Count(i, _)
            | Op::Label(i, _) => *i,
            _ => unreachable!(),
        };
        let Some((tab, private)) = pick(&tabs, i) else {
            continue;
        };
        if private && !keep_private(op) && !matches!(op, Op::Close(_)) {
            continue;
        }
        let _ = match op {
            Op::Close(_) => h.close_tab(tab).map_err(|e| e.to_string()),
            Op::Page(_, u, ms) => h
                .page_loaded(tab, URLS[*u].as_bytes(), *ms)
                .map_err(|e| e.to_string()),
            Op::Search(_, u) => h
                .searched(tab, URLS[*u].as_bytes())
                .map_err(|e| e.to_string()),
            Op::Count(_, m) => {
                let m = h.metric(COUNTERS[*m]).unwrap();
                h.add(tab, m, 1).map_err(|e| e.to_string())
            }
            Op::Label(_, ok) => {
                let m = h.metric("settings.switched").unwrap();
                h.add_label(tab, m, if *ok { "dark_mode_on" } else { "bogus" }, 1)
                    .map_err(|e| e.to_string())
            }
            _ => unreachable!(),
        };
    }
    let mut reports = h.closed_reports();
    reports.push(h.pending_report());
    reports.into_iter().map(without_id).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn enhanced_on_private_calls_have_no_effect(ops in proptest::collection::vec(op(), 0..60)) {
        let all = run(&ops, true, |_| true);
        let without_private = run(&ops, true, |_| false);
        prop_assert_eq!(all, without_private);
    }

    #[test]
    fn enhanced_off_only_aggregate_counters_count(ops in proptest::collection::vec(op(), 0..60)) {
        let all = run(&ops, false, |_| true);
        let aggregate_only = run(&ops, false, |op| matches!(op, Op::Count(_, 1)));
        prop_assert_eq!(all, aggregate_only);
    }
}
