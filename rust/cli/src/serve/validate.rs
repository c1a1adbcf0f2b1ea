//! What the report target accepts: the request (opened by a gateway, or
//! plain HTTP in target-only mode) must be `POST /report` with a JSON report
//! that the collector's schema accepts. Validation is the core's own checkpoint-restore check
//! ([`Window::from_report`]): report format, schema version, every metric
//! name and type, every declared label, and domain and engine labels only as
//! the shipped anonymizer could have produced them. What a client could not
//! have sent is refused, so nothing raw can be smuggled into the store.

use hush_core::anonymize::Anonymizer;
use hush_core::clock::UtcDay;
use hush_core::report::Report;
use hush_core::schema::Schema;
/// Path of the JSON report resource (the pre-DAP collector).
const REPORT_PATH: &str = "/report";
use hush_core::window::{RestoreError, Window};

use super::store::Row;
use super::target::InnerRequest;

/// An inner (sealed) answer that is not a success: status and a fixed reason.
/// Reasons never quote the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub reason: &'static str,
}

const fn refuse(status: u16, reason: &'static str) -> Refusal {
    Refusal { status, reason }
}

/// How old a report's day may be: the outbox holds a month of reports, plus
/// retries. A day in the future (beyond time-zone skew) is refused too.
pub const MAX_REPORT_AGE_DAYS: i64 = 40;

/// Checks one request, received on `today`, and reduces it to the row to store.
pub fn check(schema: &Schema, today: UtcDay, request: &InnerRequest) -> Result<Row, Refusal> {
    if request.path != REPORT_PATH.as_bytes() {
        return Err(refuse(404, "unknown resource"));
    }
    if request.method != b"POST" {
        return Err(refuse(405, "only POST"));
    }
    if let Some(ct) = &request.content_type {
        if !super::http::is_media_type(ct, "application/json") {
            return Err(refuse(415, "reports are application/json"));
        }
    }
    let report = Report::from_json(&request.body).map_err(|_| refuse(400, "not a hush report"))?;
    Window::from_report(&report, schema, Anonymizer::shipped()).map_err(|e| match e {
        RestoreError::Format => refuse(400, "unknown report format or schema version"),
        RestoreError::Schema => refuse(400, "unknown metric, type or label"),
    })?;
    let day = UtcDay::parse_iso(&report.day).ok_or(refuse(400, "invalid day"))?;
    if day.0 < today.0 - MAX_REPORT_AGE_DAYS || day.0 > today.0 + 1 {
        return Err(refuse(400, "day out of range"));
    }
    // The environment is deliberately not kept: the totals do not need it,
    // and per-report app version + API level + language narrows who sent it.
    Ok(Row {
        metrics: to_json(&report.metrics),
        errors: to_json(&report.errors),
        dropped: to_json(&report.dropped),
        report_id: report.report_id,
        day: report.day,
        schema_version: report.schema_version,
    })
}

