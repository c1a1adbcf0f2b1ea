//! Bad input to the real leader, helper and gateway gets a clear error (a
//! DAP problem document with Janus's status, or the RFC 9458 key problem)
//! and loses nothing: malformed messages, a wrong task, a wrong media type,
//! an oversized body, an unknown HPKE configuration id, a missing or wrong
//! auth token, a time out of range, a wrong step. Afterwards the valid
//! reports still total exactly, and the stores hold nothing of the rest.

mod dap_common;

use std::collections::BTreeMap;

use dap_common::*;
use hush_core::dap::DapReport;
use hush_core::report::MetricValue;
use janus_messages::codec::{Decode, Encode};
use janus_messages::query_type::TimeInterval;
use janus_messages::{
    AggregationJobContinueReq, AggregationJobInitializeReq, AggregationJobResp, AggregationJobStep,
    Collection, CollectionReq, Duration as DapDuration, HpkeCiphertext, HpkeConfigId,
    HpkeConfigList, Interval, PartialBatchSelector, PrepareContinue, PrepareError, PrepareInit,
    PrepareStepResult, Query, Report, ReportShare, TaskId, Time,
};
use serde_json::Value;

const MIN_BATCH: u64 = 3;

type Answer = (u16, String, Vec<u8>);

/// Checks an answer is the problem document of `type_suffix` (a DAP
/// problem type, or `about:blank`) with `status`; returns the document.
fn problem(answer: &Answer, status: u16, type_suffix: &str) -> Value {
    let (got, content_type, body) = answer;
    assert_eq!(*got, status, "{}", String::from_utf8_lossy(body));
    assert_eq!(content_type, "application/problem+json");
    let doc: Value = serde_json::from_slice(body).unwrap();
    let want = if type_suffix == "about:blank" {
        type_suffix.to_owned()
    } else {
        format!("urn:ietf:params:ppm:dap:error:{type_suffix}")
    };
    assert_eq!(doc["type"], want.as_str(), "{doc}");
    assert_eq!(doc["status"], status);
    assert!(doc["title"].as_str().is_some_and(|t| !t.is_empty()));
    doc
}

fn device(dep: &Deployment, day: &str, i: u64) -> Vec<DapReport> {
    let m = BTreeMap::from([("tabs.opened".to_owned(), MetricValue::Counter(i + 1))]);
    let task = dep.task_index("tabs.opened");
    vec![device_day(dep, &day_report(day, 30, "de", m)).reports[task]
        .report
        .clone()]
}

fn with_report(report: &DapReport, f: impl FnOnce(Report) -> Report) -> DapReport {
    let body = f(Report::get_decoded(&report.body).unwrap())
        .get_encoded()
        .unwrap();
    DapReport {
        body,
        ..report.clone()
    }
}

fn other_config_id(c: &HpkeCiphertext) -> HpkeCiphertext {
    HpkeCiphertext::new(
        HpkeConfigId::from(u8::from(*c.config_id()).wrapping_add(1)),
        c.encapsulated_key().to_vec(),
        c.payload().to_vec(),
    )
}

