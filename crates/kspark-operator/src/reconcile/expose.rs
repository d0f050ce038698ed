//! After a submission: the Services and routes that expose the driver
//! (`--enable-ui-service`, `--ingress-url-format`, `--gateway`,
//! `spec.driverIngressOptions`), recorded in `status.driverInfo` as kubeflow
//! does. A failure is logged and published as a Warning event, and never
//! fails the application: the UI is a convenience.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;
use kspark_kube::is_not_found;
use kspark_sparkapp::exposure::DriverIngressConfiguration;
use kube::Api;
use kube::api::{DynamicObject, Patch, PatchParams};

use super::Work;
use crate::context::Context;
use crate::events::Note;
use crate::exposure::{
    ExposureOptions, RouteTarget, RouteUrl, UrlTemplate, driver_port_route_name, driver_port_service, http_route,
    http_route_resource, ingress, ui_route_name, ui_service,
};

const FIELD_MANAGER: &str = "kspark-operator";
const REASON: &str = "SparkDriverExposureFailed";

pub async fn apply(work: &mut Work, ctx: &Context) {
    let options = &ctx.options.exposure;
    if options.ui_service
        && let Err(message) = expose_ui(work, ctx, options).await
    {
        failed(work, message);
    }
    for config in work.app.spec.driver_ingress_options.clone() {
        if let Err(message) = expose_port(work, ctx, options, &config).await {
            failed(work, message);
        }
    }
}

/// The UI's URL for this attempt, when the operator publishes UIs under one.
pub fn ui_url(work: &Work, options: &ExposureOptions, app_id: &str) -> Option<Result<RouteUrl, String>> {
    let template = options.url_format.as_ref().filter(|_| options.ui_service)?;
    Some(expand(template, work, app_id, "--ingress-url-format"))
}

async fn expose_ui(work: &mut Work, ctx: &Context, options: &ExposureOptions) -> Result<(), String> {
    let service = ui_service(&work.app);
    let applied = apply_service(work, ctx, &service).await?;
    let service_name = applied.metadata.name.unwrap_or_default();
    let spec = applied.spec.unwrap_or_default();
    let port = spec.ports.unwrap_or_default().first().map_or(0, |p| p.port);
    let info = &mut work.status_mut().driver_info;
    info.web_ui_service_name = service_name.clone();
    info.web_ui_port = port;
    info.web_ui_address = spec.cluster_ip.map(|ip| format!("{ip}:{port}")).unwrap_or_default();
    let app_id = work.status().spark_application_id.clone();
    let Some(url) = ui_url(work, options, &app_id) else { return Ok(()) };
    let ui_options = work.app.spec.spark_ui_options.clone().unwrap_or_default();
    let target = RouteTarget {
        name: ui_route_name(work.name()),
        service: service_name,
        port,
        url: url?,
        annotations: or_default(ui_options.ingress_annotations, &options.default_annotations),
        tls: if ui_options.ingress_tls.is_empty() { options.default_tls.clone() } else { ui_options.ingress_tls },
        class: options.ingress_class.clone(),
    };
    apply_route(work, ctx, options, &target).await?;
    let info = &mut work.status_mut().driver_info;
    info.web_ui_ingress_name = target.name;
    info.web_ui_ingress_address = target.url.address;
    Ok(())
}

async fn expose_port(
    work: &mut Work,
    ctx: &Context,
    options: &ExposureOptions,
    config: &DriverIngressConfiguration,
) -> Result<(), String> {
    let service = apply_service(work, ctx, &driver_port_service(&work.app, config)).await?;
    if config.ingress_url_format.is_empty() {
        return Ok(());
    }
    let field = format!("spec.driverIngressOptions[port {}].ingressURLFormat", config.service_port);
    let template = UrlTemplate::parse(&config.ingress_url_format).map_err(|e| format!("{field}: {e}"))?;
    let app_id = work.status().spark_application_id.clone();
    let target = RouteTarget {
        name: driver_port_route_name(work.name(), config.service_port),
        service: service.metadata.name.unwrap_or_default(),
        port: config.service_port,
        url: expand(&template, work, &app_id, &field)?,
        annotations: or_default(config.ingress_annotations.clone(), &options.default_annotations),
        tls: if config.ingress_tls.is_empty() { options.default_tls.clone() } else { config.ingress_tls.clone() },
        class: options.ingress_class.clone(),
    };
    apply_route(work, ctx, options, &target).await
}

async fn apply_service(work: &Work, ctx: &Context, service: &Service) -> Result<Service, String> {
    let name = service.metadata.name.clone().unwrap_or_default();
    let api: Api<Service> = Api::namespaced(ctx.client.clone(), work.namespace());
    api.patch(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(service))
        .await
        .map_err(|e| format!("cannot create the Service {name}: {e}"))
}

async fn apply_route(
    work: &Work,
    ctx: &Context,
    options: &ExposureOptions,
    target: &RouteTarget,
) -> Result<(), String> {
    let params = PatchParams::apply(FIELD_MANAGER).force();
    match &options.gateway {
        Some(gateway) => {
            let resource = http_route_resource();
            let api: Api<DynamicObject> = Api::namespaced_with(ctx.client.clone(), work.namespace(), &resource);
            let route = http_route(&work.app, target, gateway);
            api.patch(&target.name, &params, &Patch::Apply(&route)).await.map(|_| ()).map_err(|e| match &e {
                e if is_not_found(e) => format!(
                    "cannot create the HTTPRoute {}: the cluster has no Gateway API (install its CRDs, or run \
                     the operator without --gateway to create Ingresses)",
                    target.name
                ),
                _ => format!("cannot create the HTTPRoute {}: {e}", target.name),
            })
        }
        None => {
            let api: Api<Ingress> = Api::namespaced(ctx.client.clone(), work.namespace());
            let route = ingress(&work.app, target);
            api.patch(&target.name, &params, &Patch::Apply(&route))
                .await
                .map(|_| ())
                .map_err(|e| format!("cannot create the Ingress {}: {e}", target.name))
        }
    }
}

fn expand(template: &UrlTemplate, work: &Work, app_id: &str, field: &str) -> Result<RouteUrl, String> {
    template.expand(work.name(), work.namespace(), app_id).map_err(|e| format!("{field}: {e}"))
}

/// kubeflow: the application's own annotations, else the operator's defaults.
fn or_default(own: BTreeMap<String, String>, default: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    if own.is_empty() { default.clone() } else { own }
}

fn failed(work: &mut Work, message: String) {
    tracing::warn!(app = work.name(), "{message}");
    work.note(Note::warning(REASON, message));
}