/// Parts of a validated report hold only strings, integers and string-keyed
/// maps, so serializing them cannot fail.
fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hush_core::ohttp::bhttp::encode_request;

    /// A request as a client seals it, opened as the gateway opens it.
    fn request(method: &str, path: &str, body: &[u8]) -> InnerRequest {
        let bytes = encode_request(
            method,
            "https",
            "collector.example",
            path,
            &[("content-type", "application/json")],
            body,
            1024,
        );
        InnerRequest::from_bhttp(&crate::gateway::decode_request(&bytes).unwrap())
    }

    /// The day the test reports are "received" on.
    fn today() -> UtcDay {
        UtcDay::parse_iso("2024-03-02").unwrap()
    }

    fn report(metrics: &str) -> Vec<u8> {
        format!(
            r#"{{"format":"hush-report/1","schema_version":1,"report_id":"00112233445566778899aabbccddeeff","day":"2024-03-01","environment":{{"app_version":"14.2","android_api":34,"language":"en"}},"metrics":{metrics}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn a_valid_report_becomes_a_row_without_its_environment() {
        let schema = Schema::default_browser();
        let body = report(
            r#"{"tabs.opened":{"counter":3},"search.engine":{"search_engine":{"google":2}}}"#,
        );
        let row = check(&schema, today(), &request("POST", "/report", &body)).unwrap();
        assert_eq!(row.report_id, "00112233445566778899aabbccddeeff");
        assert_eq!(row.day, "2024-03-01");
        assert_eq!(
            row.metrics,
            r#"{"search.engine":{"search_engine":{"google":2}},"tabs.opened":{"counter":3}}"#
        );
        for part in [&row.metrics, &row.errors, &row.dropped] {
            assert!(!part.contains("android") && !part.contains("14.2"));
        }
    }

    #[test]
    fn everything_else_is_refused_with_its_status() {
        let schema = Schema::default_browser();
        let ok = report(r#"{"tabs.opened":{"counter":1}}"#);
        let cases: Vec<(InnerRequest, u16)> = vec![
            (request("GET", "/report", &ok), 405),
            (request("POST", "/other", &ok), 404),
            (request("POST", "/report", b"not json"), 400),
            (
                request("POST", "/report", &report(r#"{"no.such":{"counter":1}}"#)),
                400,
            ),
            (
                request(
                    "POST",
                    "/report",
                    &report(r#"{"tabs.opened":{"boolean":true}}"#),
                ),
                400,
            ),
            (
                request(
                    "POST",
                    "/report",
                    &report(r#"{"settings.switched":{"labeled_counter":{"CANARY":1}}}"#),
                ),
                400,
            ),
            (
                request(
                    "POST",
                    "/report",
                    &report(r#"{"page.domain":{"domain":{"canary.example":1}}}"#),
                ),
                400,
            ),
            // Beyond the daily cap (1 for the shipped schema): no client sends it.
            (
                request(
                    "POST",
                    "/report",
                    &report(r#"{"page.domain":{"domain":{"wikipedia.org":1000000}}}"#),
                ),
                400,
            ),
            // Days too old or in the future.
            (
                request(
                    "POST",
                    "/report",
                    &String::from_utf8(ok.clone())
                        .unwrap()
                        .replace("2024-03-01", "2024-01-01")
                        .into_bytes(),
                ),
                400,
            ),
            (
                request(
                    "POST",
                    "/report",
                    &String::from_utf8(ok.clone())
                        .unwrap()
                        .replace("2024-03-01", "2099-01-01")
                        .into_bytes(),
                ),
                400,
            ),
            (
                request(
                    "POST",
                    "/report",
                    &String::from_utf8(ok.clone())
                        .unwrap()
                        .replace("\"schema_version\":1", "\"schema_version\":9")
                        .into_bytes(),
                ),
                400,
            ),
            (
                request(
                    "POST",
                    "/report",
                    &String::from_utf8(ok.clone())
                        .unwrap()
                        .replace("hush-report/1", "hush-report/2")
                        .into_bytes(),
                ),
                400,
            ),
            (
                InnerRequest {
                    content_type: Some(b"text/plain".to_vec()),
                    ..request("POST", "/report", &ok)
                },
                415,
            ),
        ];
        for (i, (req, status)) in cases.iter().enumerate() {
            assert_eq!(
                check(&schema, today(), req).unwrap_err().status,
                *status,
                "case {i}"
            );
        }
        assert!(check(&schema, today(), &request("POST", "/report", &ok)).is_ok());
    }

    /// Clients retry a report until its day is older than the collector
    /// takes, and no longer (P16): the two bounds are one.
    #[test]
    fn the_clients_expiry_is_the_collectors_age_limit() {
        assert_eq!(
            hush_core::upload::UploadPolicy::default().max_age_days,
            MAX_REPORT_AGE_DAYS
        );
    }
}
