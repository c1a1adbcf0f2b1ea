//! The VDAFs Hush measures with: VDAF-08 Prio3 through the `prio` 0.16 crate
//! (the version Janus 0.7 runs), never hand-written.
//!
//! A [`VdafSpec`] names an instance and its parameters exactly as a DAP task
//! does; the same spec drives the client's sharding here and the reference
//! aggregators' preparation in hush-cli (through [`with_prio3!`]), so the two
//! cannot disagree on a parameter.

use prio::codec::Encode;
use prio::field::Field64;
use prio::flp::gadgets::{Mul, ParallelSum};
use prio::flp::types::SumVec;
use prio::vdaf::prio3::{Prio3, Prio3Count, Prio3Histogram, Prio3Sum, Prio3SumVec};
use prio::vdaf::xof::XofHmacSha256Aes128;
use prio::vdaf::{Client, VdafError};
use serde::{Deserialize, Serialize};

/// DAP runs Prio3 between exactly two aggregators, the leader and the helper.
pub const NUM_AGGREGATORS: u8 = 2;

/// The private-use algorithm id Janus and Daphne give the Field64 multiproof
/// SumVec with the HMAC-SHA256/AES-128 XOF (`janus_core::vdaf`).
pub const ALGORITHM_ID_SUM_VEC_FIELD64_MULTIPROOF_HMACSHA256_AES128: u32 = 0xFFFF_1003;

/// Verify-key length of the Prio3 instances on TurboSHAKE128.
pub const VERIFY_KEY_LEN: usize = 16;
/// Verify-key length of the HMAC-SHA256/AES-128 XOF.
pub const VERIFY_KEY_LEN_HMACSHA256_AES128: usize = 32;

/// Prio3SumVec over Field64 with several proofs and the HMAC-SHA256/AES-128
/// XOF: half the share size of [`Prio3SumVec`] for long vectors (the page
/// domains), as Janus 0.7 defines it.
pub type Prio3SumVecField64MultiproofHmacSha256Aes128 =
    Prio3<SumVec<Field64, ParallelSum<Field64, Mul<Field64>>>, XofHmacSha256Aes128, 32>;

/// A Prio3 instance and its parameters, as a DAP task names it. The JSON form
/// (`{"type": "Prio3Sum", "bits": 8}`) uses Janus's variant and field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum VdafSpec {
    /// One bit: true or false.
    Prio3Count,
    /// An integer in `[0, 2^bits)`.
    Prio3Sum { bits: usize },
    /// `length` integers, each in `[0, 2^bits)`.
    Prio3SumVec {
        bits: usize,
        length: usize,
        chunk_length: usize,
    },
    /// The same over Field64 with `proofs` proofs (at least 2).
    Prio3SumVecField64MultiproofHmacSha256Aes128 {
        proofs: u8,
        bits: usize,
        length: usize,
        chunk_length: usize,
    },
    /// Exactly one of `length` buckets.
    Prio3Histogram { length: usize, chunk_length: usize },
}

/// A measurement of one report, in the form its [`VdafSpec`] takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measurement {
    Count(bool),
    Sum(u64),
    /// For both SumVec instances.
    SumVec(Vec<u64>),
    /// The bucket index.
    Histogram(usize),
}

