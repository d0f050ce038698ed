//! `kspark image`: Spark images whose Hadoop can reach Azure storage.
//! `dockerfile` writes a Dockerfile (and says how to build it with
//! `az acr build`); `build --push` makes and pushes the same image without
//! a Docker daemon.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use kspark_config::SparkVersion;
use kspark_image::app_files::{self, AppFile};
use kspark_image::azure_jars::{self, SparkLine};
use kspark_image::dockerfile::{DockerfileSpec, render};

use crate::exit_status::ExitStatus;
use crate::failure::hinted;

#[derive(Args)]
pub struct ImageArgs {
    #[command(subcommand)]
    pub command: ImageCommand,
}

#[derive(Subcommand)]
pub enum ImageCommand {
    /// Write a Dockerfile: the official apache/spark image, plus (--adls)
    /// hadoop-azure and its runtime jars at the image's Hadoop version,
    /// pinned by SHA-256, plus the application's files.
    Dockerfile(DockerfileArgs),
    /// Build the same image without a Docker daemon and push it: the base
    /// image's layers are copied registry to registry, one new layer holds
    /// the jars and the application.
    Build(BuildArgs),
}

#[derive(Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub content: ImageContent,
    /// The image to push, e.g. myregistry.azurecr.io/spark-azure:4.0.5.
    #[arg(long, value_name = "REF", required = true)]
    pub push: String,
    /// The platform taken from a multi-arch base image.
    #[arg(long, default_value = "linux/amd64", value_name = "OS/ARCH[/VARIANT]")]
    pub platform: String,
    /// An ACR refresh token for the target registry (sent with ACR's
    /// token user name); default: the Docker config's `auths` entry.
    #[arg(long, env = "KSPARK_REGISTRY_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub registry_token: Option<secrecy::SecretString>,
    /// A registry (host:port) spoken to over plain HTTP, e.g. a local one (repeatable).
    #[arg(long, value_name = "HOST:PORT")]
    pub plain_http: Vec<String>,
}

/// What goes into the image; shared by `dockerfile` and `build`.
#[derive(Args, Clone)]
pub struct ImageContent {
    /// The Spark release of the base image (default: the newest kspark supports).
    #[arg(long, value_name = "X.Y.Z")]
    pub spark: Option<String>,
    /// The Java of the base image: 17, or 11 (3.5.x) or 21 (4.x).
    #[arg(long, default_value_t = 17)]
    pub java: u32,
    /// The base image with Python (the official `…-python3-ubuntu` tag).
    #[arg(long)]
    pub python: bool,
    /// Add hadoop-azure and its runtime jars (abfs:// and wasb://).
    #[arg(long)]
    pub adls: bool,
    /// An application file or folder under the current directory, copied to
    /// /opt/app/<name> (repeat for more).
    #[arg(long, value_name = "PATH")]
    pub app: Vec<PathBuf>,
    /// Another base image instead of the official one (it must be
    /// apache/spark's layout and of the Spark release --spark names).
    #[arg(long, value_name = "IMAGE")]
    pub base: Option<String>,
}

#[derive(Args)]
pub struct DockerfileArgs {
    #[command(flatten)]
    pub content: ImageContent,
    /// Write the Dockerfile here instead of to standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The image to build, for the printed `az acr build` command
    /// (e.g. myregistry.azurecr.io/spark-azure:4.0.5).
    #[arg(long, value_name = "REF")]
    pub tag: Option<String>,
}

pub async fn run(args: ImageArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ImageCommand::Dockerfile(args) => dockerfile(args),
        ImageCommand::Build(args) => build(args).await,
    }
}

/// The checked inputs of an image.
pub struct Plan {
    pub version: SparkVersion,
    pub line: SparkLine,
    pub base: String,
    pub apps: Vec<AppFile>,
}

pub fn plan(content: &ImageContent) -> anyhow::Result<Plan> {
    let (version, _) = SparkVersion::choose(None, content.spark.as_deref())
        .map_err(|e| hinted(e, Some("name a release with --spark, e.g. --spark 4.0.5".into()), ExitStatus::Usage))?;
    let line = azure_jars::line_for(version).map_err(|e| hinted(e, None, ExitStatus::Usage))?;
    let base = match &content.base {
        Some(base) => base.clone(),
        None => kspark_image::base_image::official(version, &line, content.java, content.python)
            .map_err(|e| hinted(e, Some("pick another --java".into()), ExitStatus::Usage))?,
    };
    let context = std::env::current_dir().context("cannot read the current directory")?;
    let apps = app_files::resolve(&context, &content.app).map_err(|e| {
        let hint = "--app takes files or folders under the current directory, the build context".to_string();
        hinted(e, Some(hint), ExitStatus::Usage)
    })?;
    Ok(Plan { version, line, base, apps })
}

