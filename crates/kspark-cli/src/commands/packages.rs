//! What `kspark submit` says about `--packages`, and `--check-packages`.
//! kspark resolves nothing itself: like spark-submit in cluster mode it
//! sends `spark.jars.packages` and the driver resolves the packages.

use kspark_config::{Submission, SubmitArgs, SubmitEnv};
use kspark_kube::maven;

use crate::exit_status::ExitStatus;
use crate::failure::hinted;

/// Names the packages the driver will resolve and, with
/// `--check-packages`, fails when no repository has one of them.
pub(super) async fn report(
    args: &SubmitArgs,
    submission: &Submission,
    env: &SubmitEnv,
    quiet: bool,
) -> anyhow::Result<()> {
    let Some(packages) = &submission.packages else {
        if args.kspark.check_packages {
            errln!("kspark: note: --check-packages: no packages to check (no --packages or spark.jars.packages)");
        }
        return Ok(());
    };
    if !quiet {
        let list: Vec<String> = packages.coordinates.iter().map(ToString::to_string).collect();
        errln!("kspark: the driver resolves these packages with Ivy: {}", list.join(", "));
    }
    if !args.kspark.check_packages {
        return Ok(());
    }
    if let Some(settings) = &packages.ivy_settings {
        errln!(
            "kspark: note: --check-packages skipped: the driver's repositories come from spark.jars.ivySettings ({settings}), which kspark does not interpret"
        );
        return Ok(());
    }
    let repositories = maven::repositories_to_ask(packages, env.var("DEFAULT_ARTIFACT_REPOSITORY"));
    let found = maven::check_packages(packages, &repositories).await.map_err(|e| {
        let hint = e.hint();
        hinted(e, hint, ExitStatus::Failure)
    })?;
    if !quiet {
        for f in found {
            errln!("kspark: package {} is in {}", f.coordinate, f.repository);
        }
    }
    Ok(())
}
