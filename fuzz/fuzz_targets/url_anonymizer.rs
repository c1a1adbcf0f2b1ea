//! The URL anonymizer on arbitrary bytes: `page`, `search` and `explain`
//! agree on every URL (same drop reason, same reported label), and what is
//! reported is `other`, an allow-list entry or a shipped engine (P5, P6).
#![no_main]

use hush_core::anonymize::{Anonymizer, DomainLabel, EngineLabel, PageOutcome, SearchOutcome};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|url: &[u8]| {
    let a = Anonymizer::shipped();
    let explained = a.explain(url);
    match (a.page(url), a.search(url)) {
        (PageOutcome::Domain(label), SearchOutcome::Engine(engine)) => {
            assert_eq!(explained.reported.as_deref(), Some(label.as_str()));
            assert_eq!(a.domain_label(label.as_str()), Some(label));
            assert!(
                label == DomainLabel::OTHER
                    || a.allow_list().binary_search(&label.as_str()).is_ok()
            );
            assert_eq!(a.engine_label(engine.as_str()), Some(engine));
            assert!(engine == EngineLabel::OTHER || a.engines().any(|e| e == engine));
            let registrable = explained
                .registrable_domain
                .expect("a reported domain has one");
            // The registrable domain itself, or a country variant of a
            // global brand folded into its label (P5).
            if label != DomainLabel::OTHER && registrable != label.as_str() {
                assert_eq!(a.domain_label(&registrable), Some(label), "{registrable}");
            }
        }
        (PageOutcome::Dropped(page), SearchOutcome::Dropped(search)) => {
            assert_eq!(page, search);
            assert_eq!(explained.reported, None);
            assert_eq!(explained.reason, page.as_str());
        }
        (page, search) => panic!("page {page:?} but search {search:?}"),
    }
});
