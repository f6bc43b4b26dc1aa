//! RFC 9457 problem details: the one error shape every HTTP client of sigap sees.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request field at fault (`lat`, `points[3].lon`, `rw`), when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("https://sigap.jakarta.go.id/problems/{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Problem {
        self.field = Some(field.into());
        self
    }

    pub fn bad_request(field: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "invalid-field", detail).field(field)
    }

    pub fn unprocessable(field: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-field", detail).field(field)
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::CONFLICT, "conflict", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// Internal failures are logged in full but shown without internals.
    pub fn internal(err: impl std::fmt::Display) -> Problem {
        tracing::error!(error = %err, "internal error");
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; it has been logged")
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_string(&self).unwrap_or_else(|_| "{}".into());
        (self.status_code(), [(header::CONTENT_TYPE, "application/problem+json")], body).into_response()
    }
}

impl From<crate::store::StoreError> for Problem {
    /// A writer that waited its whole turn in vain is told to retry (503), not that sigap broke.
    fn from(e: crate::store::StoreError) -> Problem {
        match e {
            crate::store::StoreError::Busy(_) => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "store-busy", e.to_string()),
            e => Problem::internal(e),
        }
    }
}

impl From<crate::text::TextError> for Problem {
    /// A bad text field is a 422 naming it (a domain that answers an over-long field with 413,
    /// like a complaint's description, maps that case itself).
    fn from(e: crate::text::TextError) -> Problem {
        Problem::unprocessable(e.field(), e.to_string())
    }
}

impl From<crate::wilayah::LocateError> for Problem {
    fn from(e: crate::wilayah::LocateError) -> Problem {
        match e.field() {
            Some(f) => Problem::bad_request(f, e.to_string()),
            None => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "atlas-empty", e.to_string()),
        }
    }
}

/// The field a serde message (as `serde_path_to_error` prints it) is about: the path before
/// `": "` (for an unknown field the path already ends in it: `location.alt: unknown field …`);
/// a missing field is reported at its parent, so its name is joined to the path
/// (`location: missing field `lon`` names `location.lon`, a top-level one just `category`).
fn field_of(text: &str) -> Option<String> {
    let (path, msg) = match text.split_once(": ") {
        Some((head, rest)) if !head.contains(' ') && !head.is_empty() => (Some(head), rest),
        _ => (None, text),
    };
    let named = |prefix: &str| msg.strip_prefix(prefix).and_then(|rest| rest.split_once('`')).map(|(name, _)| name);
    match (path, named("missing field `").or_else(|| named("unknown field `"))) {
        (Some(p), Some(n)) if msg.starts_with("missing") => Some(format!("{p}.{n}")),
        (Some(p), _) => Some(p.to_string()),
        (None, Some(n)) => Some(n.to_string()),
        (None, None) => None,
    }
}

impl From<JsonRejection> for Problem {
    /// Syntax (not JSON, a number JSON cannot hold) is a 400, JSON of the wrong shape (missing,
    /// unknown or mistyped field, unknown word) a 422 — axum's split — each naming the field
    /// when one is at fault. A body without `Content-Type: application/json`
    /// is a 415 naming `Content-Type`.
    fn from(r: JsonRejection) -> Problem {
        let status = r.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            return Problem::new(status, "body-too-large", "request body is larger than the limit");
        }
        if let JsonRejection::MissingJsonContentType(_) = r {
            return Problem::new(status, "unsupported-media-type", "send the body as JSON with Content-Type: application/json").field("Content-Type");
        }
        let text = r.body_text();
        // axum prefixes the serde message; keep the part that names the field.
        let inner = ["target type: ", "as JSON: "]
            .iter()
            .find_map(|p| text.split_once(p).map(|(_, t)| t))
            .unwrap_or(&text)
            .to_string();
        let mut p = Problem::new(status, "invalid-body", inner.clone());
        p.field = field_of(&inner);
        p
    }
}

impl From<axum::extract::rejection::BytesRejection> for Problem {
    /// Handlers that read the raw body (form posts, photos, JSON parsed by hand) still answer an
    /// oversized body with the same 413 problem as `ApiJson`.
    fn from(r: axum::extract::rejection::BytesRejection) -> Problem {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "body-too-large", "request body is larger than the limit").field("body")
        } else {
            Problem::bad_request("body", r.body_text())
        }
    }
}

impl From<QueryRejection> for Problem {
    fn from(r: QueryRejection) -> Problem {
        let text = r.body_text();
        let inner = text.rsplit_once("string: ").map(|(_, t)| t).unwrap_or(&text).to_string();
        let mut p = Problem::new(StatusCode::BAD_REQUEST, "invalid-query", inner.clone());
        p.field = field_of(&inner);
        p
    }
}

/// The body of a handler that checks the caller's role first: take it as
/// `Result<ApiJson<T>, Problem>` (so extraction cannot answer before the handler runs), call
/// `actor.require(…)`, then this. A wrong role with a bad body is then a 403, not a 422 that
/// tells a stranger how the body is checked.
pub fn json_body<T>(r: Result<ApiJson<T>, Problem>) -> Result<T, Problem> {
    r.map(|ApiJson(t)| t).map_err(|mut p| {
        p.field.get_or_insert_with(|| "body".into());
        p
    })
}

/// `Json` whose rejections are problems naming the field.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(Problem))]
pub struct ApiJson<T>(pub T);

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `Query` whose rejections are problems naming the field.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Problem))]
pub struct ApiQuery<T>(pub T);

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn serde_messages_name_their_field() {
        assert_eq!(field_of("unknown field `reporter`, expected one of `channel`, `category`").as_deref(), Some("reporter"));
        assert_eq!(field_of("location.alt: unknown field `alt`, expected `lon`").as_deref(), Some("location.alt"));
        assert_eq!(field_of("missing field `category` at line 1 column 40").as_deref(), Some("category"));
        assert_eq!(field_of("location: missing field `lon` at line 1 column 9").as_deref(), Some("location.lon"));
        assert_eq!(field_of("kanal[0]: unknown channel \"fax\"").as_deref(), Some("kanal[0]"));
        assert_eq!(field_of("invalid type: sequence, expected struct X"), None);
    }
}
