//! DAP-09's HPKE (§4.4.2, §4.4.4.3), on rust-hpke: an implementation
//! independent of the ring client in hush-core, so every report an
//! aggregator opens is also an interoperability check.
//!
//! Base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM (or
//! ChaCha20-Poly1305 for a configuration that names it). The application
//! info is `label || sender role || recipient role`.

use hpke::aead::{AesGcm128, ChaCha20Poly1305};
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable as _, Kem as _, OpModeR, OpModeS, Serializable as _};
use janus_messages::{
    HpkeAeadId, HpkeCiphertext, HpkeConfig, HpkeConfigId, HpkeKdfId, HpkeKemId, HpkePublicKey, Role,
};

type Kem = X25519HkdfSha256;

/// What an HPKE message protects, DAP-09 §4.4.2 and §4.4.4.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    InputShare,
    AggregateShare,
}

impl Label {
    fn as_bytes(self) -> &'static [u8] {
        match self {
            Label::InputShare => b"dap-09 input share",
            Label::AggregateShare => b"dap-09 aggregate share",
        }
    }
}

/// `label || sender || recipient`.
pub fn application_info(label: Label, sender: Role, recipient: Role) -> Vec<u8> {
    let mut info = label.as_bytes().to_vec();
    info.push(sender as u8);
    info.push(recipient as u8);
    info
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HpkeError {
    #[error("the HPKE configuration is not DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-128-GCM or ChaCha20-Poly1305")]
    Unsupported,
    #[error("the ciphertext is for HPKE configuration {found}, not {expected}")]
    WrongConfigId { expected: u8, found: u8 },
    #[error("decryption failed")]
    Open,
    #[error("encryption failed")]
    Seal,
}

/// An aggregator's or the collector's key pair: its published DAP
/// configuration and the X25519 secret that opens messages sealed to it.
#[derive(Clone)]
pub struct Keypair {
    config: HpkeConfig,
    secret: [u8; 32],
}

impl std::fmt::Debug for Keypair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keypair")
            .field("config_id", self.config.id())
            .finish_non_exhaustive()
    }
}

impl Keypair {
    /// A fresh key pair with configuration id `id` and AES-128-GCM.
    pub fn generate(id: u8) -> Self {
        let mut ikm = [0u8; 32];
        hush_core::random::fill(&mut ikm);
        let (secret, public) = Kem::derive_keypair(&ikm);
        let mut sk = [0u8; 32];
        sk.copy_from_slice(&secret.to_bytes());
        Self {
            config: HpkeConfig::new(
                HpkeConfigId::from(id),
                HpkeKemId::X25519HkdfSha256,
                HpkeKdfId::HkdfSha256,
                HpkeAeadId::Aes128Gcm,
                HpkePublicKey::from(public.to_bytes().to_vec()),
            ),
            secret: sk,
        }
    }

    /// A stored key pair; the secret must be the one of `config`'s public key.
    pub fn new(config: HpkeConfig, secret: [u8; 32]) -> Result<Self, HpkeError> {
        aead_of(&config)?;
        let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(&secret)
            .map_err(|_| HpkeError::Unsupported)?;
        let public = Kem::sk_to_pk(&sk);
        if public.to_bytes().as_slice() != config.public_key().as_ref() {
            return Err(HpkeError::Unsupported);
        }
        Ok(Self { config, secret })
    }

    pub fn config(&self) -> &HpkeConfig {
        &self.config
    }

    pub fn secret(&self) -> &[u8; 32] {
        &self.secret
    }

    /// Opens `ciphertext` (sealed to this key with `info` and `aad`).
    pub fn open(
        &self,
        info: &[u8],
        ciphertext: &HpkeCiphertext,
        aad: &[u8],
    ) -> Result<Vec<u8>, HpkeError> {
        let expected = u8::from(*self.config.id());
        let found = u8::from(*ciphertext.config_id());
        if expected != found {
            return Err(HpkeError::WrongConfigId { expected, found });
        }
        let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(&self.secret)
            .map_err(|_| HpkeError::Unsupported)?;
        let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(ciphertext.encapsulated_key())
            .map_err(|_| HpkeError::Open)?;
        let payload = ciphertext.payload();
        match aead_of(&self.config)? {
            Aead::Aes128Gcm => hpke::single_shot_open::<AesGcm128, HkdfSha256, Kem>(
                &OpModeR::Base,
                &sk,
                &enc,
                info,
                payload,
                aad,
            ),
            Aead::ChaCha20Poly1305 => hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
                &OpModeR::Base,
                &sk,
                &enc,
                info,
                payload,
                aad,
            ),
        }
        .map_err(|_| HpkeError::Open)
    }
}

#[derive(Clone, Copy)]
enum Aead {
    Aes128Gcm,
    ChaCha20Poly1305,
}

fn aead_of(config: &HpkeConfig) -> Result<Aead, HpkeError> {
    if *config.kem_id() != HpkeKemId::X25519HkdfSha256 || *config.kdf_id() != HpkeKdfId::HkdfSha256
    {
        return Err(HpkeError::Unsupported);
    }
    match config.aead_id() {
        HpkeAeadId::Aes128Gcm => Ok(Aead::Aes128Gcm),
        HpkeAeadId::ChaCha20Poly1305 => Ok(Aead::ChaCha20Poly1305),
        _ => Err(HpkeError::Unsupported),
    }
}

