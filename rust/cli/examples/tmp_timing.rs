use hush_core::anonymize::Anonymizer;
use hush_core::dap::Plan;
use hush_core::schema::Schema;
use std::time::Instant;
fn main() {
    let plan = Plan::new(&Schema::default_browser(), Anonymizer::shipped()).unwrap();
    let day = hush_core::report::Report {
        format: hush_core::report::REPORT_FORMAT.into(),
        schema_version: 1,
        report_id: "00".repeat(16),
        day: "2026-01-01".into(),
        environment: hush_core::anonymize::Environment::coarse("1.0", 30, "en").unwrap(),
        metrics: Default::default(),
        errors: Default::default(),
        dropped: Default::default(),
    };
    let ms = plan.measure(&day, Anonymizer::shipped());
    for (t, m) in plan.tasks().iter().zip(&ms) {
        let s = Instant::now();
        t.vdaf.shard(m, &[1; 16]).unwrap();
        println!("{:40} {:?} {:?}", t.name, t.vdaf, s.elapsed());
    }
}
