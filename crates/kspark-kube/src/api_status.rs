//! The API server's error answers by what they mean, not by number.
//!
//! Matched by HTTP code, never by `Status.reason`: a 409 is both
//! `AlreadyExists` (a create of an object that exists) and `Conflict` (a
//! write at a stale resourceVersion), and every caller means both (kube's
//! `Status::is_conflict` follows the reason and would miss the first).

pub const FORBIDDEN: u16 = 403;
pub const NOT_FOUND: u16 = 404;
pub const CONFLICT: u16 = 409;
pub const UNPROCESSABLE: u16 = 422;
pub const TOO_MANY_REQUESTS: u16 = 429;

/// The HTTP code the API server answered with; `None` when it did not
/// answer (the network, a timeout, a body that did not parse).
pub fn api_code(error: &kube::Error) -> Option<u16> {
    match error {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

/// No such object (or no such resource: a CRD not installed).
pub fn is_not_found(error: &kube::Error) -> bool {
    api_code(error) == Some(NOT_FOUND)
}

/// The object exists already, or changed since it was read.
pub fn is_conflict(error: &kube::Error) -> bool {
    api_code(error) == Some(CONFLICT)
}

/// RBAC refused the request (or a namespace being deleted refused a create).
pub fn is_forbidden(error: &kube::Error) -> bool {
    api_code(error) == Some(FORBIDDEN)
}

/// A code that says nothing about the request itself: a conflict with a
/// concurrent writer, throttling, or the server failing. The same request
/// may well succeed when tried again.
pub fn is_transient_code(code: u16) -> bool {
    code == CONFLICT || code == TOO_MANY_REQUESTS || code >= 500
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(code: u16, reason: &str) -> kube::Error {
        let mut status = kube::core::Status::failure("refused", reason);
        status.code = code;
        kube::Error::Api(Box::new(status))
    }

    #[test]
    fn codes_are_read_whatever_the_reason_says() {
        assert!(is_conflict(&answered(409, "AlreadyExists")) && is_conflict(&answered(409, "Conflict")));
        assert!(is_not_found(&answered(404, "NotFound")) && !is_not_found(&answered(410, "Gone")));
        assert!(is_forbidden(&answered(403, "Forbidden")) && !is_forbidden(&answered(401, "Unauthorized")));
        let unanswered = kube::Error::LinesCodecMaxLineLengthExceeded;
        assert_eq!(api_code(&unanswered), None);
        assert!(!is_not_found(&unanswered) && !is_conflict(&unanswered) && !is_forbidden(&unanswered));
    }

    #[test]
    fn conflicts_throttling_and_server_errors_are_transient() {
        for code in [409, 429, 500, 503] {
            assert!(is_transient_code(code), "{code}");
        }
        for code in [400, 403, 404, 422] {
            assert!(!is_transient_code(code), "{code}");
        }
    }
}
