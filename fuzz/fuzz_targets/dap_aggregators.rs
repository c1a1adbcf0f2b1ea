//! Both reference DAP aggregators, in process, on one development
//! deployment: arbitrary bytes to every resource a peer can reach (the
//! leader's upload and collection-job endpoints, the helper's
//! aggregation-job and aggregate-share endpoints, each with the right
//! token, so the fuzzer gets past authentication into decoding), and
//! edits of a valid device upload. Whatever comes in, an aggregator
//! answers, never with a 5xx (nothing here makes its store fail), and an
//! upload is accepted only if it is a report the device could have made.
#![no_main]

use std::sync::OnceLock;

use hush_cli::dap::helper::Helper;
use hush_cli::dap::http::{Request, Response, Service};
use hush_cli::dap::leader::Leader;
use hush_fuzz::dap::{Deployment, Route};
use libfuzzer_sys::fuzz_target;

struct Aggregators {
    dep: Deployment,
    leader: Leader,
    helper: Helper,
}

fn aggregators() -> &'static Aggregators {
    static AGGREGATORS: OnceLock<Aggregators> = OnceLock::new();
    AGGREGATORS.get_or_init(|| {
        let dep = Deployment::create();
        let (leader, helper) = dep.open();
        // The path under test is live: every task's valid upload is
        // accepted before any input is tried.
        for task in 0..dep.tasks() {
            let req = dep.request(Route::EditedUpload, task, dep.edited_upload(task, &[]));
            let status = answer(&leader, req).status;
            assert_eq!(status, 200, "task {task}'s valid upload was refused");
        }
        Aggregators {
            dep,
            leader,
            helper,
        }
    })
}

fn answer(service: &impl Service, req: Request) -> Response {
    let limit = service.body_limit(&req.method, &req.path, &req.headers);
    if req.body.len() > limit {
        return Response::empty(hyper::StatusCode::PAYLOAD_TOO_LARGE);
    }
    let path = req.path.clone();
    let answer = service.handle(req);
    service.finish(&path, answer)
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let a = aggregators();
    let Some((&task, body)) = rest.split_first() else {
        return;
    };
    let route = Route::ALL[usize::from(selector) % Route::ALL.len()];
    let task = usize::from(task) % a.dep.tasks();
    let body = match route {
        Route::EditedUpload => a.dep.edited_upload(task, body),
        _ => body.to_vec(),
    };
    let req = a.dep.request(route, task, body.clone());
    let response = match route.aggregator() {
        hush_fuzz::dap::Role::Leader => answer(&a.leader, req),
        hush_fuzz::dap::Role::Helper => answer(&a.helper, req),
    };
    let status = response.status.as_u16();
    assert!(status < 500, "{route:?} answered {status}");
    if route.is_upload() && status == 200 {
        a.dep.check_accepted(task, &body);
    }
});
