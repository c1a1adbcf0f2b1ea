//! Faults between and inside the aggregators, with the real binaries: the
//! helper down during aggregation, answers lost, the leader killed (SIGKILL)
//! mid-job and restarted, a report uploaded twice, a tampered share, a
//! forged client that shards an out-of-range measurement. In every case the
//! batch total is exactly the sum of the valid reports, each counted once.

mod dap_common;

use std::collections::BTreeMap;
use std::time::Duration;

use dap_common::*;
use hush_core::dap::{DapReport, DayReport};
use hush_core::report::MetricValue;
use janus_messages::codec::{Decode, Encode};
use janus_messages::query_type::TimeInterval;
use janus_messages::{
    AggregationJobInitializeReq, AggregationJobResp, HpkeCiphertext, PrepareError,
    PrepareStepResult, Report,
};

const MIN_BATCH: u64 = 3;
/// The tasks these tests upload and collect: a sum, a vector, a histogram.
const TASKS: [&str; 3] = ["tabs.opened", "settings.switched", "hush.language"];

fn device(dep: &Deployment, day: &str, i: usize) -> DeviceDay {
    let mut m = BTreeMap::new();
    m.insert("tabs.opened".into(), MetricValue::Counter(10 + i as u64));
    m.insert(
        "settings.switched".into(),
        MetricValue::LabeledCounter(BTreeMap::from([
            ("dark_mode_on".into(), 1 + i as u64),
            ("ad_blocker_off".into(), 2),
        ])),
    );
    device_day(
        dep,
        &day_report(day, 30, ["de", "en", "ja", "xx"][i % 4], m),
    )
}

/// The reports of `TASKS` of some devices.
fn task_reports(dep: &Deployment, days: &[DeviceDay]) -> Vec<DapReport> {
    let wanted: Vec<usize> = TASKS.iter().map(|t| dep.task_index(t)).collect();
    days.iter()
        .flat_map(|d| {
            d.reports
                .iter()
                .filter(|r| wanted.contains(&r.task))
                .map(|r: &DayReport| r.report.clone())
        })
        .collect()
}

/// Collects `TASKS` for `day` and checks the totals are exactly those of `valid`.
fn assert_exact(dep: &Deployment, leader: &Aggregator, day: &str, valid: &[&DeviceDay]) {
    let (code, lines, out) = collect(dep, leader, day, 1, &TASKS);
    assert_eq!(code, 0, "{out}");
    let expected = expected_totals(dep, valid);
    assert_eq!(lines.len(), TASKS.len());
    for task in TASKS {
        let line = lines.iter().find(|l| l["task"] == task).unwrap();
        assert_eq!(line["report_count"], valid.len() as u64, "{line}");
        assert_eq!(totals(line), expected[dep.task_index(task)], "{task}");
    }
}

