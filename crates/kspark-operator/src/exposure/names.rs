//! Names of the objects that expose a driver, as kubeflow derives them.

use md5::{Digest, Md5};

/// Kubernetes names used as DNS labels are at most 63 characters.
const MAX_NAME: usize = 63;

/// `<app>-<suffix>`; when that is too long, the application's name is cut
/// and an 8-character hash of the whole keeps it unique (kubeflow's rule, so
/// both operators name the same application's objects alike).
pub fn derived_name(app: &str, suffix: &str) -> String {
    let preferred = format!("{app}-{suffix}");
    if preferred.len() <= MAX_NAME {
        return preferred;
    }
    let hash = hex(&Md5::digest(preferred.as_bytes()));
    let keep = MAX_NAME.saturating_sub(suffix.len() + 10);
    // Object names are ASCII, so the cut is on a character boundary.
    let kept = app.get(..keep).unwrap_or(app);
    format!("{kept}-{}-{suffix}", &hash[..8])
}

/// The UI Service (`--enable-ui-service`).
pub fn ui_service_name(app: &str) -> String {
    derived_name(app, "ui-svc")
}

/// The UI's Ingress or HTTPRoute (`--ingress-url-format`).
pub fn ui_route_name(app: &str) -> String {
    derived_name(app, "ui-ingress")
}

/// The Service of one of `spec.driverIngressOptions` (kubeflow does not
/// shorten these).
pub fn driver_port_service_name(app: &str, port: i32) -> String {
    format!("{app}-driver-{port}")
}

/// The Ingress or HTTPRoute of one of `spec.driverIngressOptions`.
pub fn driver_port_route_name(app: &str, port: i32) -> String {
    format!("{app}-ing-{port}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_kept() {
        assert_eq!(ui_service_name("spark-pi"), "spark-pi-ui-svc");
        assert_eq!(ui_route_name("spark-pi"), "spark-pi-ui-ingress");
        assert_eq!(driver_port_route_name("spark-pi", 4041), "spark-pi-ing-4041");
    }

    #[test]
    fn long_names_are_cut_and_hashed_to_63_characters() {
        let app = "a".repeat(60);
        let name = ui_service_name(&app);
        assert_eq!(name.len(), 63);
        let preferred = format!("{app}-ui-svc");
        let hash = hex(&Md5::digest(preferred.as_bytes()));
        assert_eq!(name, format!("{}-{}-ui-svc", "a".repeat(47), &hash[..8]));
        // Two applications differing only past the cut get different names.
        assert_ne!(ui_service_name(&format!("{}x", "a".repeat(59))), name);
    }
}
