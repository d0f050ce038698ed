//! The cluster's certificates and keys, generated in pure Rust (rcgen,
//! ECDSA P-256) so that no `openssl` binary is needed and every run gets a
//! fresh CA that nothing else trusts.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType, date_time_ymd,
};

use crate::error::{Error, Result};
use crate::fsutil;

/// The first address of the service range: the `kubernetes` Service's
/// ClusterIP, which in-cluster clients use to reach the apiserver.
pub(crate) const KUBERNETES_SERVICE_IP: Ipv4Addr = Ipv4Addr::new(10, 96, 0, 1);

/// Who a client certificate names: CN is the user, O the groups.
#[derive(Debug, Clone)]
pub(crate) struct ClientIdentity {
    /// Files are `<stem>.crt` and `<stem>.key`.
    pub stem: &'static str,
    pub common_name: &'static str,
    pub organizations: &'static [&'static str],
}

/// A certificate and its private key, both PEM.
#[derive(Debug, Clone)]
pub(crate) struct CertAndKey {
    pub cert_pem: String,
    pub key_pem: String,
}

/// Everything the control plane and its clients need.
pub(crate) struct Pki {
    pub ca: CertAndKey,
    pub serving: CertAndKey,
    pub service_account_private_pem: String,
    pub service_account_public_pem: String,
    pub clients: Vec<(ClientIdentity, CertAndKey)>,
}

/// Where [`Pki::write`] put each file.
#[derive(Debug, Clone)]
pub(crate) struct PkiPaths {
    pub dir: PathBuf,
}

impl PkiPaths {
    pub fn ca_cert(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }
    pub fn ca_key(&self) -> PathBuf {
        self.dir.join("ca.key")
    }
    pub fn serving_cert(&self) -> PathBuf {
        self.dir.join("apiserver.crt")
    }
    pub fn serving_key(&self) -> PathBuf {
        self.dir.join("apiserver.key")
    }
    pub fn service_account_private(&self) -> PathBuf {
        self.dir.join("sa.key")
    }
    pub fn service_account_public(&self) -> PathBuf {
        self.dir.join("sa.pub")
    }
    pub fn client_cert(&self, stem: &str) -> PathBuf {
        self.dir.join(format!("{stem}.crt"))
    }
    pub fn client_key(&self, stem: &str) -> PathBuf {
        self.dir.join(format!("{stem}.key"))
    }
}

impl Pki {
    /// `extra_ips`: addresses the apiserver serves on besides 127.0.0.1
    /// (the real node's bridge address).
    pub(crate) fn generate(clients: &[ClientIdentity], extra_ips: &[IpAddr]) -> Result<Self> {
        let (ca_issuer, ca) = generate_ca("kspark-testcluster-ca")?;
        let mut params = serving_params()?;
        params.subject_alt_names.extend(extra_ips.iter().copied().map(SanType::IpAddress));
        let serving = sign_leaf(&ca_issuer, params, "the apiserver serving certificate")?;
        let sa_key = new_key("the service-account signing key")?;
        let clients = clients
            .iter()
            .map(|id| {
                let what = format!("the client certificate of {}", id.common_name);
                Ok((id.clone(), sign_leaf(&ca_issuer, client_params(id), &what)?))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            ca,
            serving,
            service_account_private_pem: sa_key.serialize_pem(),
            service_account_public_pem: sa_key.public_key_pem(),
            clients,
        })
    }

    pub(crate) fn write(&self, dir: &Path) -> Result<PkiPaths> {
        fsutil::create_dir_all(dir)?;
        let paths = PkiPaths { dir: dir.to_path_buf() };
        write_pair(&self.ca, &paths.ca_cert(), &paths.ca_key())?;
        write_pair(&self.serving, &paths.serving_cert(), &paths.serving_key())?;
        fsutil::write_private(&paths.service_account_private(), self.service_account_private_pem.as_bytes())?;
        fsutil::write_public(&paths.service_account_public(), self.service_account_public_pem.as_bytes())?;
        for (id, pair) in &self.clients {
            write_pair(pair, &paths.client_cert(id.stem), &paths.client_key(id.stem))?;
        }
        Ok(paths)
    }

