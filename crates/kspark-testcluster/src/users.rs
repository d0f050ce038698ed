//! The people (and identities) of the test cluster, and the static token file
//! kube-apiserver reads them from.

use std::fmt;
use std::path::Path;

use rand::RngCore;

use crate::error::Result;
use crate::fsutil;

/// Group of the tenant users (alice by token, carol by client certificate).
pub const SPARK_USERS_GROUP: &str = "spark-users";

/// A user for whom the cluster writes a kubeconfig.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestUser {
    /// `admin`, group `system:masters`, bearer token.
    Admin,
    /// `admin`, group `system:masters`, client certificate.
    AdminCert,
    /// `alice`, group `spark-users`, bearer token.
    Alice,
    /// `bob`, no group, bearer token.
    Bob,
    /// `carol`, group `spark-users`, client certificate.
    Carol,
}

/// How a user proves who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A static bearer token (kube-apiserver `--token-auth-file`).
    Token,
    /// A client certificate signed by the cluster CA.
    ClientCert,
}

impl TestUser {
    /// Every user, in a stable order.
    pub const ALL: [TestUser; 5] =
        [TestUser::Admin, TestUser::AdminCert, TestUser::Alice, TestUser::Bob, TestUser::Carol];

    /// Name of the kubeconfig (and of its context): unique per variant.
    pub fn label(self) -> &'static str {
        match self {
            TestUser::Admin => "admin",
            TestUser::AdminCert => "admin-cert",
            TestUser::Alice => "alice",
            TestUser::Bob => "bob",
            TestUser::Carol => "carol",
        }
    }

    /// The user name the API server sees.
    pub fn username(self) -> &'static str {
        match self {
            TestUser::Admin | TestUser::AdminCert => "admin",
            TestUser::Alice => "alice",
            TestUser::Bob => "bob",
            TestUser::Carol => "carol",
        }
    }

    /// The groups the API server sees (besides `system:authenticated`).
    pub fn groups(self) -> &'static [&'static str] {
        match self {
            TestUser::Admin | TestUser::AdminCert => &["system:masters"],
            TestUser::Alice | TestUser::Carol => &[SPARK_USERS_GROUP],
            TestUser::Bob => &[],
        }
    }

    /// Whether the user authenticates with a token or a client certificate.
    pub fn credential_kind(self) -> CredentialKind {
        match self {
            TestUser::AdminCert | TestUser::Carol => CredentialKind::ClientCert,
            TestUser::Admin | TestUser::Alice | TestUser::Bob => CredentialKind::Token,
        }
    }
}

impl fmt::Display for TestUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Fresh random tokens for the token users, so that two clusters on one
/// machine never accept each other's credentials.
#[derive(Debug, Clone)]
pub(crate) struct Tokens {
    entries: Vec<(TestUser, String)>,
}

impl Tokens {
    pub(crate) fn generate() -> Self {
        let entries = TestUser::ALL
            .into_iter()
            .filter(|u| u.credential_kind() == CredentialKind::Token)
            .map(|u| (u, format!("{}-{}", u.username(), random_hex(16))))
            .collect();
        Self { entries }
    }

    pub(crate) fn get(&self, user: TestUser) -> Option<&str> {
        self.entries.iter().find(|(u, _)| *u == user).map(|(_, t)| t.as_str())
    }

    /// The CSV kube-apiserver expects: `token,user,uid,"group1,group2"`.
    pub(crate) fn to_csv(&self) -> String {
        self.entries
            .iter()
            .map(|(user, token)| {
                let name = user.username();
                // An empty groups column would give the user the group "".
                match user.groups() {
                    [] => format!("{token},{name},uid-{name}\n"),
                    groups => format!("{token},{name},uid-{name},\"{}\"\n", groups.join(",")),
                }
            })
            .collect()
    }

    pub(crate) fn write(&self, path: &Path) -> Result<()> {
        fsutil::write_private(path, self.to_csv().as_bytes())
    }
}

pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_file_lists_token_users_with_groups() {
        let tokens = Tokens::generate();
        let csv = tokens.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(lines[0].ends_with(",admin,uid-admin,\"system:masters\""));
        assert!(lines[1].ends_with(",alice,uid-alice,\"spark-users\""));
        assert!(lines[2].ends_with(",bob,uid-bob"));
        assert!(tokens.get(TestUser::Carol).is_none());
        assert_ne!(tokens.get(TestUser::Alice), tokens.get(TestUser::Bob));
    }
}
