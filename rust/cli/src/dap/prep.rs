//! VDAF preparation for the aggregators, on `prio` 0.16's ping-pong
//! topology, for whichever Prio3 instance a task names (through hush-core's
//! `with_prio3!`, so client and aggregators share every parameter).
//!
//! Prio3 prepares in one round: the leader's `Initialize` message carries
//! its prepare share; the helper combines both, checks the validity proof,
//! answers `Finish` and has its output share; the leader, given `Finish`,
//! has its own. A report whose proof does not verify (a value outside its
//! declared range, a tampered share) fails here on both sides and is never
//! aggregated.
//!
//! Shares cross this module's boundary encoded, as DAP and the stores keep
//! them; the concrete types stay inside.

use janus_messages::PrepareError;
use prio::codec::{Encode, ParameterizedDecode};
use prio::topology::ping_pong::{
    PingPongContinuedValue, PingPongMessage, PingPongState, PingPongTopology,
};
use prio::vdaf::{Aggregatable, Aggregator, Collector, VdafError};

use hush_core::dap::VdafSpec;

#[derive(Debug, thiserror::Error)]
pub enum PrepError {
    #[error("the task's VDAF cannot be instantiated: {0}")]
    Vdaf(#[from] VdafError),
    #[error("the verify key has the wrong length")]
    VerifyKey,
    #[error("a stored aggregate share does not decode")]
    Share,
    #[error("the aggregate shares do not unshard: {0}")]
    Unshard(VdafError),
}

/// One report's inputs to preparation, encoded as DAP carries them.
pub struct Input<'a> {
    pub report_id: &'a [u8; 16],
    pub public_share: &'a [u8],
    pub input_share: &'a [u8],
}

/// Whether a public share and the leader's (or helper's) input share
/// decode for `vdaf`: what the leader checks at upload.
pub fn shares_decode(
    spec: &VdafSpec,
    agg_id: usize,
    public_share: &[u8],
    input_share: &[u8],
) -> bool {
    fn check<const L: usize, V: Aggregator<L, 16, AggregationParam = ()>>(
        vdaf: &V,
        agg_id: usize,
        p: &[u8],
        i: &[u8],
    ) -> bool {
        V::PublicShare::get_decoded_with_param(vdaf, p).is_ok()
            && V::InputShare::get_decoded_with_param(&(vdaf, agg_id), i).is_ok()
    }
    let run = || -> Result<bool, PrepError> {
        Ok(hush_core::with_prio3!(spec, |vdaf, L| check::<L, _>(
            &vdaf,
            agg_id,
            public_share,
            input_share
        )))
    };
    run().unwrap_or(false)
}

/// The prepared reports of one aggregation job, on one side.
pub trait Prepared: Send {
    /// The message to send the peer for report `i`, or why it failed.
    fn outcome(&self, i: usize) -> Result<&PingPongMessage, PrepareError>;
    /// Leader: takes the helper's message for report `i`. Afterwards report
    /// `i` has an output share, or failed.
    fn finish(&mut self, i: usize, inbound: &PingPongMessage);
    /// Whether report `i` has an output share ready to aggregate.
    fn is_finished(&self, i: usize) -> bool;
    /// Adds the output shares of `reports` (all finished) to `prior`, an
    /// encoded aggregate share of the same task (or nothing yet).
    fn aggregate(&self, reports: &[usize], prior: Option<&[u8]>) -> Result<Vec<u8>, PrepError>;
}

enum Entry<const L: usize, V: Aggregator<L, 16, AggregationParam = ()>> {
    Failed(PrepareError),
    /// Leader, waiting for the helper: its state and the `Initialize` it sent.
    Waiting(PingPongState<L, 16, V>, PingPongMessage),
    /// An output share, and the message to send (the helper's `Finish`).
    Finished(V::OutputShare, Option<PingPongMessage>),
}

struct Job<const L: usize, V: Aggregator<L, 16, AggregationParam = ()>> {
    vdaf: V,
    entries: Vec<Entry<L, V>>,
}