    pub(crate) fn client(&self, stem: &str) -> Option<&CertAndKey> {
        self.clients.iter().find(|(id, _)| id.stem == stem).map(|(_, pair)| pair)
    }
}

/// A self-signed CA. Also used on its own for the "wrong CA" kubeconfig.
pub(crate) fn generate_ca(common_name: &str) -> Result<(CertifiedIssuer<'static, KeyPair>, CertAndKey)> {
    let key = new_key("a CA key")?;
    let key_pem = key.serialize_pem();
    let mut params = base_params(common_name, &[]);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let issuer =
        CertifiedIssuer::self_signed(params, key).map_err(|e| Error::pki(format!("the CA {common_name}"), e))?;
    let cert_pem = issuer.pem();
    Ok((issuer, CertAndKey { cert_pem, key_pem }))
}

/// A fresh CA and a certificate it signed for 127.0.0.1 / localhost, for
/// stand-in HTTPS services (the Entra ID token endpoint).
pub(crate) fn localhost_server(ca_name: &str) -> Result<(CertAndKey, CertAndKey)> {
    let (issuer, ca) = generate_ca(ca_name)?;
    let serving = sign_leaf(&issuer, serving_params()?, "a localhost serving certificate")?;
    Ok((ca, serving))
}

fn serving_params() -> Result<CertificateParams> {
    let mut params = base_params("kube-apiserver", &[]);
    let dns = [
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    ];
    params.subject_alt_names = vec![
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanType::IpAddress(IpAddr::V4(KUBERNETES_SERVICE_IP)),
    ];
    for name in dns {
        let name = name.try_into().map_err(|e| Error::pki(format!("the DNS name {name}"), e))?;
        params.subject_alt_names.push(SanType::DnsName(name));
    }
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    Ok(params)
}

fn client_params(id: &ClientIdentity) -> CertificateParams {
    let mut params = base_params(id.common_name, id.organizations);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params
}

fn base_params(common_name: &str, organizations: &[&str]) -> CertificateParams {
    let mut name = DistinguishedName::new();
    for org in organizations {
        name.push(DnType::OrganizationName, *org);
    }
    name.push(DnType::CommonName, common_name);
    let mut params = CertificateParams::default();
    params.distinguished_name = name;
    // Fixed, generous validity: the certificates live as long as one run,
    // and a fixed window keeps clock-skew questions out of the picture.
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2100, 1, 1);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.use_authority_key_identifier_extension = true;
    params
}

fn sign_leaf(ca: &CertifiedIssuer<'static, KeyPair>, params: CertificateParams, what: &str) -> Result<CertAndKey> {
    let key = new_key(what)?;
    let cert = params.signed_by(&key, &**ca).map_err(|e| Error::pki(what, e))?;
    Ok(CertAndKey { cert_pem: cert.pem(), key_pem: key.serialize_pem() })
}

fn new_key(what: &str) -> Result<KeyPair> {
    KeyPair::generate().map_err(|e| Error::pki(what, e))
}

fn write_pair(pair: &CertAndKey, cert: &Path, key: &Path) -> Result<()> {
    fsutil::write_public(cert, pair.cert_pem.as_bytes())?;
    fsutil::write_private(key, pair.key_pem.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_pem_material_for_every_client() -> Result<()> {
        let clients = [ClientIdentity { stem: "carol", common_name: "carol", organizations: &["spark-users"] }];
        let pki = Pki::generate(&clients, &[])?;
        assert!(pki.ca.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(pki.serving.key_pem.contains("PRIVATE KEY"));
        assert!(pki.service_account_public_pem.contains("PUBLIC KEY"));
        assert!(pki.client("carol").is_some());
        assert!(pki.client("dave").is_none());
        Ok(())
    }
}
