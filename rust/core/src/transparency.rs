//! What is waiting to be sent, in plain words (P13). Every sealed report in
//! the outbox is listed with its day, what it holds and where its delivery
//! stands, read from the core's own record of what it sealed (the task, the
//! plan's description of it, the upload bookkeeping), never by decrypting:
//! the device cannot open a sealed report, and the values of a closed day
//! exist nowhere in clear (P10).

use serde::Serialize;

use crate::dap::Plan;
use crate::store::outbox::PendingMeta;
use crate::upload::answer::Answer;

/// One sealed report waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingUpload {
    /// The report's UTC day, `YYYY-MM-DD` (empty if a crash lost it).
    pub day: String,
    /// The metric it measures (or one of Hush's own, `hush.*`).
    pub metric: String,
    /// In plain words, what it holds: the metric's description and the shape
    /// of the secret-shared value.
    pub holds: String,
    #[serde(flatten)]
    pub state: DeliveryState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeliveryState {
    /// Being sent right now.
    Sending,
    /// Not tried yet; not before this time (ms since the epoch).
    Waiting { not_before_ms: i64 },
    /// Tried and failed `attempts` times, the last answered `last_answer`
    /// (say, a relay's 404); next try not before this time.
    Retrying {
        attempts: u32,
        not_before_ms: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        last_answer: Option<Answer>,
    },
}

/// The outbox in plain words, oldest first.
pub fn pending_uploads(
    entries: &[PendingMeta],
    in_flight: &[&str],
    plan: &Plan,
    describe_metric: impl Fn(&str) -> Option<String>,
) -> Vec<PendingUpload> {
    entries
        .iter()
        .map(|m| {
            let state = if in_flight.contains(&m.id.as_str()) {
                DeliveryState::Sending
            } else if m.attempts == 0 {
                DeliveryState::Waiting {
                    not_before_ms: m.not_before_ms,
                }
            } else {
                DeliveryState::Retrying {
                    attempts: m.attempts,
                    not_before_ms: m.not_before_ms,
                    last_answer: m.last_answer,
                }
            };
            let holds = match (describe_metric(&m.task), plan.task(&m.task)) {
                (Some(what), Some(task)) => format!("{what} It holds {}.", task.holds),
                (None, Some(task)) => format!("It holds {}.", task.holds),
                _ => "A report of an earlier version of the app.".to_owned(),
            };
            PendingUpload {
                day: m.day.clone(),
                metric: m.task.clone(),
                holds,
                state,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anonymize::Anonymizer;
    use crate::schema::Schema;

    fn meta(id: &str, task: &str, attempts: u32) -> PendingMeta {
        PendingMeta {
            id: id.into(),
            size: 1,
            not_before_ms: 5,
            attempts,
            day: "2026-11-30".into(),
            task: task.into(),
            last_answer: (attempts > 0).then_some(Answer::Outer { status: 404 }),
        }
    }

    #[test]
    fn each_report_is_listed_with_its_day_contents_and_state() {
        let plan = Plan::new(&Schema::default_browser(), Anonymizer::shipped()).unwrap();
        let list = pending_uploads(
            &[
                meta("a", "page.domain", 0),
                meta("b", "tabs.opened", 2),
                meta("c", "hush.errors", 0),
                meta("d", "gone.metric", 0),
            ],
            &["c"],
            &plan,
            |m| (m == "tabs.opened").then(|| "Normal tabs opened.".to_owned()),
        );
        assert_eq!(list.len(), 4);
        assert!(
            list[0].holds.contains("popular domains"),
            "{}",
            list[0].holds
        );
        assert_eq!(list[0].state, DeliveryState::Waiting { not_before_ms: 5 });
        assert_eq!(
            list[1].holds,
            "Normal tabs opened. It holds a count from 0 to 255."
        );
        assert_eq!(
            list[1].state,
            DeliveryState::Retrying {
                attempts: 2,
                not_before_ms: 5,
                last_answer: Some(Answer::Outer { status: 404 })
            }
        );
        assert_eq!(list[2].state, DeliveryState::Sending);
        assert!(list[3].holds.contains("earlier version"));
        let json = serde_json::to_string(&list[1]).unwrap();
        assert!(json.contains(r#""state":"retrying""#), "{json}");
        assert!(
            json.contains(r#""last_answer":{"kind":"outer","status":404}"#),
            "{json}"
        );
        assert!(json.contains(r#""day":"2026-11-30""#), "{json}");
    }
}