#[test]
fn bad_input_gets_a_clear_error_and_loses_nothing() {
    let cluster = Cluster::new(MIN_BATCH, Mode::Pass);
    let (dep, proxy) = (&cluster.dep, &cluster.proxy);
    let helper = cluster.helper();
    let leader_db = cluster.file("leader.db");
    let leader = cluster.leader();
    let day = days_ago(1);
    let task = dep.task_index("tabs.opened");
    let task_id = dep.config.tasks[task].task_id;
    let good: Vec<DapReport> = (0..3).flat_map(|i| device(dep, &day, i)).collect();
    let leader_api = leader.url(&dep.leader_base);
    let helper_api = format!("http://{}/", helper.addr);
    let upload_url = format!("{leader_api}tasks/{task_id}/reports");
    let report_type = [("content-type", "application/dap-report")];
    let put_report = |body: &[u8]| http("PUT", &upload_url, &report_type, Some(body));
    let leader_token = format!(
        "Bearer {}",
        dep.json("leader/aggregator.json")["aggregator_auth_token"]["token"]
            .as_str()
            .unwrap()
    );
    let collector_token = format!(
        "Bearer {}",
        dep.json("collector/collector.json")["collector_auth_token"]["token"]
            .as_str()
            .unwrap()
    );

    // ----- HPKE configuration discovery --------------------------------
    for (api, config) in [
        (&leader_api, &dep.config.leader_hpke.config),
        (&helper_api, &dep.config.helper_hpke.config),
    ] {
        let (status, content_type, body) = http("GET", &format!("{api}hpke_config"), &[], None);
        assert_eq!(
            (status, content_type.as_str()),
            (200, "application/dap-hpke-config-list")
        );
        assert_eq!(
            HpkeConfigList::get_decoded(&body).unwrap().hpke_configs(),
            std::slice::from_ref(config)
        );
        let unknown = TaskId::from([0xAB; 32]);
        problem(
            &http(
                "GET",
                &format!("{api}hpke_config?task_id={unknown}"),
                &[],
                None,
            ),
            400,
            "unrecognizedTask",
        );
        let (status, _, listed) = http(
            "GET",
            &format!("{api}hpke_config?task_id={task_id}"),
            &[],
            None,
        );
        assert_eq!((status, listed), (200, body));
    }

    // ----- uploads -----------------------------------------------------
    problem(
        &http(
            "PUT",
            &upload_url,
            &[("content-type", "text/plain")],
            Some(&good[0].body),
        ),
        400,
        "about:blank",
    );
    problem(
        &http("PUT", &upload_url, &[], Some(&good[0].body)),
        400,
        "about:blank",
    );
    let doc = problem(&put_report(b"\x00\x01not a report"), 400, "invalidMessage");
    assert_eq!(doc["taskid"], task_id.to_string());
    problem(
        &put_report(&good[0].body[..good[0].body.len() - 1]),
        400,
        "invalidMessage",
    );
    let unknown = TaskId::from([7; 32]);
    problem(
        &http(
            "PUT",
            &format!("{leader_api}tasks/{unknown}/reports"),
            &report_type,
            Some(&good[0].body),
        ),
        400,
        "unrecognizedTask",
    );
    problem(
        &http(
            "PUT",
            &format!("{leader_api}tasks/nope/reports"),
            &report_type,
            Some(&good[0].body),
        ),
        400,
        "about:blank",
    );
    let (status, body) = declared_only(
        leader.addr,
        "PUT",
        &format!("{}tasks/{task_id}/reports", dep.leader_base),
        &report_type,
        300 * 1024,
    );
    assert_eq!(status, 413);
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["title"], "Request body too large.");
    let (status, _, _) = http("GET", &upload_url, &[], None);
    assert_eq!(status, 405);
    problem(
        &http("GET", &format!("{leader_api}nothing/here"), &[], None),
        404,
        "about:blank",
    );
    problem(
        &http(
            "GET",
            &format!("http://{}/elsewhere", leader.addr),
            &[],
            None,
        ),
        404,
        "about:blank",
    );
    // A key id the leader does not hold.
    let stale = with_report(&good[0], |r| {
        Report::new(
            r.metadata().clone(),
            r.public_share().to_vec(),
            other_config_id(r.leader_encrypted_input_share()),
            r.helper_encrypted_input_share().clone(),
        )
    });
    problem(&put_report(&stale.body), 400, "outdatedConfig");
    // A public share the input shares were not sealed with (the AAD binds it).
    let swapped = with_report(&good[0], |r| {
        let other = Report::get_decoded(&good[1].body).unwrap();
        Report::new(
            r.metadata().clone(),
            other.public_share().to_vec(),
            r.leader_encrypted_input_share().clone(),
            r.helper_encrypted_input_share().clone(),
        )
    });
    let doc = problem(&put_report(&swapped.body), 400, "reportRejected");
    assert_eq!(doc["detail"], "Report share could not be decrypted.");
    // Times out of range: days ahead of the leader's clock, and too old.
    problem(
        &put_report(&device(dep, &days_ago(-2), 9)[0].body),
        400,
        "reportTooEarly",
    );
    let doc = problem(
        &put_report(&device(dep, &days_ago(45), 9)[0].body),
        400,
        "reportRejected",
    );
    assert_eq!(doc["detail"], "Report timestamp is too old.");
    assert_eq!(
        count_rows(&leader_db, "report_ids"),
        0,
        "nothing of a refused report is kept"
    );

    // The valid reports, one through each path.
    assert_eq!(upload_direct(&leader, &good[0]).0, 200);
    // Aggregated before the others arrive: two jobs, so every check below
    // also holds across jobs.
    eventually("the first job", || {
        (count_rows(&leader_db, "pending_reports") == 0).then_some(())
    });
    for r in &good[1..] {
        assert_eq!(upload_ohttp(&leader, dep, r).inner.status, 200);
    }

    // ----- the gateway (hush serve, in front of the leader) ---------------
    let gateway = leader.gateway_url();
    let gateway_addr = leader.gateway.as_ref().unwrap().addr;
    let sealed =
        hush_core::ohttp::encapsulate(&dep.ohttp_keys, &inner_upload(&dep.config, &good[0]))
            .unwrap();
    let (status, _, _) = http(
        "POST",
        &gateway,
        &[("content-type", "application/octet-stream")],
        Some(&sealed.request),
    );
    assert_eq!(status, 415);
    let ohttp = [("content-type", "message/ohttp-req")];
    let key_problem = |a: &Answer| {
        assert_eq!((a.0, a.1.as_str()), (400, "application/problem+json"));
        let doc: Value = serde_json::from_slice(&a.2).unwrap();
        assert_eq!(
            doc["type"],
            "https://iana.org/assignments/http-problem-types#ohttp-key"
        );
    };
    let mut wrong_key = sealed.request.clone();
    wrong_key[0] = wrong_key[0].wrapping_add(1);
    key_problem(&http("POST", &gateway, &ohttp, Some(&wrong_key)));
    let mut corrupt = sealed.request.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 1;
    key_problem(&http("POST", &gateway, &ohttp, Some(&corrupt)));
    let (status, _, _) = http("POST", &gateway, &ohttp, Some(&sealed.request[..1]));
    assert_eq!(status, 400, "not an encapsulated request");
    assert_eq!(
        declared_only(
            gateway_addr,
            "POST",
            "/.well-known/ohttp-gateway",
            &ohttp,
            600 * 1024
        )
        .0,
        413
    );
    // Inside: what reaches the leader is the inner request's method, path,
    // content type and body, nothing else: not even the collector's own
    // token gets a collection job through the gateway.
    let inner = |method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]| {
        hush_core::ohttp::bhttp::encode_request(
            method,
            "https",
            "leader.example",
            path,
            headers,
            body,
            0,
        )
    };
    let collect_req = CollectionReq::<TimeInterval>::new(
        Query::new_time_interval(
            Interval::new(
                Time::from_seconds_since_epoch(0),
                DapDuration::from_seconds(86_400),
            )
            .unwrap(),
        ),
        Vec::new(),
    )
    .get_encoded()
    .unwrap();
    let answer = post_sealed(
        &leader,
        &dep.ohttp_keys,
        &inner(
            "PUT",
            &format!("/dap/tasks/{task_id}/collection_jobs/AAAAAAAAAAAAAAAAAAAAAA"),
            &[
                ("content-type", "application/dap-collect-req"),
                ("authorization", &collector_token),
            ],
            &collect_req,
        ),
    );
    assert_eq!(answer.inner.status, 403, "the token stays behind");
    let doc: Value = serde_json::from_slice(&answer.inner.content).unwrap();
    assert_eq!(
        doc["type"],
        "urn:ietf:params:ppm:dap:error:unauthorizedRequest"
    );
    let answer = post_sealed(
        &leader,
        &dep.ohttp_keys,
        &inner(
            "PUT",
            &format!("/dap/tasks/{task_id}/reports"),
            &report_type,
            b"garbage",
        ),
    );
    assert_eq!(answer.inner.status, 400);
    let doc: Value = serde_json::from_slice(&answer.inner.content).unwrap();
    assert_eq!(doc["type"], "urn:ietf:params:ppm:dap:error:invalidMessage");
    let answer = post_sealed(&leader, &dep.ohttp_keys, b"\x07not binary http");
    assert_eq!(answer.inner.status, 400);

    // ----- the helper ----------------------------------------------------
    eventually("aggregation", || {
        (count_rows(&leader_db, "pending_reports") == 0).then_some(())
    });
    let job = proxy
        .exchanges()
        .into_iter()
        .find(|x| x.path.contains("/aggregation_jobs/"))
        .unwrap();
    let job_path = job.path.trim_start_matches('/').to_owned();
    let job_url = format!("{helper_api}{job_path}");
    let init_type = ("content-type", "application/dap-aggregation-job-init-req");
    let new_job = |n: u8| {
        format!(
            "{helper_api}tasks/{task_id}/aggregation_jobs/{}",
            janus_messages::AggregationJobId::from([n; 16])
        )
    };
    // No token, the collector's token, a wrong one: 403 each.
    let wrong_tokens: [&[(&str, &str)]; 3] = [
        &[init_type],
        &[init_type, ("authorization", &collector_token)],
        &[init_type, ("dap-auth-token", "not-the-token")],
    ];
    for headers in wrong_tokens {
        problem(
            &http("PUT", &new_job(1), headers, Some(&job.body)),
            403,
            "unauthorizedRequest",
        );
    }
    let auth = ("authorization", leader_token.as_str());
    problem(
        &http(
            "PUT",
            &new_job(1),
            &[("content-type", "application/dap-report"), auth],
            Some(&job.body),
        ),
        400,
        "about:blank",
    );
    problem(
        &http(
            "PUT",
            &new_job(1),
            &[init_type, auth],
            Some(b"\x00\x00garbage"),
        ),
        400,
        "invalidMessage",
    );
    problem(
        &http(
            "PUT",
            &format!(
                "{helper_api}tasks/{unknown}/aggregation_jobs/{}",
                janus_messages::AggregationJobId::from([1; 16])
            ),
            &[init_type, auth],
            Some(&job.body),
        ),
        400,
        "unrecognizedTask",
    );
    let empty = AggregationJobInitializeReq::<TimeInterval>::new(
        Vec::new(),
        PartialBatchSelector::new_time_interval(),
        Vec::new(),
    );
    problem(
        &http(
            "PUT",
            &new_job(1),
            &[init_type, auth],
            Some(&empty.get_encoded().unwrap()),
        ),
        400,
        "invalidMessage",
    );
    // The same job id with other contents (one public share longer by a
    // byte): a conflict (Janus: 409).
    let sent = AggregationJobInitializeReq::<TimeInterval>::get_decoded(&job.body).unwrap();
    let mut other = sent.prepare_inits().to_vec();
    let share = other[0].report_share().clone();
    let longer = [share.public_share(), &[0]].concat();
    other[0] = PrepareInit::new(
        ReportShare::new(
            share.metadata().clone(),
            longer,
            share.encrypted_input_share().clone(),
        ),
        other[0].message().clone(),
    );
    let changed = AggregationJobInitializeReq::<TimeInterval>::new(
        Vec::new(),
        PartialBatchSelector::new_time_interval(),
        other,
    );
    problem(
        &http(
            "PUT",
            &job_url,
            &[init_type, auth],
            Some(&changed.get_encoded().unwrap()),
        ),
        409,
        "about:blank",
    );
    // The same request again: the same answer.
    let (status, _, again) = http("PUT", &job_url, &[init_type, auth], Some(&job.body));
    assert_eq!((status, &again), (200, &job.answer));
    // Per report: an unknown HPKE config id, a share that does not open
    // (its report id is not the one it was sealed with), a replay.
    let fresh = |n: u8| {
        janus_messages::ReportMetadata::new(
            janus_messages::ReportId::from([n; 16]),
            *sent.prepare_inits()[0].report_share().metadata().time(),
        )
    };
    // The leader may have put the three reports into more than one job.
    let mut inits: Vec<PrepareInit> = proxy
        .exchanges()
        .iter()
        .filter(|x| x.path.contains("/aggregation_jobs/"))
        .flat_map(|x| {
            AggregationJobInitializeReq::<TimeInterval>::get_decoded(&x.body)
                .unwrap()
                .prepare_inits()
                .to_vec()
        })
        .collect();
    assert_eq!(inits.len(), 3);
    for (i, stale) in [(0, true), (1, false)] {
        let share = inits[i].report_share().clone();
        let sealed = if stale {
            other_config_id(share.encrypted_input_share())
        } else {
            share.encrypted_input_share().clone()
        };
        inits[i] = PrepareInit::new(
            ReportShare::new(fresh(0xE0 + i as u8), share.public_share().to_vec(), sealed),
            inits[i].message().clone(),
        );
    }
    let odd_job = AggregationJobInitializeReq::<TimeInterval>::new(
        Vec::new(),
        PartialBatchSelector::new_time_interval(),
        inits,
    );
    let (status, _, body) = http(
        "PUT",
        &new_job(2),
        &[init_type, auth],
        Some(&odd_job.get_encoded().unwrap()),
    );
    assert_eq!(status, 200);
    let results: Vec<PrepareStepResult> = AggregationJobResp::get_decoded(&body)
        .unwrap()
        .prepare_resps()
        .iter()
        .map(|r| r.result().clone())
        .collect();
    assert_eq!(
        results,
        [
            PrepareError::HpkeUnknownConfigId,
            PrepareError::HpkeDecryptError,
            PrepareError::ReportReplayed
        ]
        .map(PrepareStepResult::Reject)
    );
    // Continuation: every Prio3 report finished at init.
    let continue_type = (
        "content-type",
        "application/dap-aggregation-job-continue-req",
    );
    let step = |n: u16, steps: Vec<PrepareContinue>| {
        AggregationJobContinueReq::new(AggregationJobStep::from(n), steps)
            .get_encoded()
            .unwrap()
    };
    problem(
        &http(
            "POST",
            &job_url,
            &[continue_type, auth],
            Some(&step(0, Vec::new())),
        ),
        400,
        "invalidMessage",
    );
    problem(
        &http(
            "POST",
            &new_job(9),
            &[continue_type, auth],
            Some(&step(1, Vec::new())),
        ),
        400,
        "unrecognizedAggregationJob",
    );
    problem(
        &http(
            "POST",
            &job_url,
            &[continue_type, auth],
            Some(&step(3, Vec::new())),
        ),
        400,
        "stepMismatch",
    );
    let finished = PrepareContinue::new(
        *sent.prepare_inits()[0].report_share().metadata().id(),
        sent.prepare_inits()[0].message().clone(),
    );
    problem(
        &http(
            "POST",
            &job_url,
            &[continue_type, auth],
            Some(&step(1, vec![finished])),
        ),
        400,
        "invalidMessage",
    );
    let (status, content_type, body) = http(
        "POST",
        &job_url,
        &[continue_type, auth],
        Some(&step(1, Vec::new())),
    );
    assert_eq!(
        (status, content_type.as_str()),
        (200, "application/dap-aggregation-job-resp")
    );
    assert!(AggregationJobResp::get_decoded(&body)
        .unwrap()
        .prepare_resps()
        .is_empty());
    let (status, _, again) = http(
        "POST",
        &job_url,
        &[continue_type, auth],
        Some(&step(1, Vec::new())),
    );
    assert_eq!((status, again), (200, body));
    let share_url = format!("{helper_api}tasks/{task_id}/aggregate_shares");
    let share_type = ("content-type", "application/dap-aggregate-share-req");
    problem(
        &http("POST", &share_url, &[share_type], Some(b"x")),
        403,
        "unauthorizedRequest",
    );
    problem(
        &http("POST", &share_url, &[share_type, auth], Some(b"x")),
        400,
        "invalidMessage",
    );
    let (status, body) = declared_only(
        helper.addr,
        "POST",
        &format!("/tasks/{task_id}/aggregate_shares"),
        &[share_type, auth],
        2 << 20,
    );
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));
    let (status, _) = declared_only(
        helper.addr,
        "PUT",
        &format!("/tasks/{task_id}/aggregation_jobs/AAAAAAAAAAAAAAAAAAAAAA"),
        &[init_type, auth],
        64 << 20,
    );
    assert_eq!(status, 413);
    // A large job is read only from the leader's: anyone else's is cut at 1 MiB.
    let (status, _) = declared_only(
        helper.addr,
        "PUT",
        &format!("/tasks/{task_id}/aggregation_jobs/AAAAAAAAAAAAAAAAAAAAAA"),
        &[init_type],
        2 << 20,
    );
    assert_eq!(status, 413);
    problem(
        &http(
            "PUT",
            &format!("{helper_api}tasks/{task_id}/reports"),
            &report_type,
            Some(&good[0].body),
        ),
        400,
        "unrecognizedTask",
    );

    // ----- collection jobs -----------------------------------------------
    let start = hush_core::clock::UtcDay::parse_iso(&day)
        .unwrap()
        .start_ms() as u64
        / 1000;
    let query = |s: u64, d: u64| {
        CollectionReq::<TimeInterval>::new(
            Query::new_time_interval(
                Interval::new(
                    Time::from_seconds_since_epoch(s),
                    DapDuration::from_seconds(d),
                )
                .unwrap(),
            ),
            Vec::new(),
        )
        .get_encoded()
        .unwrap()
    };
    let cj = |n: u8| {
        let id = janus_messages::CollectionJobId::try_from(&[n; 16][..]).unwrap();
        format!("{leader_api}tasks/{task_id}/collection_jobs/{id}")
    };
    let collect_type = ("content-type", "application/dap-collect-req");
    let collector = ("authorization", collector_token.as_str());
    // No token, and the leader's (not the collector's): 403.
    let wrong_tokens: [&[(&str, &str)]; 2] = [&[collect_type], &[collect_type, auth]];
    for headers in wrong_tokens {
        problem(
            &http("PUT", &cj(1), headers, Some(&query(start, 86_400))),
            403,
            "unauthorizedRequest",
        );
    }
    problem(
        &http(
            "PUT",
            &cj(1),
            &[("content-type", "application/dap-report"), collector],
            Some(&query(start, 86_400)),
        ),
        400,
        "about:blank",
    );
    problem(
        &http("PUT", &cj(1), &[collect_type, collector], Some(b"\x01")),
        400,
        "invalidMessage",
    );
    problem(
        &http(
            "PUT",
            &cj(1),
            &[collect_type, collector],
            Some(&query(start + 3600, 86_400)),
        ),
        400,
        "batchInvalid",
    );
    problem(
        &http(
            "PUT",
            &cj(1),
            &[collect_type, collector],
            Some(&query(start, 3600)),
        ),
        400,
        "batchInvalid",
    );
    problem(
        &http("POST", &cj(1), &[collector], None),
        404,
        "about:blank",
    );
    problem(
        &http("DELETE", &cj(1), &[collector], None),
        404,
        "about:blank",
    );
    let (status, _, _) = http(
        "PUT",
        &cj(1),
        &[collect_type, collector],
        Some(&query(start, 86_400)),
    );
    assert_eq!(status, 201);
    problem(
        &http(
            "PUT",
            &cj(1),
            &[collect_type, collector],
            Some(&query(start - 86_400, 86_400)),
        ),
        409,
        "about:blank",
    );
    // Poll until done: the Collection decodes with janus_messages.
    let collection = eventually("the collection", || {
        let (status, content_type, body) = http("POST", &cj(1), &[collector], None);
        match status {
            202 => None,
            200 => {
                assert_eq!(content_type, "application/dap-collection");
                Some(Collection::<TimeInterval>::get_decoded(&body).unwrap())
            }
            other => panic!("poll answered {other}: {}", String::from_utf8_lossy(&body)),
        }
    });
    assert_eq!(collection.report_count(), good.len() as u64);
    assert_eq!(
        collection.interval().start().as_seconds_since_epoch(),
        start
    );
    // Deleted: 204 from then on; the batch stays collected.
    let (status, _, _) = http("DELETE", &cj(1), &[collector], None);
    assert_eq!(status, 204);
    let (status, _, _) = http("POST", &cj(1), &[collector], None);
    assert_eq!(status, 204);
    problem(
        &put_report(&device(dep, &day, 5)[0].body),
        400,
        "reportRejected",
    );

    // Nothing was lost and nothing extra was kept: the same totals again.
    let (code, lines, out) = collect(dep, &leader, &day, 1, &["tabs.opened"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(totals(&lines[0]), [1 + 2 + 3]);
    assert_eq!(lines[0]["report_count"], 3);
    assert_eq!(count_rows(&leader_db, "report_ids"), good.len() as u64);
    let (_, log) = leader.stop();
    assert_eq!(
        log.lines().count(),
        1,
        "nothing per request is logged: {log}"
    );
    let (_, log) = helper.stop();
    assert_eq!(
        log.lines().count(),
        1,
        "nothing per request is logged: {log}"
    );
}
