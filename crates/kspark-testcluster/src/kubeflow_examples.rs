//! kubeflow spark-operator's own example manifests, committed (with their
//! NOTICE) in `crates/kspark-sparkapp/tests/kubeflow-examples/`, for the
//! tests that apply them.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The golden cases recorded from kubeflow's examples:
/// `(golden/cases/<case>.args, example file)`.
pub const OPERATOR_GOLDEN_CASES: &[(&str, &str)] = &[
    ("operator-spark-pi", "spark-pi.yaml"),
    ("operator-spark-pi-python", "spark-pi-python.yaml"),
    ("operator-spark-pi-dynamic-allocation", "spark-pi-dynamic-allocation.yaml"),
    ("operator-spark-pi-emptydir", "spark-pi-emptydir.yaml"),
    ("operator-spark-pi-pod-template", "spark-pi-pod-template.yaml"),
];

/// The directory of the examples.
pub fn kubeflow_examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kspark-sparkapp/tests/kubeflow-examples")
}

/// Every document of every example, as `(file stem, document)`, in file
/// order. `{IMAGE_REGISTRY}/{IMAGE_REPOSITORY}/`, the placeholder one
/// example carries for kubeflow's own CI, becomes `registry.example/`.
pub fn kubeflow_example_documents() -> Vec<(String, Value)> {
    let dir = kubeflow_examples_dir();
    let mut files: Vec<_> = std::fs::read_dir(&dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
    files.sort();
    let mut docs = Vec::new();
    for path in files.into_iter().filter(|p| p.extension().is_some_and(|x| x == "yaml")) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let text = text.replace("{IMAGE_REGISTRY}/{IMAGE_REPOSITORY}/", "registry.example/");
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        for doc in serde_saphyr::from_multiple::<Value>(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
            docs.push((stem.clone(), doc));
        }
    }
    docs
}
