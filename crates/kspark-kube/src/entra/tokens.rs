//! Entra ID access tokens for one kubeconfig user: fetched on first use,
//! kept until shortly before they expire, fetched anew when the API server
//! refuses one.

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use super::credential;
use super::error::EntraError;
use super::login::EntraLogin;

/// Refresh this long before expiry at most (like client-go and the SDK)…
const MAX_REFRESH_MARGIN: SignedDuration = SignedDuration::from_secs(300);

/// One token and when it stops being used.
#[derive(Clone)]
pub struct IssuedToken {
    pub token: SecretString,
    pub expires_at: Timestamp,
    refresh_at: Timestamp,
}

impl IssuedToken {
    fn new(token: SecretString, expires_at: Timestamp, now: Timestamp) -> IssuedToken {
        // …and at half the lifetime for short-lived tokens.
        let margin = MAX_REFRESH_MARGIN.min(expires_at.duration_since(now) / 2);
        IssuedToken { token, expires_at, refresh_at: expires_at - margin }
    }
}

/// Where a client's bearer tokens come from.
pub struct EntraTokens {
    entra: EntraLogin,
    state: Mutex<State>,
}

struct State {
    credential: Arc<dyn TokenCredential>,
    current: Option<IssuedToken>,
    fetched: u32,
}

impl EntraTokens {
    pub fn new(entra: EntraLogin) -> Result<Arc<EntraTokens>, EntraError> {
        let credential = credential::build(&entra)?;
        Ok(Arc::new(EntraTokens { entra, state: Mutex::new(State { credential, current: None, fetched: 0 }) }))
    }

    pub fn login(&self) -> &EntraLogin {
        &self.entra
    }

    /// The current token, fetched anew when it is due for refresh.
    pub async fn token(&self) -> Result<IssuedToken, EntraError> {
        let mut state = self.state.lock().await;
        match &state.current {
            Some(issued) if Timestamp::now() < issued.refresh_at => Ok(issued.clone()),
            _ => self.fetch(&mut state).await,
        }
    }

    /// A token other than `rejected` (which the API server refused),
    /// bypassing every cache.
    pub async fn replace(&self, rejected: &SecretString) -> Result<IssuedToken, EntraError> {
        let mut state = self.state.lock().await;
        if let Some(issued) = &state.current
            && issued.token.expose_secret() != rejected.expose_secret()
        {
            return Ok(issued.clone());
        }
        // The SDK credentials cache tokens until five minutes before expiry;
        // a new credential starts with an empty cache.
        state.credential = credential::build(&self.entra)?;
        self.fetch(&mut state).await
    }

    /// How many tokens were fetched so far (for `kspark auth` and tests).
    pub async fn fetched(&self) -> u32 {
        self.state.lock().await.fetched
    }

    async fn fetch(&self, state: &mut State) -> Result<IssuedToken, EntraError> {
        let scopes = [self.entra.scope.as_str()];
        let access = state.credential.get_token(&scopes, None).await.map_err(|e| self.refused(&e))?;
        let expires_at = Timestamp::from_second(access.expires_on.unix_timestamp()).map_err(|e| EntraError::Token {
            via: self.entra.login.describe().into(),
            reason: format!("token with an impossible expiry: {e}"),
        })?;
        let issued =
            IssuedToken::new(SecretString::from(access.token.secret().to_string()), expires_at, Timestamp::now());
        tracing::debug!(login = self.entra.login.mode(), expires_at = %issued.expires_at, "fetched an Entra ID token");
        state.current = Some(issued.clone());
        state.fetched += 1;
        Ok(issued)
    }

    fn refused(&self, e: &azure_core::Error) -> EntraError {
        EntraError::Token { via: self.entra.login.describe().into(), reason: one_line(&e.to_string()) }
    }
}

/// SDK messages span lines (a troubleshooting link after the reason).
fn one_line(text: &str) -> String {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_tokens_refresh_at_half_their_life() {
        let now = Timestamp::UNIX_EPOCH;
        let short = IssuedToken::new(SecretString::from("t"), now + SignedDuration::from_secs(10), now);
        assert_eq!(short.refresh_at, now + SignedDuration::from_secs(5));
        let long = IssuedToken::new(SecretString::from("t"), now + SignedDuration::from_secs(3600), now);
        assert_eq!(long.refresh_at, now + SignedDuration::from_secs(3300));
    }
}