fn decode_inputs<const L: usize, V: Aggregator<L, 16, AggregationParam = ()>>(
    vdaf: &V,
    agg_id: usize,
    input: &Input<'_>,
) -> Result<(V::PublicShare, V::InputShare), PrepareError> {
    let public = V::PublicShare::get_decoded_with_param(vdaf, input.public_share)
        .map_err(|_| PrepareError::InvalidMessage)?;
    let share = V::InputShare::get_decoded_with_param(&(vdaf, agg_id), input.input_share)
        .map_err(|_| PrepareError::InvalidMessage)?;
    Ok((public, share))
}

fn leader_entry<const L: usize, V: Aggregator<L, 16, AggregationParam = ()>>(
    vdaf: &V,
    verify_key: &[u8; L],
    input: &Input<'_>,
) -> Entry<L, V> {
    let (public, share) = match decode_inputs(vdaf, 0, input) {
        Ok(decoded) => decoded,
        Err(e) => return Entry::Failed(e),
    };
    match vdaf.leader_initialized(verify_key, &(), input.report_id, &public, &share) {
        Ok((state, message)) => Entry::Waiting(state, message),
        Err(_) => Entry::Failed(PrepareError::VdafPrepError),
    }
}

fn helper_entry<const L: usize, V: Aggregator<L, 16, AggregationParam = ()>>(
    vdaf: &V,
    verify_key: &[u8; L],
    input: &Input<'_>,
    inbound: &PingPongMessage,
) -> Entry<L, V> {
    let (public, share) = match decode_inputs(vdaf, 1, input) {
        Ok(decoded) => decoded,
        Err(e) => return Entry::Failed(e),
    };
    let evaluated = vdaf
        .helper_initialized(verify_key, &(), input.report_id, &public, &share, inbound)
        .and_then(|transition| transition.evaluate(vdaf));
    match evaluated {
        Ok((PingPongState::Finished(output), message)) => Entry::Finished(output, Some(message)),
        // Every Prio3 instance finishes in one round.
        Ok((PingPongState::Continued(_), _)) | Err(_) => Entry::Failed(PrepareError::VdafPrepError),
    }
}

impl<const L: usize, V> Prepared for Job<L, V>
where
    V: Aggregator<L, 16, AggregationParam = ()> + Send,
    V::PrepareState: Send,
    V::OutputShare: Send,
{
    fn outcome(&self, i: usize) -> Result<&PingPongMessage, PrepareError> {
        match &self.entries[i] {
            Entry::Failed(e) => Err(*e),
            Entry::Waiting(_, m) | Entry::Finished(_, Some(m)) => Ok(m),
            Entry::Finished(_, None) => Err(PrepareError::InvalidMessage),
        }
    }

    fn finish(&mut self, i: usize, inbound: &PingPongMessage) {
        let entry = std::mem::replace(
            &mut self.entries[i],
            Entry::Failed(PrepareError::VdafPrepError),
        );
        self.entries[i] = match entry {
            Entry::Waiting(state, _) => match self.vdaf.leader_continued(state, &(), inbound) {
                Ok(PingPongContinuedValue::FinishedNoMessage { output_share }) => {
                    Entry::Finished(output_share, None)
                }
                // A second round, or a proof that does not verify.
                Ok(PingPongContinuedValue::WithMessage { .. }) | Err(_) => {
                    Entry::Failed(PrepareError::VdafPrepError)
                }
            },
            other => other,
        };
    }

    fn is_finished(&self, i: usize) -> bool {
        matches!(self.entries[i], Entry::Finished(..))
    }

    fn aggregate(&self, reports: &[usize], prior: Option<&[u8]>) -> Result<Vec<u8>, PrepError> {
        let mut total: Option<V::AggregateShare> = match prior {
            Some(bytes) => Some(
                V::AggregateShare::get_decoded_with_param(&(&self.vdaf, &()), bytes)
                    .map_err(|_| PrepError::Share)?,
            ),
            None => None,
        };
        for &i in reports {
            let Entry::Finished(output, _) = &self.entries[i] else {
                return Err(PrepError::Share);
            };
            match &mut total {
                Some(t) => t.accumulate(output)?,
                None => total = Some(V::AggregateShare::from(output.clone())),
            }
        }
        total
            .ok_or(PrepError::Share)?
            .get_encoded()
            .map_err(|_| PrepError::Share)
    }
}

/// `f` over `items` on every core (preparation is the aggregators' CPU
/// work: each report is independent), results in order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(1);
    if threads == 1 || items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

