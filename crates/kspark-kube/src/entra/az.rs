//! Runs the Azure CLI for `--login azurecli` with the environment kubelogin
//! would have given it: kspark's own plus the kubeconfig exec section's
//! `env` (e.g. `AZURE_CONFIG_DIR`), minus its `dropEnv`.

use std::ffi::OsStr;
use std::io;
use std::process::Output;

use super::options::PluginEnv;

#[derive(Debug)]
pub struct PluginEnvExecutor {
    pub env: PluginEnv,
}

#[async_trait::async_trait]
impl azure_identity::Executor for PluginEnvExecutor {
    async fn run(&self, program: &OsStr, args: &[&OsStr]) -> io::Result<Output> {
        let mut command = tokio::process::Command::new(program);
        command.args(args);
        for (name, value) in self.env.overrides() {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        command.output().await
    }
}