/// A measurement split into the public share and one input share per
/// aggregator, each already encoded as DAP carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shards {
    pub public_share: Vec<u8>,
    pub leader: Vec<u8>,
    pub helper: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    #[error("the measurement does not fit the VDAF {0}")]
    Mismatch(&'static str),
    #[error("prio: {0}")]
    Vdaf(#[from] VdafError),
    #[error("encoding a share failed")]
    Encode,
}

pub fn count() -> Result<Prio3Count, VdafError> {
    Prio3::new_count(NUM_AGGREGATORS)
}

pub fn sum(bits: usize) -> Result<Prio3Sum, VdafError> {
    Prio3::new_sum(NUM_AGGREGATORS, bits)
}

pub fn sum_vec(bits: usize, length: usize, chunk_length: usize) -> Result<Prio3SumVec, VdafError> {
    Prio3::new_sum_vec(NUM_AGGREGATORS, bits, length, chunk_length)
}

pub fn sum_vec_field64_multiproof(
    proofs: u8,
    bits: usize,
    length: usize,
    chunk_length: usize,
) -> Result<Prio3SumVecField64MultiproofHmacSha256Aes128, VdafError> {
    // One Field64 proof is too weak; Janus refuses fewer than two.
    if proofs < 2 {
        return Err(VdafError::Uncategorized(
            "Field64 needs at least two proofs".into(),
        ));
    }
    Prio3::new(
        NUM_AGGREGATORS,
        proofs,
        ALGORITHM_ID_SUM_VEC_FIELD64_MULTIPROOF_HMACSHA256_AES128,
        SumVec::new(bits, length, chunk_length)?,
    )
}

pub fn histogram(length: usize, chunk_length: usize) -> Result<Prio3Histogram, VdafError> {
    Prio3::new_histogram(NUM_AGGREGATORS, length, chunk_length)
}

/// Binds `$vdaf` to the concrete `prio` instance of a [`VdafSpec`] and
/// `$VERIFY_KEY_LEN` to its verify-key length, then evaluates `$body` once
/// per variant. Constructor errors are returned with `?`, so the caller's
/// error type must implement `From<prio::vdaf::VdafError>`.
#[macro_export]
macro_rules! with_prio3 {
    ($spec:expr, |$vdaf:ident, $VERIFY_KEY_LEN:ident| $body:expr) => {{
        use $crate::dap::vdaf as __v;
        match $spec {
            __v::VdafSpec::Prio3Count => {
                let $vdaf = __v::count()?;
                const $VERIFY_KEY_LEN: usize = __v::VERIFY_KEY_LEN;
                $body
            }
            __v::VdafSpec::Prio3Sum { bits } => {
                let $vdaf = __v::sum(*bits)?;
                const $VERIFY_KEY_LEN: usize = __v::VERIFY_KEY_LEN;
                $body
            }
            __v::VdafSpec::Prio3SumVec {
                bits,
                length,
                chunk_length,
            } => {
                let $vdaf = __v::sum_vec(*bits, *length, *chunk_length)?;
                const $VERIFY_KEY_LEN: usize = __v::VERIFY_KEY_LEN;
                $body
            }
            __v::VdafSpec::Prio3SumVecField64MultiproofHmacSha256Aes128 {
                proofs,
                bits,
                length,
                chunk_length,
            } => {
                let $vdaf =
                    __v::sum_vec_field64_multiproof(*proofs, *bits, *length, *chunk_length)?;
                const $VERIFY_KEY_LEN: usize = __v::VERIFY_KEY_LEN_HMACSHA256_AES128;
                $body
            }
            __v::VdafSpec::Prio3Histogram {
                length,
                chunk_length,
            } => {
                let $vdaf = __v::histogram(*length, *chunk_length)?;
                const $VERIFY_KEY_LEN: usize = __v::VERIFY_KEY_LEN;
                $body
            }
        }
    }};
}

impl VdafSpec {
    /// A SumVec of `length` entries of `bits` bits with the chunk length VDAF-08
    /// recommends; long vectors (the page domains above all) take the Field64
    /// multiproof instance, which halves the leader's share.
    pub fn sum_vec_for(bits: usize, length: usize) -> Self {
        let chunk_length = prio::vdaf::prio3::optimal_chunk_length(bits * length);
        if bits * length >= LONG_VECTOR {
            VdafSpec::Prio3SumVecField64MultiproofHmacSha256Aes128 {
                proofs: MULTIPROOF_PROOFS,
                bits,
                length,
                chunk_length,
            }
        } else {
            VdafSpec::Prio3SumVec {
                bits,
                length,
                chunk_length,
            }
        }
    }

    pub fn histogram_for(length: usize) -> Self {
        VdafSpec::Prio3Histogram {
            length,
            chunk_length: prio::vdaf::prio3::optimal_chunk_length(length),
        }
    }

    /// The variant's name, as Janus spells it.
    pub fn name(&self) -> &'static str {
        match self {
            VdafSpec::Prio3Count => "Prio3Count",
            VdafSpec::Prio3Sum { .. } => "Prio3Sum",
            VdafSpec::Prio3SumVec { .. } => "Prio3SumVec",
            VdafSpec::Prio3SumVecField64MultiproofHmacSha256Aes128 { .. } => {
                "Prio3SumVecField64MultiproofHmacSha256Aes128"
            }
            VdafSpec::Prio3Histogram { .. } => "Prio3Histogram",
        }
    }

    /// Whether `prio` accepts the parameters.
    pub fn check(&self) -> Result<(), VdafError> {
        with_prio3!(self, |vdaf, _L| {
            let _ = vdaf;
            Ok(())
        })
    }

    /// Splits `measurement` for report `nonce` (the DAP report id). A value
    /// outside the declared range is an error here; an aggregator refuses
    /// one that a forged client shards anyway, by its validity proof.
    pub fn shard(&self, measurement: &Measurement, nonce: &[u8; 16]) -> Result<Shards, ShardError> {
        let mismatch = || ShardError::Mismatch(self.name());
        match (self, measurement) {
            (VdafSpec::Prio3Count, Measurement::Count(b)) => encode_shards(&count()?, b, nonce),
            (VdafSpec::Prio3Sum { bits }, Measurement::Sum(n)) => {
                encode_shards(&sum(*bits)?, &u128::from(*n), nonce)
            }
            (
                VdafSpec::Prio3SumVec {
                    bits,
                    length,
                    chunk_length,
                },
                Measurement::SumVec(v),
            ) => {
                let v: Vec<u128> = v.iter().map(|&n| u128::from(n)).collect();
                encode_shards(&sum_vec(*bits, *length, *chunk_length)?, &v, nonce)
            }
            (
                VdafSpec::Prio3SumVecField64MultiproofHmacSha256Aes128 {
                    proofs,
                    bits,
                    length,
                    chunk_length,
                },
                Measurement::SumVec(v),
            ) => {
                let vdaf = sum_vec_field64_multiproof(*proofs, *bits, *length, *chunk_length)?;
                encode_shards(&vdaf, v, nonce)
            }
            (
                VdafSpec::Prio3Histogram {
                    length,
                    chunk_length,
                },
                Measurement::Histogram(i),
            ) => {
                // prio indexes without checking; a bucket out of range is ours to refuse.
                if i >= length {
                    return Err(mismatch());
                }
                encode_shards(&histogram(*length, *chunk_length)?, i, nonce)
            }
            _ => Err(mismatch()),
        }
    }
}

