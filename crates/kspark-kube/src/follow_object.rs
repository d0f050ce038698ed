//! Follows one named object until a caller's test says it is done or it
//! disappears. Survives watch time-outs, dropped connections and `410 Gone`
//! by reading the object again and watching from its version.

use std::fmt::Debug;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kube::api::{WatchEvent, WatchParams};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;

use crate::error::ClusterError;

/// How many failures in a row are tolerated before giving up.
const MAX_FAILURES: u32 = 30;
const RETRY_PAUSE: Duration = Duration::from_secs(2);

/// How following ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Followed<K> {
    Done(K),
    Deleted,
}

/// Reads `name`, then watches it; `observe` sees every version and answers
/// whether it is the last one wanted. `what` names it in errors
/// (e.g. `driver pod NAME`).
pub async fn follow<K>(
    api: &Api<K>,
    name: &str,
    what: &str,
    mut observe: impl FnMut(&K) -> bool,
) -> Result<Followed<K>, ClusterError>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let mut failures = 0;
    loop {
        let object = match api.get_opt(name).await {
            Ok(Some(object)) => object,
            Ok(None) => return Ok(Followed::Deleted),
            Err(kube::Error::Api(status)) if status.code == 401 => {
                return Err(ClusterError::Unauthorized { action: format!("read {what}") });
            }
            Err(e) => {
                failures += 1;
                if failures > MAX_FAILURES {
                    return Err(ClusterError::from_kube(format!("read {what}"), e));
                }
                tokio::time::sleep(RETRY_PAUSE).await;
                continue;
            }
        };
        if observe(&object) {
            return Ok(Followed::Done(object));
        }
        let version = object.meta().resource_version.clone().unwrap_or_default();
        match watch_once(api, name, &version, &mut observe).await {
            Ok(Some(outcome)) => return Ok(outcome),
            Ok(None) => failures = 0,
            Err(_) => {
                failures += 1;
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }
}

/// One watch; `Ok(None)` when it ended without an outcome (time-out, 410).
async fn watch_once<K>(
    api: &Api<K>,
    name: &str,
    version: &str,
    observe: &mut impl FnMut(&K) -> bool,
) -> Result<Option<Followed<K>>, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let params = WatchParams::default().fields(&format!("metadata.name={name}")).timeout(290);
    let mut stream = api.watch(&params, version).await?.boxed();
    while let Some(event) = stream.try_next().await? {
        match event {
            WatchEvent::Added(object) | WatchEvent::Modified(object) => {
                if observe(&object) {
                    return Ok(Some(Followed::Done(object)));
                }
            }
            WatchEvent::Deleted(_) => return Ok(Some(Followed::Deleted)),
            WatchEvent::Bookmark(_) => {}
            WatchEvent::Error(_) => return Ok(None),
        }
    }
    Ok(None)
}
