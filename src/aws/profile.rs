//! `--profile NAME`: the named profile of the shared config and credentials files, checked
//! before any AWS call. As in the AWS CLI, an explicit profile wins over credentials in the
//! environment (`AWS_ACCESS_KEY_ID`, …), and one that does not exist is an error naming the
//! files looked in, rather than a fall back to other credentials or to the instance metadata.

use std::borrow::Cow;
use std::path::PathBuf;

use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

use super::AwsError;

/// The config and credentials files the SDK reads, as it resolves them (the `AWS_CONFIG_FILE`
/// and `AWS_SHARED_CREDENTIALS_FILE` variables, else `~/.aws/config` and `~/.aws/credentials`).
pub fn files() -> [PathBuf; 2] {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let pick = |var: &str, default: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map_or_else(|| home.join(".aws").join(default), PathBuf::from)
    };
    [
        pick("AWS_CONFIG_FILE", "config"),
        pick("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    ]
}

/// The profile exists in one of the files: else an error naming it and the files.
pub async fn check(name: &str) -> Result<(), AwsError> {
    let invalid = |message: String| AwsError::Invalid {
        resource: format!("profile `{name}`"),
        message,
    };
    let [config, credentials] = files();
    let looked = format!(
        "looked in {} and {}",
        config.display(),
        credentials.display()
    );
    let set = aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &EnvConfigFiles::default(),
        Some(Cow::Owned(name.to_owned())),
    )
    .await
    .map_err(|e| {
        invalid(format!(
            "the AWS profile files cannot be read ({e}); {looked}"
        ))
    })?;
    if set.get_profile(name).is_some() {
        return Ok(());
    }
    let mut known: Vec<&str> = set.profiles().collect();
    known.sort_unstable();
    let known = if known.is_empty() {
        "no profiles are defined".to_owned()
    } else {
        format!("defined: {}", known.join(", "))
    };
    Err(invalid(format!("no such AWS profile ({known}); {looked}")))
}
