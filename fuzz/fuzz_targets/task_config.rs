//! The DAP task configuration the app pins (P15), from any bytes: parsing
//! against the shipped schema's plan never panics, under either endpoint
//! rules; what parses has one task per planned task, in the plan's order,
//! aggregator URLs the rules accept, an upload target for each task (split
//! without a panic), and reads back the same from its own shipped form.
#![no_main]

use hush_core::anonymize::Anonymizer;
use hush_core::dap::{Plan, TaskConfig};
use hush_core::schema::Schema;
use hush_core::seal::{check_endpoint, EndpointRules};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static PLAN: Plan = Plan::new(&Schema::default_browser(), Anonymizer::shipped())
        .expect("the shipped plan");
}

fuzz_target!(|data: &[u8]| {
    PLAN.with(|plan| {
        for rules in [EndpointRules::Release, EndpointRules::LoopbackForTests] {
            let Ok(config) = TaskConfig::parse(data, plan, rules) else {
                continue;
            };
            let names: Vec<&str> = config.tasks.iter().map(|t| t.name.as_str()).collect();
            let planned: Vec<&str> = plan.tasks().iter().map(|t| t.name.as_str()).collect();
            assert_eq!(names, planned);
            for url in [&config.leader, &config.helper] {
                assert!(url.ends_with('/'), "{url}");
                assert!(
                    check_endpoint(url, "aggregator URL", rules).is_ok(),
                    "{url}"
                );
            }
            assert!(config.time_precision > 0 && config.time_precision % 86_400 == 0);
            for t in &config.tasks {
                let (scheme, authority, path) = config.upload_target(&t.task_id);
                assert_eq!(
                    format!("{scheme}://{authority}{path}"),
                    config.upload_url(&t.task_id)
                );
            }
            let again = TaskConfig::parse(config.to_json().as_bytes(), plan, rules)
                .expect("its own shipped form parses");
            assert_eq!(again, config);
        }
    });
});
