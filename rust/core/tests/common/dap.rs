//! The servers' side of DAP, for tests: two aggregators' HPKE keys (on the
//! `hpke` crate, independent of hush-core's ring sender), the app's task
//! configuration for them, and a way to see what one pending report holds by
//! playing both aggregators at once. Only a test can do that: in production
//! the two keys belong to two organisations and a lone report is never
//! unsharded (P14).
#![allow(dead_code)]

use hpke::aead::{AesGcm128, ChaCha20Poly1305};
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, Serializable};
use hush_core::anonymize::Anonymizer;
use hush_core::dap::{Plan, TaskConfig, VdafSpec};
use hush_core::schema::Schema;
use janus_messages::codec::{Decode, Encode, ParameterizedDecode};
use janus_messages::{
    HpkeAeadId, HpkeConfig, HpkeConfigId, HpkeKdfId, HpkeKemId, HpkePublicKey, InputShareAad,
    PlaintextInputShare, Report as DapReport, Role, TaskId,
};
use prio::vdaf::{Aggregator, Collector, PrepareTransition};

type Kem = X25519HkdfSha256;
pub type PrivateKey = <Kem as hpke::Kem>::PrivateKey;

/// An aggregator's HPKE key pair and the DAP config it publishes.
pub struct AggregatorKey {
    pub secret: PrivateKey,
    pub config: HpkeConfig,
}

impl AggregatorKey {
    pub fn new(id: u8, aead: HpkeAeadId) -> Self {
        let mut ikm = [0u8; 32];
        hush_core::random::fill(&mut ikm);
        let (secret, public) = Kem::derive_keypair(&ikm);
        let config = HpkeConfig::new(
            HpkeConfigId::from(id),
            HpkeKemId::X25519HkdfSha256,
            HpkeKdfId::HkdfSha256,
            aead,
            HpkePublicKey::from(public.to_bytes().to_vec()),
        );
        Self { secret, config }
    }

    /// Opens this aggregator's input share of `report` (DAP-09 §4.4.2); a
    /// share sealed to another config, task, role or metadata fails.
    pub fn open(
        &self,
        role: Role,
        task_id: &TaskId,
        report: &DapReport,
    ) -> Result<Vec<u8>, hpke::HpkeError> {
        let ct = match role {
            Role::Leader => report.leader_encrypted_input_share(),
            _ => report.helper_encrypted_input_share(),
        };
        if ct.config_id() != self.config.id() {
            return Err(hpke::HpkeError::OpenError);
        }
        let mut info = b"dap-09 input share".to_vec();
        info.extend([Role::Client as u8, role as u8]);
        let aad = InputShareAad::new(
            *task_id,
            report.metadata().clone(),
            report.public_share().to_vec(),
        )
        .get_encoded()
        .unwrap();
        let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(ct.encapsulated_key())?;
        let mode = OpModeR::Base;
        let plaintext = match self.config.aead_id() {
            HpkeAeadId::Aes128Gcm => hpke::single_shot_open::<AesGcm128, HkdfSha256, Kem>(
                &mode,
                &self.secret,
                &enc,
                &info,
                ct.payload(),
                &aad,
            )?,
            _ => hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
                &mode,
                &self.secret,
                &enc,
                &info,
                ct.payload(),
                &aad,
            )?,
        };
        let share = PlaintextInputShare::get_decoded(&plaintext).unwrap();
        assert!(share.extensions().is_empty());
        Ok(share.payload().to_vec())
    }

    /// The same secret under another aggregator's config (a wrong-key test).
    pub fn impostor(&self, config: &HpkeConfig) -> Self {
        Self {
            secret: PrivateKey::from_bytes(&self.secret.to_bytes()).unwrap(),
            config: config.clone(),
        }
    }
}

/// A leader and a helper, and the task configuration an app pins for them.
pub struct Aggregators {
    pub leader: AggregatorKey,
    pub helper: AggregatorKey,
    pub plan: Plan,
    pub config: TaskConfig,
}

impl Aggregators {
    pub fn new(schema: &Schema) -> Self {
        let plan = Plan::new(schema, Anonymizer::shipped()).unwrap();
        // One AEAD each: both suites Hush seals with are exercised.
        let leader = AggregatorKey::new(3, HpkeAeadId::Aes128Gcm);
        let helper = AggregatorKey::new(9, HpkeAeadId::ChaCha20Poly1305);
        let config = TaskConfig::for_plan(
            &plan,
            "https://leader.example/dap/",
            "https://helper.example/",
            &leader.config,
            &helper.config,
            86_400,
            10,
        )
        .unwrap();
        Self {
            leader,
            helper,
            plan,
            config,
        }
    }

