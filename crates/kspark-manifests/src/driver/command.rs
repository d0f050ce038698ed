//! Spark's `DriverCommandFeatureStep`: the container arguments the image's
//! entrypoint turns into an in-pod spark-submit, and the Python variables.

use kspark_config::AppKind;

use super::DriverState;
use crate::error::ManifestError;

pub(super) fn apply(st: &mut DriverState<'_, '_>) -> Result<(), ManifestError> {
    let submission = st.ctx.submission;
    let mut args = vec!["driver".to_string()];
    if let Some(user) = &submission.proxy_user {
        args.extend(["--proxy-user".to_string(), user.clone()]);
    }
    args.extend([
        "--properties-file".to_string(),
        "/opt/spark/conf/spark.properties".to_string(),
        "--class".to_string(),
        submission.main_class.clone(),
        submission.primary_resource.clone(),
    ]);
    args.extend(submission.app_args.iter().cloned());
    st.container.args.get_or_insert_with(Vec::new).extend(args);
    if submission.kind == AppKind::Python {
        python_env(st);
    }
    st.set_prop("spark.kubernetes.resource.type", submission.kind.resource_type());
    Ok(())
}

/// `spark.pyspark.*` settings win over the submitter's environment.
fn python_env(st: &mut DriverState<'_, '_>) {
    let conf = &st.ctx.submission.conf;
    let inputs = &st.ctx.inputs;
    let python = conf.get("spark.pyspark.python").map(str::to_string).or_else(|| inputs.pyspark_python.clone());
    let driver_python = conf
        .get("spark.pyspark.driver.python")
        .or_else(|| conf.get("spark.pyspark.python"))
        .map(str::to_string)
        .or_else(|| inputs.pyspark_driver_python.clone())
        .or_else(|| inputs.pyspark_python.clone());
    if let Some(v) = python {
        st.add_env("PYSPARK_PYTHON", &v);
    }
    if let Some(v) = driver_python {
        st.add_env("PYSPARK_DRIVER_PYTHON", &v);
    }
}
