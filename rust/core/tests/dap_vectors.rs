//! The published VDAF-08 test vectors (tests/data/vdaf-08, as `prio` 0.16
//! ships them), run through Hush's own VDAF constructors: the instances the
//! client shards with are the ones the specification defines, byte for byte
//! (public share, input shares, preparation, output and aggregate shares).
//! Only the two-share vectors are kept: DAP runs exactly two aggregators.

use std::collections::HashMap;
use std::io::Cursor;

use hush_core::dap::vdaf;
use prio::codec::{Decode, Encode};
use prio::field::{Field128, Field64};
use prio::flp::gadgets::{Mul, ParallelSum};
use prio::flp::types::SumVec;
use prio::vdaf::prio3::Prio3;
use prio::vdaf::prio3_test::{check_test_vec, check_test_vec_custom_de};
use prio::vdaf::xof::{Xof, XofHmacSha256Aes128, XofTurboShake128};

fn param(json: &HashMap<String, serde_json::Value>, name: &str) -> usize {
    json[name].as_u64().expect("numeric VDAF parameter") as usize
}

fn vector(name: &str) -> String {
    let path = format!("{}/tests/data/vdaf-08/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The vectors write a Count measurement as 0 or 1.
#[derive(Clone, serde::Deserialize)]
#[serde(transparent)]
struct CountMeasurement(u8);

impl From<CountMeasurement> for bool {
    fn from(m: CountMeasurement) -> bool {
        m.0 != 0
    }
}

fn two_aggregators(shares: u8) {
    assert_eq!(shares, vdaf::NUM_AGGREGATORS, "DAP runs two aggregators");
}

#[test]
fn prio3_count() {
    let v = "Prio3Count_0.json";
    check_test_vec_custom_de::<CountMeasurement, _, _, _, _, 16>(&vector(v), |_, shares| {
        two_aggregators(shares);
        vdaf::count().unwrap()
    });
}

#[test]
fn prio3_sum() {
    let v = "Prio3Sum_0.json";
    check_test_vec(&vector(v), |json, shares| {
        two_aggregators(shares);
        vdaf::sum(param(json, "bits")).unwrap()
    });
}

#[test]
fn prio3_sum_vec() {
    let v = "Prio3SumVec_0.json";
    check_test_vec(&vector(v), |json, shares| {
        two_aggregators(shares);
        vdaf::sum_vec(
            param(json, "bits"),
            param(json, "length"),
            param(json, "chunk_length"),
        )
        .unwrap()
    });
}

#[test]
fn prio3_histogram() {
    let v = "Prio3Histogram_0.json";
    check_test_vec(&vector(v), |json, shares| {
        two_aggregators(shares);
        vdaf::histogram(param(json, "length"), param(json, "chunk_length")).unwrap()
    });
}

/// The vectors of the Field64 multiproof SumVec use TurboSHAKE128 and a test
/// algorithm id; Janus's variant, which Hush sends, differs only in its XOF
/// (checked against its own vector below). This runs the same circuit,
/// gadget and three proofs the Hush instance is built from.
#[test]
fn prio3_sum_vec_field64_multiproof_circuit() {
    type Circuit = SumVec<Field64, ParallelSum<Field64, Mul<Field64>>>;
    let v = "Prio3SumVecField64Multiproof_0.json";
    check_test_vec(&vector(v), |json, shares| {
        two_aggregators(shares);
        let circuit = Circuit::new(
            param(json, "bits"),
            param(json, "length"),
            param(json, "chunk_length"),
        )
        .unwrap();
        Prio3::<Circuit, XofTurboShake128, 16>::new(shares, 3, 0xFFFF_FFFF, circuit).unwrap()
    });
}

#[derive(serde::Deserialize)]
struct XofVector {
    #[serde(with = "hex_bytes")]
    seed: Vec<u8>,
    #[serde(with = "hex_bytes")]
    dst: Vec<u8>,
    #[serde(with = "hex_bytes")]
    binder: Vec<u8>,
    #[serde(with = "hex_bytes")]
    derived_seed: Vec<u8>,
    #[serde(with = "hex_bytes")]
    expanded_vec_field128: Vec<u8>,
    length: usize,
}

mod hex_bytes {
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// The XOF of the multiproof instance Hush sends (`vdaf::sum_vec_field64_multiproof`).
#[test]
fn xof_hmac_sha256_aes128() {
    let t: XofVector = serde_json::from_str(&vector("XofHmacSha256Aes128.json")).unwrap();
    let mut xof = XofHmacSha256Aes128::init(&t.seed.clone().try_into().unwrap(), &t.dst);
    xof.update(&t.binder);
    assert_eq!(
        xof.clone().into_seed().get_encoded().unwrap(),
        t.derived_seed
    );
    let mut bytes = Cursor::new(t.expanded_vec_field128.as_slice());
    let mut want = Vec::with_capacity(t.length);
    while (bytes.position() as usize) < t.expanded_vec_field128.len() {
        want.push(Field128::decode(&mut bytes).unwrap());
    }
    use prio::vdaf::xof::IntoFieldVec;
    let got: Vec<Field128> = xof.into_seed_stream().into_field_vec(t.length);
    assert_eq!(got, want);
}