    /// A task configuration for another schema, with the same aggregators.
    pub fn tasks_for(&self, schema: &Schema) -> Vec<u8> {
        let plan = Plan::new(schema, Anonymizer::shipped()).unwrap();
        TaskConfig::for_plan(
            &plan,
            &self.config.leader,
            &self.config.helper,
            &self.leader.config,
            &self.helper.config,
            self.config.time_precision,
            self.config.min_batch_size,
        )
        .unwrap()
        .to_json()
        .into_bytes()
    }

    /// The shipped JSON form of the task configuration.
    pub fn tasks_json(&self) -> Vec<u8> {
        self.config.to_json().into_bytes()
    }

    pub fn task_index(&self, task_id: &TaskId) -> usize {
        self.config
            .tasks
            .iter()
            .position(|t| t.task_id == *task_id)
            .expect("a task of this configuration")
    }

    /// Both input shares of `report`, opened by their aggregators.
    pub fn open_shares(&self, task_id: &TaskId, report: &DapReport) -> Opened {
        Opened {
            leader: self.leader.open(Role::Leader, task_id, report).unwrap(),
            helper: self.helper.open(Role::Helper, task_id, report).unwrap(),
            report: report.clone(),
        }
    }
}

/// A report with its two input shares, opened by their aggregators.
#[derive(Clone)]
pub struct Opened {
    pub report: DapReport,
    pub leader: Vec<u8>,
    pub helper: Vec<u8>,
}

/// What the aggregators compute together, per task, as plain integers.
pub fn to_u128s<T: std::fmt::Debug>(result: T) -> Vec<u128> {
    // Every Prio3 aggregate result is an integer or a vector of integers;
    // its Debug form is the number or `[a, b, ...]`.
    format!("{result:?}")
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|s| s.trim().parse().expect("an integer"))
        .collect()
}

/// Runs preparation for every report of one task through both aggregators
/// and unshards; returns the totals and how many reports verified.
pub fn aggregate(
    vdaf_spec: &VdafSpec,
    reports: &[Opened],
) -> Result<(Vec<u128>, usize), prio::vdaf::VdafError> {
    hush_core::with_prio3!(vdaf_spec, |vdaf, VERIFY_KEY_LEN| {
        let mut verify_key = [0u8; VERIFY_KEY_LEN];
        hush_core::random::fill(&mut verify_key);
        let (mut leader_out, mut helper_out) = (Vec::new(), Vec::new());
        for o in reports {
            let nonce = o.report.metadata().id().as_ref();
            let public =
                ParameterizedDecode::get_decoded_with_param(&vdaf, o.report.public_share())
                    .expect("public share decodes");
            let l = ParameterizedDecode::get_decoded_with_param(&(&vdaf, 0), &o.leader)
                .expect("leader share decodes");
            let h = ParameterizedDecode::get_decoded_with_param(&(&vdaf, 1), &o.helper)
                .expect("helper share decodes");
            let (l_state, l_share) = vdaf.prepare_init(&verify_key, 0, &(), nonce, &public, &l)?;
            let (h_state, h_share) = vdaf.prepare_init(&verify_key, 1, &(), nonce, &public, &h)?;
            let message = vdaf.prepare_shares_to_prepare_message(&(), [l_share, h_share])?;
            match (
                vdaf.prepare_next(l_state, message.clone())?,
                vdaf.prepare_next(h_state, message)?,
            ) {
                (PrepareTransition::Finish(l), PrepareTransition::Finish(h)) => {
                    leader_out.push(l);
                    helper_out.push(h);
                }
                _ => panic!("Prio3 prepares in one round"),
            }
        }
        let n = leader_out.len();
        let shares = [
            vdaf.aggregate(&(), leader_out)?,
            vdaf.aggregate(&(), helper_out)?,
        ];
        Ok((to_u128s(vdaf.unshard(&(), shares, n)?), n))
    })
}

/// One pending report as the whole pipeline sees it: what the relay and
/// gateway saw (method, path, media type), the DAP report, and, by playing
/// both aggregators, the one device's values (a test-only view).
#[derive(Clone)]
pub struct PendingDap {
    pub method: String,
    pub authority: String,
    pub path: String,
    pub content_type: String,
    /// The encapsulated request's length: what crosses the network.
    pub wire_len: usize,
    pub task: String,
    pub day: String,
    pub report: DapReport,
    pub values: Vec<u128>,
}

impl std::fmt::Debug for PendingDap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {:?}", self.day, self.task, self.values)
    }
}
