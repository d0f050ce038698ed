//! Who we are and how long the credentials last.

use jiff::{SignedDuration, Timestamp};

use super::Check;
use crate::connect::{Connection, human};

const NAME: &str = "credentials";
const SOON: SignedDuration = SignedDuration::from_mins(10);

pub fn check(conn: &Connection) -> Check {
    let who = conn.identity_hint.clone().map(|s| format!(" as {s}")).unwrap_or_default();
    let how = format!("{}{who}", conn.method);
    let Some(expires) = conn.expires_at else {
        return Check::ok(NAME, format!("{how}; no expiry known"));
    };
    let left = expires.duration_since(Timestamp::now());
    let renew = "log in again (AKS: `az login`, or let kubelogin refresh it through your kubeconfig)";
    if left <= SignedDuration::from_secs(60) {
        let when = if left.is_negative() {
            format!("expired {} ago", human(-left))
        } else {
            format!("expires in {}", human(left))
        };
        return Check::fail(NAME, format!("{how}; {when} ({expires})")).with_hint(renew);
    }
    if left < SOON {
        return Check::warn(NAME, format!("{how}; expires in {} ({expires})", human(left))).with_hint(renew);
    }
    Check::ok(NAME, format!("{how}; valid for {}", human(left)))
}