/// Seals `plaintext` to `config` with `info` and `aad`.
pub fn seal(
    config: &HpkeConfig,
    info: &[u8],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<HpkeCiphertext, HpkeError> {
    let aead = aead_of(config)?;
    let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(config.public_key().as_ref())
        .map_err(|_| HpkeError::Unsupported)?;
    let (enc, ct) = match aead {
        Aead::Aes128Gcm => hpke::single_shot_seal::<AesGcm128, HkdfSha256, Kem>(
            &OpModeS::Base,
            &pk,
            info,
            plaintext,
            aad,
        ),
        Aead::ChaCha20Poly1305 => hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeS::Base,
            &pk,
            info,
            plaintext,
            aad,
        ),
    }
    .map_err(|_| HpkeError::Seal)?;
    Ok(HpkeCiphertext::new(
        *config.id(),
        enc.to_bytes().to_vec(),
        ct,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_binds_info_and_aad() {
        let keys = Keypair::generate(7);
        let info = application_info(Label::AggregateShare, Role::Helper, Role::Collector);
        let ct = seal(keys.config(), &info, b"share", b"aad").unwrap();
        assert_eq!(keys.open(&info, &ct, b"aad").unwrap(), b"share");
        assert_eq!(keys.open(&info, &ct, b"aae"), Err(HpkeError::Open));
        let other = application_info(Label::AggregateShare, Role::Leader, Role::Collector);
        assert_eq!(keys.open(&other, &ct, b"aad"), Err(HpkeError::Open));
        let stranger = Keypair::generate(8);
        assert_eq!(
            stranger.open(&info, &ct, b"aad"),
            Err(HpkeError::WrongConfigId {
                expected: 8,
                found: 7
            })
        );
    }

    #[test]
    fn a_stored_key_pair_must_match_its_public_key() {
        let keys = Keypair::generate(1);
        assert!(Keypair::new(keys.config().clone(), *keys.secret()).is_ok());
        assert!(Keypair::new(keys.config().clone(), [9; 32]).is_err());
    }

    /// The client's reports (hush-core `DapClient`, HPKE on ring) open with
    /// this implementation for the leader and for the helper, with either
    /// AEAD, and only for the role each share was sealed to.
    #[test]
    fn the_clients_sealed_input_shares_open_for_both_roles() {
        use hush_core::anonymize::{Anonymizer, Environment};
        use hush_core::dap::{DapClient, Plan, TaskConfig};
        use janus_messages::codec::{Decode as _, Encode as _};
        use janus_messages::{InputShareAad, PlaintextInputShare, Report};

        let plan = Plan::new(
            &hush_core::schema::Schema::default_browser(),
            Anonymizer::shipped(),
        )
        .unwrap();
        let day = hush_core::report::Report {
            format: hush_core::report::REPORT_FORMAT.into(),
            schema_version: 1,
            report_id: "00".repeat(16),
            day: "2026-11-30".into(),
            environment: Environment::coarse("14.2", 34, "de-AT").unwrap(),
            metrics: Default::default(),
            errors: Default::default(),
            dropped: Default::default(),
        };
        let chacha = |k: Keypair| {
            let c = k.config();
            let config = HpkeConfig::new(
                *c.id(),
                *c.kem_id(),
                *c.kdf_id(),
                HpkeAeadId::ChaCha20Poly1305,
                c.public_key().clone(),
            );
            Keypair::new(config, *k.secret()).unwrap()
        };
        for (leader, helper) in [
            (Keypair::generate(1), Keypair::generate(2)),
            (chacha(Keypair::generate(3)), chacha(Keypair::generate(4))),
        ] {
            let config = TaskConfig::for_plan(
                &plan,
                "https://l.example/",
                "https://h.example/",
                leader.config(),
                helper.config(),
                86_400,
                10,
            )
            .unwrap();
            let reports = DapClient::new(plan.clone(), config)
                .day_reports(&day, Anonymizer::shipped())
                .unwrap();
            assert_eq!(reports.len(), plan.tasks().len());
            for r in reports {
                let report = Report::get_decoded(&r.report.body).unwrap();
                let aad = InputShareAad::new(
                    r.report.task_id,
                    report.metadata().clone(),
                    report.public_share().to_vec(),
                )
                .get_encoded()
                .unwrap();
                let vdaf = &plan.tasks()[r.task].vdaf;
                for (keys, role, other, sealed, agg_id) in [
                    (
                        &leader,
                        Role::Leader,
                        Role::Helper,
                        report.leader_encrypted_input_share(),
                        0,
                    ),
                    (
                        &helper,
                        Role::Helper,
                        Role::Leader,
                        report.helper_encrypted_input_share(),
                        1,
                    ),
                ] {
                    let plain = keys
                        .open(
                            &application_info(Label::InputShare, Role::Client, role),
                            sealed,
                            &aad,
                        )
                        .unwrap();
                    let plain = PlaintextInputShare::get_decoded(&plain).unwrap();
                    assert!(plain.extensions().is_empty());
                    assert!(crate::dap::prep::shares_decode(
                        vdaf,
                        agg_id,
                        report.public_share(),
                        plain.payload()
                    ));
                    assert_eq!(
                        keys.open(
                            &application_info(Label::InputShare, Role::Client, other),
                            sealed,
                            &aad
                        ),
                        Err(HpkeError::Open)
                    );
                }
            }
        }
    }

    #[test]
    fn the_info_strings_are_dap_09s() {
        assert_eq!(
            application_info(Label::InputShare, Role::Client, Role::Helper),
            b"dap-09 input share\x01\x03"
        );
        assert_eq!(
            application_info(Label::AggregateShare, Role::Leader, Role::Collector),
            b"dap-09 aggregate share\x02\x00"
        );
    }
}