fn dockerfile(args: DockerfileArgs) -> anyhow::Result<ExitCode> {
    let plan = plan(&args.content)?;
    let text = render(&DockerfileSpec {
        base: &plan.base,
        spark_version: plan.version.to_string(),
        line: &plan.line,
        azure: args.content.adls,
        apps: &plan.apps,
    });
    let file = match &args.output {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("cannot write {}", path.display()))?;
            path.display().to_string()
        }
        None => {
            out!("{text}")?;
            "Dockerfile".to_string()
        }
    };
    let save = if args.output.is_some() { "" } else { " (save it as Dockerfile, or use -o FILE)" };
    errln!(
        "Build it in Azure Container Registry from this directory{save}:\n  {}",
        az_acr_build(args.tag.as_deref(), &file, plan.version)
    );
    if args.content.adls {
        errln!(
            "It adds hadoop-azure {} (Spark {}.x's Hadoop) and {} runtime jars to /opt/spark/jars.",
            plan.line.hadoop,
            plan.line.spark,
            plan.line.jars.len() - 1
        );
    }
    for app in &plan.apps {
        errln!("{} is local://{} in the image.", app.given, app.image_path);
    }
    Ok(ExitCode::SUCCESS)
}

async fn build(args: BuildArgs) -> anyhow::Result<ExitCode> {
    use kspark_image::{build, credentials, layer, maven};
    let plan = plan(&args.content)?;
    let platform = build::Platform::parse(&args.platform).map_err(|e| hinted(e, None, ExitStatus::Usage))?;
    let base_ref = build::parse_reference(&plan.base).map_err(|e| hinted(e, None, ExitStatus::Usage))?;
    let target_ref = build::parse_reference(&args.push).map_err(|e| hinted(e, None, ExitStatus::Usage))?;
    let docker_config = credentials::docker_config_path();
    let credential_hint = || Some("fix or remove that entry, or pass --registry-token".to_string());
    let base_credential = credentials::lookup(base_ref.resolve_registry(), None, docker_config.as_deref())
        .map_err(|e| hinted(e, credential_hint(), ExitStatus::Usage))?;
    let target_credential =
        credentials::lookup(target_ref.resolve_registry(), args.registry_token.as_ref(), docker_config.as_deref())
            .map_err(|e| hinted(e, credential_hint(), ExitStatus::Usage))?;
    let jars = if args.content.adls {
        errln!("Downloading {} jars for Hadoop {} from Maven Central ...", plan.line.jars.len(), plan.line.hadoop);
        maven::download_all(&plan.line.jars, None).await.map_err(|e| hinted(e, None, ExitStatus::Failure))?
    } else {
        Vec::new()
    };
    let new_layer = layer::build(&jars, &plan.apps).map_err(|e| hinted(e, None, ExitStatus::Failure))?;
    errln!("Pushing {} onto {} ({}) ...", args.push, plan.base, platform);
    let created_by = format!(
        "kspark image build:{} {} app file(s)",
        if args.content.adls { format!(" hadoop-azure {} and its jars,", plan.line.hadoop) } else { String::new() },
        plan.apps.len()
    );
    let pushed = build::push(build::PushRequest {
        base: &plan.base,
        target: &args.push,
        platform,
        base_credential,
        target_credential,
        plain_http: args.plain_http.clone(),
        layer: &new_layer,
        created_by,
    })
    .await
    .map_err(|e| {
        let hint = "check the image names and your access: `docker login` (or `az acr login`) writes the Docker config kspark reads; --registry-token takes an ACR token";
        hinted(e, Some(hint.to_string()), ExitStatus::Failure)
    })?;
    errln!(
        "Base layers: {} mounted, {} copied, {} already there; 1 new layer ({} bytes).",
        pushed.mounted,
        pushed.copied,
        pushed.already_there,
        new_layer.compressed.len()
    );
    outln!("{}", pushed.image)?;
    Ok(ExitCode::SUCCESS)
}

/// `az acr build`'s command line: `--registry` is the ACR name (the host's
/// first label), `--image` the repository and tag.
fn az_acr_build(tag: Option<&str>, file: &str, version: SparkVersion) -> String {
    let (registry, image) = match tag.and_then(|t| t.split_once('/')) {
        Some((host, image)) if host.ends_with(".azurecr.io") => {
            (host.trim_end_matches(".azurecr.io").to_string(), image.to_string())
        }
        _ => ("<registry>".to_string(), tag.map_or_else(|| format!("spark-azure:{version}"), str::to_string)),
    };
    format!("az acr build --registry {registry} --image {image} --file {} .", shell_quote(file))
}

fn shell_quote(text: &str) -> String {
    if text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn az_acr_build_takes_the_registry_name_from_the_tag() {
        let v = SparkVersion::new(4, 0, 5);
        assert_eq!(
            az_acr_build(Some("myacr.azurecr.io/team/spark:1"), "Dockerfile", v),
            "az acr build --registry myacr --image team/spark:1 --file Dockerfile ."
        );
        assert_eq!(
            az_acr_build(None, "my file", v),
            "az acr build --registry <registry> --image spark-azure:4.0.5 --file 'my file' ."
        );
    }
}
