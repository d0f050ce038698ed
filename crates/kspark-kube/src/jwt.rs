//! Reads (never verifies) a bearer token's JWT claims: who it names and
//! when it expires, so expired tokens are refused before anything is sent.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;

/// The claims kspark reports; absent for opaque (non-JWT) tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    pub expires_at: Option<Timestamp>,
    /// `upn`, `preferred_username`, `email`, else `sub` (Entra ID puts the
    /// user's name in `upn`).
    pub subject: Option<String>,
    /// Entra ID object ID, what AKS RBAC bindings name.
    pub object_id: Option<String>,
}

pub fn claims(token: &str) -> Option<Claims> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let text = |k: &str| json.get(k).and_then(|v| v.as_str()).map(str::to_string);
    Some(Claims {
        expires_at: json
            .get("exp")
            .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
            .and_then(|s| Timestamp::from_second(s).ok()),
        subject: text("upn").or_else(|| text("preferred_username")).or_else(|| text("email")).or_else(|| text("sub")),
        object_id: text("oid"),
    })
}

#[cfg(test)]
pub(crate) fn fake_jwt(payload: &serde_json::Value) -> String {
    let body = URL_SAFE_NO_PAD.encode(payload.to_string());
    format!("eyJhbGciOiJub25lIn0.{body}.c2ln")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_expiry_and_subject() {
        let token = fake_jwt(&serde_json::json!({"exp": 1_700_000_000, "upn": "ada@example.com", "oid": "1234"}));
        let c = claims(&token).unwrap_or_default();
        assert_eq!(c.expires_at.map(|t| t.as_second()), Some(1_700_000_000));
        assert_eq!(c.subject.as_deref(), Some("ada@example.com"));
        assert_eq!(c.object_id.as_deref(), Some("1234"));
    }

    #[test]
    fn opaque_tokens_have_no_claims() {
        assert_eq!(claims("abcdef"), None);
        assert_eq!(claims("a.b.c"), None);
    }
}
