//! Spark images that read and write Azure storage: the official
//! `apache/spark` image plus hadoop-azure and its runtime jars at the Hadoop
//! version that Spark line ships (the table in `data/azure-jars.toml`), and
//! the application's files. Two ways to make one: a Dockerfile for a builder
//! (`az acr build`), or a daemon-less build that copies the base image
//! registry to registry and pushes one new layer.

pub mod app_files;
pub mod azure_jars;
pub mod base_image;
pub mod build;
pub mod credentials;
pub mod dockerfile;
pub mod layer;
pub mod maven;

/// Where the application's files go in the image (`--app`).
pub const APP_DIR: &str = "/opt/app";
/// Where Spark's image keeps its jars (the driver's and executors' classpath).
pub const SPARK_JARS_DIR: &str = "/opt/spark/jars";

/// reqwest and oci-client take TLS from the process-wide rustls provider:
/// ring, the one kube's client uses too. Installing it twice is harmless
/// (the first one stays).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