#[test]
fn the_helper_down_during_aggregation_loses_nothing_and_counts_nothing_twice() {
    let s = Cluster::new(MIN_BATCH, Mode::Down);
    let day = days_ago(1);
    let devices: Vec<_> = (0..4).map(|i| device(&s.dep, &day, i)).collect();
    let reports = task_reports(&s.dep, &devices);
    let leader = s.leader();
    upload_all(&leader, &s.dep, reports.clone(), 2);
    // The leader keeps trying; nothing is aggregated, nothing is lost.
    eventually("the leader noticing", || {
        read(&s.file("leader.log"))
            .contains("the helper is unreachable")
            .then_some(())
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        count_rows(&s.file("leader.db"), "pending_reports"),
        reports.len() as u64
    );
    assert_eq!(count_rows(&s.file("leader.db"), "batch_aggregations"), 0);
    // A collection job meanwhile waits (202), it does not fail.
    let helper = s.helper();
    s.proxy.set_mode(Mode::Pass);
    assert_exact(&s.dep, &leader, &day, &devices.iter().collect::<Vec<_>>());
    assert_eq!(
        count_rows(&s.file("helper.db"), "report_ids"),
        reports.len() as u64
    );
    let (_, log) = leader.stop();
    assert!(log.contains("the helper answers again"), "{log}");
    drop(helper);
}

#[test]
fn the_leader_killed_mid_job_resumes_and_the_helper_counts_the_job_once() {
    let s = Cluster::new(MIN_BATCH, Mode::LoseAnswers);
    let day = days_ago(1);
    let devices: Vec<_> = (0..4).map(|i| device(&s.dep, &day, i)).collect();
    let reports = task_reports(&s.dep, &devices);
    let helper = s.helper();
    let leader = s.leader();
    upload_all(&leader, &s.dep, reports.clone(), 2);
    // The helper has prepared and counted a job, but its answer never came
    // back: the leader is killed while it still has the job in progress.
    s.proxy
        .lost
        .recv_timeout(WAIT)
        .expect("a job reaches the helper");
    assert!(!leader.kill().success());
    assert!(count_rows(&s.file("leader.db"), "aggregation_jobs") > 0);
    assert!(count_rows(&s.file("helper.db"), "aggregation_jobs") > 0);
    s.proxy.set_mode(Mode::Pass);
    let leader = s.leader();
    assert_exact(&s.dep, &leader, &day, &devices.iter().collect::<Vec<_>>());
    // The restarted leader sent the very same job again, and the helper
    // gave the very same answer without preparing anything twice.
    let inits: Vec<Exchange> = s
        .proxy
        .exchanges()
        .into_iter()
        .filter(|x| x.path.contains("/aggregation_jobs/"))
        .collect();
    let mut by_job: BTreeMap<String, Vec<&Exchange>> = BTreeMap::new();
    for x in &inits {
        by_job.entry(x.path.clone()).or_default().push(x);
    }
    let resent: Vec<_> = by_job.values().filter(|v| v.len() > 1).collect();
    assert!(!resent.is_empty(), "no job was sent twice");
    for sends in resent {
        assert!(sends
            .iter()
            .all(|x| x.body == sends[0].body && x.answer == sends[0].answer));
    }
    let (_, helper_log) = helper.stop();
    assert!(
        helper_log.contains(&format!(
            "{} aggregation jobs, {} reports prepared, 0 refused",
            by_job.len(),
            reports.len()
        )),
        "{helper_log}"
    );
    drop(leader);
}

#[test]
fn a_duplicated_report_counts_once_and_the_helper_refuses_a_replayed_id() {
    let s = Cluster::new(MIN_BATCH, Mode::Pass);
    let day = days_ago(1);
    let devices: Vec<_> = (0..3).map(|i| device(&s.dep, &day, i)).collect();
    let reports = task_reports(&s.dep, &devices);
    let helper = s.helper();
    let leader = s.leader();
    upload_all(&leader, &s.dep, reports.clone(), 2);
    // The same reports again, through the gateway and directly: accepted
    // (the device may delete its copy), stored once.
    for r in &reports {
        assert_eq!(upload_ohttp(&leader, &s.dep, r).inner.status, 200);
        assert_eq!(upload_direct(&leader, r).0, 200);
    }
    assert_eq!(
        count_rows(&s.file("leader.db"), "report_ids"),
        reports.len() as u64
    );
    eventually("aggregation", || {
        (count_rows(&s.file("leader.db"), "pending_reports") == 0).then_some(())
    });
    // A job the leader sent, replayed under another job id: the helper
    // refuses every report in it as replayed and counts nothing.
    let job = s
        .proxy
        .exchanges()
        .into_iter()
        .find(|x| x.path.contains("/aggregation_jobs/"))
        .unwrap();
    let fresh = job.path.rsplit_once('/').unwrap().0.to_owned() + "/AAAAAAAAAAAAAAAAAAAAAA";
    let token = format!(
        "Bearer {}",
        s.dep.json("leader/aggregator.json")["aggregator_auth_token"]["token"]
            .as_str()
            .unwrap()
    );
    let (status, _, body) = http(
        "PUT",
        &format!("http://{}{fresh}", helper.addr),
        &[
            ("content-type", "application/dap-aggregation-job-init-req"),
            ("authorization", &token),
        ],
        Some(&job.body),
    );
    assert_eq!(status, 200);
    let resp = AggregationJobResp::get_decoded(&body).unwrap();
    let sent = AggregationJobInitializeReq::<TimeInterval>::get_decoded(&job.body).unwrap();
    assert_eq!(resp.prepare_resps().len(), sent.prepare_inits().len());
    for r in resp.prepare_resps() {
        assert_eq!(
            r.result(),
            &PrepareStepResult::Reject(PrepareError::ReportReplayed)
        );
    }
    assert_exact(&s.dep, &leader, &day, &devices.iter().collect::<Vec<_>>());
    drop(leader);
}

/// A report with one byte of a share's ciphertext flipped.
fn tampered(report: &DapReport, leader_side: bool) -> DapReport {
    let r = Report::get_decoded(&report.body).unwrap();
    let flip = |c: &HpkeCiphertext| {
        let mut payload = c.payload().to_vec();
        payload[3] ^= 0x20;
        HpkeCiphertext::new(*c.config_id(), c.encapsulated_key().to_vec(), payload)
    };
    let (leader, helper) = if leader_side {
        (
            flip(r.leader_encrypted_input_share()),
            r.helper_encrypted_input_share().clone(),
        )
    } else {
        (
            r.leader_encrypted_input_share().clone(),
            flip(r.helper_encrypted_input_share()),
        )
    };
    let body = Report::new(
        r.metadata().clone(),
        r.public_share().to_vec(),
        leader,
        helper,
    )
    .get_encoded()
    .unwrap();
    DapReport {
        body,
        ..report.clone()
    }
}

#[test]
fn a_tampered_share_is_refused_and_the_total_stays_right() {
    let s = Cluster::new(MIN_BATCH, Mode::Pass);
    let day = days_ago(1);
    let devices: Vec<_> = (0..4).map(|i| device(&s.dep, &day, i)).collect();
    let honest = &devices[..3];
    let _helper = s.helper();
    let leader = s.leader();
    upload_all(&leader, &s.dep, task_reports(&s.dep, honest), 2);
    // The fourth device's helper shares are tampered with on the way: the
    // leader cannot tell, the helper cannot open them.
    for r in task_reports(&s.dep, &devices[3..]) {
        assert_eq!(
            upload_ohttp(&leader, &s.dep, &tampered(&r, false))
                .inner
                .status,
            200
        );
        // Its leader share tampered: refused at once, nothing stored.
        let refused = upload_ohttp(&leader, &s.dep, &tampered(&r, true));
        assert_eq!(refused.inner.status, 400);
        let doc: serde_json::Value = serde_json::from_slice(&refused.inner.content).unwrap();
        assert_eq!(doc["type"], "urn:ietf:params:ppm:dap:error:reportRejected");
        assert_eq!(doc["detail"], "Report share could not be decrypted.");
    }
    assert_exact(&s.dep, &leader, &day, &honest.iter().collect::<Vec<_>>());
    let (_, log) = leader.stop();
    assert!(
        log.contains(&format!("{} failed preparation", TASKS.len())),
        "{log}"
    );
}

/// A forged client: the same VDAF (Prio3SumVec, same algorithm id and
/// parameters, so the same wire format) but an encoding that skips the
/// range check, so one "bit" of the first entry can be any field element.
mod forged {
    use prio::field::Field128;
    use prio::flp::gadgets::{Mul, ParallelSum};
    use prio::flp::types::SumVec;
    use prio::flp::{FlpError, Gadget, Type};

    type Inner = SumVec<Field128, ParallelSum<Field128, Mul<Field128>>>;

    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Forged {
        pub inner: Inner,
        /// What the lowest "bit" of entry 0 is set to.
        pub first_bit: u128,
    }

    impl Type for Forged {
        type Measurement = Vec<u128>;
        type AggregateResult = Vec<u128>;
        type Field = Field128;

        fn encode_measurement(&self, m: &Vec<u128>) -> Result<Vec<Field128>, FlpError> {
            let mut encoded = self.inner.encode_measurement(m)?;
            encoded[0] = Field128::from(self.first_bit);
            Ok(encoded)
        }
        fn decode_result(&self, data: &[Field128], n: usize) -> Result<Vec<u128>, FlpError> {
            self.inner.decode_result(data, n)
        }
        fn gadget(&self) -> Vec<Box<dyn Gadget<Field128>>> {
            self.inner.gadget()
        }
        fn valid(
            &self,
            g: &mut Vec<Box<dyn Gadget<Field128>>>,
            input: &[Field128],
            jr: &[Field128],
            n: usize,
        ) -> Result<Field128, FlpError> {
            self.inner.valid(g, input, jr, n)
        }
        fn truncate(&self, input: Vec<Field128>) -> Result<Vec<Field128>, FlpError> {
            self.inner.truncate(input)
        }
        fn input_len(&self) -> usize {
            self.inner.input_len()
        }
        fn proof_len(&self) -> usize {
            self.inner.proof_len()
        }
        fn verifier_len(&self) -> usize {
            self.inner.verifier_len()
        }
        fn output_len(&self) -> usize {
            self.inner.output_len()
        }
        fn joint_rand_len(&self) -> usize {
            self.inner.joint_rand_len()
        }
        fn prove_rand_len(&self) -> usize {
            self.inner.prove_rand_len()
        }
        fn query_rand_len(&self) -> usize {
            self.inner.query_rand_len()
        }
    }
}

/// A report of `task` sharded by the forged client and sealed as the real
/// client seals (DAP-09 HPKE, here with rust-hpke).
fn forged_report(dep: &Deployment, task: usize, first_bit: u128, day: &str) -> DapReport {
    use hpke::{Deserializable as _, OpModeS, Serializable as _};
    use hush_core::dap::VdafSpec;
    use janus_messages::{
        InputShareAad, PlaintextInputShare, ReportId, ReportMetadata, Role, Time,
    };
    use prio::vdaf::prio3::Prio3;
    use prio::vdaf::Client as _;

    let binding = &dep.config.tasks[task];
    let VdafSpec::Prio3SumVec {
        bits,
        length,
        chunk_length,
    } = binding.vdaf
    else {
        panic!("{} is not a Prio3SumVec", binding.name)
    };
    let typ = forged::Forged {
        inner: prio::flp::types::SumVec::new(bits, length, chunk_length).unwrap(),
        first_bit,
    };
    let vdaf =
        Prio3::<_, prio::vdaf::xof::XofTurboShake128, 16>::new(2, 1, 0x0000_0002, typ).unwrap();
    let mut id = [0u8; 16];
    hush_core::random::fill(&mut id);
    let (public, shares) = vdaf.shard(&vec![0; length], &id).unwrap();
    let time = hush_core::clock::UtcDay::parse_iso(day).unwrap().start_ms() as u64 / 1000;
    let metadata = ReportMetadata::new(ReportId::from(id), Time::from_seconds_since_epoch(time));
    let public = public.get_encoded().unwrap();
    let aad = InputShareAad::new(binding.task_id, metadata.clone(), public.clone())
        .get_encoded()
        .unwrap();
    let seal =
        |target: &hush_core::dap::task::HpkeTarget, role: Role, share: Vec<u8>| {
            type Kem = hpke::kem::X25519HkdfSha256;
            let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(target.config.public_key().as_ref())
                .unwrap();
            let mut info = b"dap-09 input share".to_vec();
            info.extend([Role::Client as u8, role as u8]);
            let plaintext = PlaintextInputShare::new(Vec::new(), share)
                .get_encoded()
                .unwrap();
            let (enc, ct) = hpke::single_shot_seal::<
                hpke::aead::AesGcm128,
                hpke::kdf::HkdfSha256,
                Kem,
            >(&OpModeS::Base, &pk, &info, &plaintext, &aad)
            .unwrap();
            HpkeCiphertext::new(*target.config.id(), enc.to_bytes().to_vec(), ct)
        };
    let leader = seal(
        &dep.config.leader_hpke,
        Role::Leader,
        shares[0].get_encoded().unwrap(),
    );
    let helper = seal(
        &dep.config.helper_hpke,
        Role::Helper,
        shares[1].get_encoded().unwrap(),
    );
    let body = Report::new(metadata, public, leader, helper)
        .get_encoded()
        .unwrap();
    DapReport {
        task_id: binding.task_id,
        report_id: id,
        body,
    }
}

#[test]
fn a_forged_out_of_range_measurement_is_refused_by_preparation() {
    let s = Cluster::new(MIN_BATCH, Mode::Pass);
    let day = days_ago(1);
    let devices: Vec<_> = (0..3).map(|i| device(&s.dep, &day, i)).collect();
    let task = s.dep.task_index("settings.switched");
    let _helper = s.helper();
    let leader = s.leader();
    upload_all(&leader, &s.dep, task_reports(&s.dep, &devices), 2);
    // The forged client, honest once (a 1 in entry 0: a valid bit), then
    // claiming 1000 for entry 0 of an 8-bit vector. The leader accepts both
    // uploads; it cannot see inside.
    let honest = forged_report(&s.dep, task, 1, &day);
    let forged = forged_report(&s.dep, task, 1000, &day);
    assert_eq!(upload_ohttp(&leader, &s.dep, &honest).inner.status, 200);
    assert_eq!(upload_ohttp(&leader, &s.dep, &forged).inner.status, 200);
    let (code, lines, out) = collect(&s.dep, &leader, &day, 1, &["settings.switched"]);
    assert_eq!(code, 0, "{out}");
    let mut expected = expected_totals(&s.dep, &devices.iter().collect::<Vec<_>>())[task].clone();
    expected[0] += 1; // the honest forged-client report
    assert_eq!(lines[0]["report_count"], 4);
    assert_eq!(totals(&lines[0]), expected);
    let (_, log) = leader.stop();
    assert!(log.contains("1 failed preparation"), "{log}");
}