/// Vectors of at least this many encoded elements (entries times bits) are
/// sent as Field64 multiproof SumVecs: below it the proofs, not the
/// measurement, dominate a report, and Field128 with one proof is smaller.
const LONG_VECTOR: usize = 64;
/// Two Field64 proofs, as Janus provisions this VDAF: together about the
/// soundness of one Field128 proof (robustness only; privacy does not depend
/// on the field).
const MULTIPROOF_PROOFS: u8 = 2;

fn encode_shards<V: Client<16>>(
    vdaf: &V,
    measurement: &V::Measurement,
    nonce: &[u8; 16],
) -> Result<Shards, ShardError> {
    let (public_share, input_shares) = vdaf.shard(measurement, nonce)?;
    let [leader, helper]: [_; 2] = input_shares.try_into().map_err(|_| ShardError::Encode)?;
    let enc = |e: Result<Vec<u8>, _>| e.map_err(|_| ShardError::Encode);
    Ok(Shards {
        public_share: enc(public_share.get_encoded())?,
        leader: enc(leader.get_encoded())?,
        helper: enc(helper.get_encoded())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_uses_janus_names() {
        let spec: VdafSpec =
            serde_json::from_str(r#"{"type":"Prio3SumVec","bits":1,"length":3,"chunk_length":2}"#)
                .unwrap();
        assert_eq!(
            spec,
            VdafSpec::Prio3SumVec {
                bits: 1,
                length: 3,
                chunk_length: 2
            }
        );
        assert!(serde_json::from_str::<VdafSpec>(r#"{"type":"Prio3Sum","bits":8,"x":1}"#).is_err());
        assert_eq!(
            serde_json::to_string(&VdafSpec::Prio3Count).unwrap(),
            r#"{"type":"Prio3Count"}"#
        );
    }

    #[test]
    fn long_vectors_take_the_field64_multiproof() {
        // 14 entries of 2 bits: the proof dominates, Field128 is smaller.
        assert_eq!(VdafSpec::sum_vec_for(2, 14).name(), "Prio3SumVec");
        assert_eq!(
            VdafSpec::sum_vec_for(8, 14).name(),
            "Prio3SumVecField64MultiproofHmacSha256Aes128"
        );
        let long = VdafSpec::sum_vec_for(1, 5_000);
        assert_eq!(long.name(), "Prio3SumVecField64MultiproofHmacSha256Aes128");
        long.check().unwrap();
    }

    #[test]
    fn mismatched_or_out_of_range_measurements_are_refused() {
        let nonce = [7; 16];
        let sum = VdafSpec::Prio3Sum { bits: 4 };
        assert!(sum.shard(&Measurement::Sum(15), &nonce).is_ok());
        assert!(sum.shard(&Measurement::Sum(16), &nonce).is_err());
        assert!(sum.shard(&Measurement::Count(true), &nonce).is_err());
        let vec = VdafSpec::sum_vec_for(1, 3);
        assert!(vec.shard(&Measurement::SumVec(vec![1, 0]), &nonce).is_err());
        assert!(vec
            .shard(&Measurement::SumVec(vec![1, 2, 0]), &nonce)
            .is_err());
        let hist = VdafSpec::histogram_for(3);
        assert!(hist.shard(&Measurement::Histogram(3), &nonce).is_err());
        assert!(VdafSpec::Prio3SumVecField64MultiproofHmacSha256Aes128 {
            proofs: 1,
            bits: 1,
            length: 300,
            chunk_length: 17
        }
        .check()
        .is_err());
    }
}