fn verify_key<const L: usize>(key: &[u8]) -> Result<[u8; L], PrepError> {
    key.try_into().map_err(|_| PrepError::VerifyKey)
}

/// The leader's first step for every report of a job.
pub fn leader_init(
    spec: &VdafSpec,
    key: &[u8],
    inputs: &[Input<'_>],
) -> Result<Box<dyn Prepared>, PrepError> {
    Ok(hush_core::with_prio3!(spec, |vdaf, L| {
        let key = verify_key::<L>(key)?;
        let entries = parallel_map(inputs, |input| leader_entry::<L, _>(&vdaf, &key, input));
        Box::new(Job::<L, _> { vdaf, entries }) as Box<dyn Prepared>
    }))
}

/// The helper's whole preparation of a job: each report with the leader's
/// `Initialize` message.
pub fn helper_init(
    spec: &VdafSpec,
    key: &[u8],
    inputs: &[(Input<'_>, &PingPongMessage)],
) -> Result<Box<dyn Prepared>, PrepError> {
    Ok(hush_core::with_prio3!(spec, |vdaf, L| {
        let key = verify_key::<L>(key)?;
        let entries = parallel_map(inputs, |(input, inbound)| {
            helper_entry::<L, _>(&vdaf, &key, input, inbound)
        });
        Box::new(Job::<L, _> { vdaf, entries }) as Box<dyn Prepared>
    }))
}

/// The sum of several encoded aggregate shares of one task.
pub fn merge(spec: &VdafSpec, shares: &[&[u8]]) -> Result<Vec<u8>, PrepError> {
    fn run<const L: usize, V: Aggregator<L, 16, AggregationParam = ()>>(
        vdaf: &V,
        shares: &[&[u8]],
    ) -> Result<Vec<u8>, PrepError> {
        let mut total: Option<V::AggregateShare> = None;
        for bytes in shares {
            let share = V::AggregateShare::get_decoded_with_param(&(vdaf, &()), bytes)
                .map_err(|_| PrepError::Share)?;
            match &mut total {
                Some(t) => t.merge(&share)?,
                None => total = Some(share),
            }
        }
        total
            .ok_or(PrepError::Share)?
            .get_encoded()
            .map_err(|_| PrepError::Share)
    }
    hush_core::with_prio3!(spec, |vdaf, L| run::<L, _>(&vdaf, shares))
}

/// What an aggregate result becomes: one total per vector entry or bucket
/// (a single one for a count or a sum).
pub trait Totals {
    fn totals(self) -> Vec<u128>;
}

impl Totals for u64 {
    fn totals(self) -> Vec<u128> {
        vec![u128::from(self)]
    }
}

impl Totals for u128 {
    fn totals(self) -> Vec<u128> {
        vec![self]
    }
}

impl Totals for Vec<u64> {
    fn totals(self) -> Vec<u128> {
        self.into_iter().map(u128::from).collect()
    }
}

impl Totals for Vec<u128> {
    fn totals(self) -> Vec<u128> {
        self
    }
}

/// The collector's last step: both aggregate shares to the totals.
pub fn unshard(
    spec: &VdafSpec,
    leader: &[u8],
    helper: &[u8],
    report_count: u64,
) -> Result<Vec<u128>, PrepError> {
    fn run<const L: usize, V>(
        vdaf: &V,
        leader: &[u8],
        helper: &[u8],
        n: u64,
    ) -> Result<Vec<u128>, PrepError>
    where
        V: Aggregator<L, 16, AggregationParam = ()> + Collector,
        V::AggregateResult: Totals,
    {
        let decode = |b: &[u8]| {
            V::AggregateShare::get_decoded_with_param(&(vdaf, &()), b).map_err(|_| PrepError::Share)
        };
        let n = usize::try_from(n).map_err(|_| PrepError::Share)?;
        vdaf.unshard(&(), [decode(leader)?, decode(helper)?], n)
            .map(Totals::totals)
            .map_err(PrepError::Unshard)
    }
    hush_core::with_prio3!(spec, |vdaf, L| run::<L, _>(
        &vdaf,
        leader,
        helper,
        report_count
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hush_core::dap::vdaf::Measurement;

    /// Client shards, leader and helper prepare, both aggregate, the
    /// collector unshards: the total is the sum, and a tampered share fails.
    #[test]
    fn one_round_preparation_aggregates_to_the_sum_for_every_vdaf() {
        let cases = [
            (
                VdafSpec::Prio3Count,
                vec![
                    Measurement::Count(true),
                    Measurement::Count(true),
                    Measurement::Count(false),
                ],
                vec![2],
            ),
            (
                VdafSpec::Prio3Sum { bits: 8 },
                vec![
                    Measurement::Sum(200),
                    Measurement::Sum(55),
                    Measurement::Sum(0),
                ],
                vec![255],
            ),
            (
                VdafSpec::sum_vec_for(2, 3),
                vec![
                    Measurement::SumVec(vec![3, 0, 1]),
                    Measurement::SumVec(vec![1, 2, 1]),
                    Measurement::SumVec(vec![0, 0, 0]),
                ],
                vec![4, 2, 2],
            ),
            (
                VdafSpec::sum_vec_for(1, 300),
                vec![
                    Measurement::SumVec(one_hot(300, 7)),
                    Measurement::SumVec(one_hot(300, 7)),
                    Measurement::SumVec(one_hot(300, 299)),
                ],
                {
                    let mut t = vec![0; 300];
                    t[7] = 2;
                    t[299] = 1;
                    t
                },
            ),
            (
                VdafSpec::histogram_for(4),
                vec![
                    Measurement::Histogram(3),
                    Measurement::Histogram(0),
                    Measurement::Histogram(3),
                ],
                vec![1, 0, 0, 2],
            ),
        ];
        for (spec, measurements, expected) in cases {
            let key = vec![9u8; crate::dap::deployment::verify_key_len(&spec)];
            let shards: Vec<_> = measurements
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    (
                        [i as u8 + 1; 16],
                        spec.shard(m, &[i as u8 + 1; 16]).unwrap(),
                    )
                })
                .collect();
            let leader_inputs: Vec<_> = shards
                .iter()
                .map(|(id, s)| Input {
                    report_id: id,
                    public_share: &s.public_share,
                    input_share: &s.leader,
                })
                .collect();
            let mut leader = leader_init(&spec, &key, &leader_inputs).unwrap();
            let messages: Vec<PingPongMessage> = (0..shards.len())
                .map(|i| leader.outcome(i).unwrap().clone())
                .collect();
            let mut tampered = shards[2].1.helper.clone();
            let last = tampered.len() - 1;
            tampered[last] ^= 1;
            let helper_inputs: Vec<_> = shards
                .iter()
                .enumerate()
                .map(|(i, (id, s))| {
                    let share: &[u8] = if i == 2 { &tampered } else { &s.helper };
                    (
                        Input {
                            report_id: id,
                            public_share: &s.public_share,
                            input_share: share,
                        },
                        &messages[i],
                    )
                })
                .collect();
            let helper = helper_init(&spec, &key, &helper_inputs).unwrap();
            assert!(
                helper.outcome(2).is_err(),
                "{} accepted a tampered share",
                spec.name()
            );
            for i in 0..2 {
                let m = helper.outcome(i).unwrap().clone();
                leader.finish(i, &m);
                assert!(leader.is_finished(i) && helper.is_finished(i));
            }
            let l = leader.aggregate(&[0], None).unwrap();
            let l = leader.aggregate(&[1], Some(&l)).unwrap();
            let h = helper.aggregate(&[0, 1], None).unwrap();
            // The third report alone, re-aggregated without tampering:
            let helper_ok = helper_init(
                &spec,
                &key,
                &[(
                    Input {
                        report_id: &shards[2].0,
                        public_share: &shards[2].1.public_share,
                        input_share: &shards[2].1.helper,
                    },
                    &messages[2],
                )],
            )
            .unwrap();
            let m = helper_ok.outcome(0).unwrap().clone();
            leader.finish(2, &m);
            let l = merge(&spec, &[&l, &leader.aggregate(&[2], None).unwrap()]).unwrap();
            let h = helper_ok.aggregate(&[0], Some(&h)).unwrap();
            assert_eq!(
                unshard(&spec, &l, &h, 3).unwrap(),
                expected,
                "{}",
                spec.name()
            );
        }
    }

    fn one_hot(len: usize, i: usize) -> Vec<u64> {
        let mut v = vec![0; len];
        v[i] = 1;
        v
    }
}
