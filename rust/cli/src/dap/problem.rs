//! Error answers: RFC 9457 problem documents (`application/problem+json`),
//! with DAP-09's problem types (`janus_messages::problem_type`) and the
//! status codes Janus 0.7 gives them: 403 for `unauthorizedRequest`, 400 for
//! every other DAP problem (an "abort" of the protocol, DAP-09 §3.2). Errors
//! DAP has no type for (a wrong media type, an unknown collection job, a
//! conflicting re-send) keep Janus's status and get an `about:blank`
//! document whose title says what was wrong.

use hyper::StatusCode;
use janus_messages::problem_type::DapProblemType;
use janus_messages::TaskId;

pub const PROBLEM_MEDIA_TYPE: &str = "application/problem+json";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    kind: Kind,
    task_id: Option<TaskId>,
    detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dap(DapProblemType),
    Plain {
        status: StatusCode,
        title: &'static str,
    },
}

impl Problem {
    pub fn dap(kind: DapProblemType) -> Self {
        Self {
            kind: Kind::Dap(kind),
            task_id: None,
            detail: None,
        }
    }

    /// A problem DAP has no type for.
    pub fn plain(status: StatusCode, title: &'static str) -> Self {
        Self {
            kind: Kind::Plain { status, title },
            task_id: None,
            detail: None,
        }
    }

    pub fn with_task(mut self, task_id: &TaskId) -> Self {
        self.task_id = Some(*task_id);
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn status(&self) -> StatusCode {
        match self.kind {
            Kind::Dap(DapProblemType::UnauthorizedRequest) => StatusCode::FORBIDDEN,
            Kind::Dap(_) => StatusCode::BAD_REQUEST,
            Kind::Plain { status, .. } => status,
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        let (type_uri, title) = match self.kind {
            Kind::Dap(t) => (t.type_uri(), t.description()),
            Kind::Plain { title, .. } => ("about:blank", title),
        };
        let mut doc = serde_json::json!({
            "type": type_uri,
            "title": title,
            "status": self.status().as_u16(),
        });
        if let Some(task_id) = &self.task_id {
            doc["taskid"] = task_id.to_string().into();
        }
        if let Some(detail) = &self.detail {
            doc["detail"] = detail.as_str().into();
        }
        serde_json::to_vec(&doc).expect("a JSON value always serializes")
    }

    // The DAP problems every handler raises.

    pub fn invalid_message(task_id: &TaskId, detail: &str) -> Self {
        Self::dap(DapProblemType::InvalidMessage)
            .with_task(task_id)
            .with_detail(detail)
    }

    pub fn unrecognized_task(task_id: &TaskId) -> Self {
        Self::dap(DapProblemType::UnrecognizedTask).with_task(task_id)
    }

    pub fn unauthorized(task_id: &TaskId) -> Self {
        Self::dap(DapProblemType::UnauthorizedRequest).with_task(task_id)
    }

    /// A batch below the task's minimum batch size: no aggregator releases it.
    pub fn too_few(task_id: &TaskId, min: u64) -> Self {
        Self::dap(DapProblemType::InvalidBatchSize)
            .with_task(task_id)
            .with_detail(format!(
                "the batch holds fewer reports than the task's minimum batch size ({min})"
            ))
    }

    pub fn internal() -> Self {
        Self::plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error; try again later.",
        )
    }
}

/// A problem document an aggregator answered, as a peer reads it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ReceivedProblem {
    #[serde(rename = "type")]
    pub type_uri: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub detail: Option<String>,
}

impl ReceivedProblem {
    pub fn parse(body: &[u8]) -> Option<Self> {
        serde_json::from_slice(body).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_carry_janus_statuses_and_dap_types() {
        let task = TaskId::from([3; 32]);
        let p = Problem::unauthorized(&task);
        assert_eq!(p.status(), StatusCode::FORBIDDEN);
        let doc: serde_json::Value = serde_json::from_slice(&p.to_json()).unwrap();
        assert_eq!(
            doc["type"],
            "urn:ietf:params:ppm:dap:error:unauthorizedRequest"
        );
        assert_eq!(doc["status"], 403);
        assert_eq!(doc["taskid"], task.to_string());
        let p = Problem::dap(DapProblemType::InvalidBatchSize).with_detail("3 reports");
        assert_eq!(p.status(), StatusCode::BAD_REQUEST);
        let back = ReceivedProblem::parse(&p.to_json()).unwrap();
        assert_eq!(back.type_uri, DapProblemType::InvalidBatchSize.type_uri());
        assert_eq!(back.detail.as_deref(), Some("3 reports"));
        let p = Problem::plain(StatusCode::CONFLICT, "conflict");
        let back = ReceivedProblem::parse(&p.to_json()).unwrap();
        assert_eq!(back.type_uri, "about:blank");
    }
}
