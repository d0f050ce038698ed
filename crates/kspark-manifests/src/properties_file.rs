//! The driver's `spark.properties`: the submission's settings, what the
//! build steps added, every `*oauthToken` redacted, in `Properties.store`
//! format.

use std::collections::BTreeMap;

use kspark_config::properties::store_line;

use crate::driver::DriverState;

pub const REDACTED: &str = "<present_but_redacted>";

/// Final key → value map (sorted, as JDK 18+ writes it).
pub(crate) fn final_properties(st: &DriverState<'_, '_>) -> BTreeMap<String, String> {
    let mut props: BTreeMap<String, String> =
        st.ctx.submission.conf.iter().map(|(k, s)| (k.to_string(), s.value.clone())).collect();
    props.entry("spark.app.submitTime".into()).or_insert_with(|| st.ctx.now_millis.to_string());
    for (k, v) in &st.added_props {
        props.insert(k.clone(), v.clone());
    }
    for (k, v) in props.iter_mut() {
        if k.ends_with("oauthToken") {
            *v = REDACTED.to_string();
        }
    }
    props
}

pub(crate) fn render(st: &DriverState<'_, '_>, conf_map_name: &str) -> String {
    let mut text = format!(
        "#Java properties built from Kubernetes config map with name: {conf_map_name}\n#{}\n",
        java_date(st.ctx.now_millis)
    );
    for (k, v) in final_properties(st) {
        text.push_str(&store_line(&k, &v));
        text.push('\n');
    }
    text
}

/// `java.util.Date.toString()` in UTC: `Tue Nov 24 19:16:22 UTC 2026`.
fn java_date(millis: i64) -> String {
    jiff::Timestamp::from_millisecond(millis)
        .map(|t| t.strftime("%a %b %d %H:%M:%S UTC %Y").to_string())
        .unwrap_or_default()
}
