//! Command lines of the four control-plane processes. Every listener is on
//! 127.0.0.1 (kube-controller-manager and kube-scheduler default to
//! 0.0.0.0, so their serving ports are switched off instead).

use std::net::Ipv4Addr;
use std::path::Path;

use crate::pki::PkiPaths;
use crate::ports::Ports;
use crate::rundir::Layout;

/// Service ClusterIPs come from here; 10.96.0.1 is the `kubernetes` Service.
pub(crate) const SERVICE_CLUSTER_IP_RANGE: &str = "10.96.0.0/16";

/// Everything the command lines refer to.
pub(crate) struct Inputs<'a> {
    pub layout: &'a Layout,
    pub pki: &'a PkiPaths,
    pub ports: Ports,
    pub kcm_kubeconfig: &'a Path,
    pub scheduler_kubeconfig: &'a Path,
    /// Where kube-apiserver listens: 127.0.0.1, or with a real node the
    /// bridge's address, which pods reach.
    pub listen_ip: Ipv4Addr,
    pub real_node: bool,
}

pub(crate) fn etcd_args(i: &Inputs<'_>) -> Vec<String> {
    let client = format!("http://127.0.0.1:{}", i.ports.etcd_client);
    let peer = format!("http://127.0.0.1:{}", i.ports.etcd_peer);
    vec![
        "--name=kspark-test".into(),
        format!("--data-dir={}", i.layout.etcd_data().display()),
        format!("--listen-client-urls={client}"),
        format!("--advertise-client-urls={client}"),
        format!("--listen-peer-urls={peer}"),
        format!("--initial-advertise-peer-urls={peer}"),
        format!("--initial-cluster=kspark-test={peer}"),
        // Test data is disposable; fsync would cost seconds per write burst.
        "--unsafe-no-fsync=true".into(),
        "--log-level=warn".into(),
    ]
}

pub(crate) fn apiserver_args(i: &Inputs<'_>) -> Vec<String> {
    let p = i.pki;
    let mut args = vec![
        format!("--etcd-servers=http://127.0.0.1:{}", i.ports.etcd_client),
        format!("--bind-address={}", i.listen_ip),
        format!("--advertise-address={}", i.listen_ip),
        format!("--secure-port={}", i.ports.apiserver),
        format!("--tls-cert-file={}", p.serving_cert().display()),
        format!("--tls-private-key-file={}", p.serving_key().display()),
        format!("--client-ca-file={}", p.ca_cert().display()),
        format!("--token-auth-file={}", i.layout.token_file().display()),
        "--authorization-mode=Node,RBAC".into(),
        format!("--service-account-key-file={}", p.service_account_public().display()),
        format!("--service-account-signing-key-file={}", p.service_account_private().display()),
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local".into(),
        format!("--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}"),
        "--kubelet-preferred-address-types=InternalIP".into(),
        "--allow-privileged=true".into(),
        format!("--cert-dir={}", i.layout.root().join("apiserver-certs").display()),
        "--profiling=false".into(),
        "--v=1".into(),
    ];
    if i.real_node {
        // Pods reach the apiserver through the `kubernetes` Service, whose
        // endpoint the lease reconciler publishes (the bridge's address);
        // pods/log, exec and port-forward go to the kubelet with a client
        // certificate.
        args.extend([
            "--endpoint-reconciler-type=lease".into(),
            format!("--kubelet-client-certificate={}", p.client_cert(APISERVER_KUBELET_CLIENT).display()),
            format!("--kubelet-client-key={}", p.client_key(APISERVER_KUBELET_CLIENT).display()),
            // The node has the machine's 2 CPUs; tests that run kubeflow's
            // examples unmodified (the SparkConnect one asks 3 CPUs) bind a
            // MutatingAdmissionPolicy in their namespace that lowers CPU
            // requests. Beta and off by default in 1.34.
            "--feature-gates=MutatingAdmissionPolicy=true".into(),
            "--runtime-config=admissionregistration.k8s.io/v1beta1=true".into(),
            "--enable-admission-plugins=MutatingAdmissionPolicy".into(),
        ]);
    } else {
        // The default reconciler would publish 127.0.0.1 as the endpoint of
        // the `kubernetes` Service and complain about it forever.
        args.push("--endpoint-reconciler-type=none".into());
    }
    args
}

/// The client certificate kube-apiserver shows the kubelet.
pub(crate) const APISERVER_KUBELET_CLIENT: &str = "apiserver-kubelet-client";

pub(crate) fn controller_manager_args(i: &Inputs<'_>) -> Vec<String> {
    let p = i.pki;
    vec![
        format!("--kubeconfig={}", i.kcm_kubeconfig.display()),
        format!("--service-account-private-key-file={}", p.service_account_private().display()),
        format!("--root-ca-file={}", p.ca_cert().display()),
        format!("--cluster-signing-cert-file={}", p.ca_cert().display()),
        format!("--cluster-signing-key-file={}", p.ca_key().display()),
        "--use-service-account-credentials=true".into(),
        "--leader-elect=false".into(),
        "--bind-address=127.0.0.1".into(),
        "--secure-port=0".into(),
        // The fake node renews its Lease, but a stalled test machine must not
        // get the node tainted unreachable and its pods evicted. A real node
        // needs the controller: it lifts the not-ready taint.
        if i.real_node { "--controllers=*".into() } else { "--controllers=*,-node-lifecycle-controller".into() },
        "--kube-api-qps=100".into(),
        "--kube-api-burst=200".into(),
        "--profiling=false".into(),
        "--v=1".into(),
    ]
}

pub(crate) fn scheduler_args(i: &Inputs<'_>) -> Vec<String> {
    vec![
        format!("--kubeconfig={}", i.scheduler_kubeconfig.display()),
        "--leader-elect=false".into(),
        "--bind-address=127.0.0.1".into(),
        "--secure-port=0".into(),
        "--profiling=false".into(),
        "--v=1".into(),
    ]
}
