//! Production and protected environments: what needs `--confirm ENV`, decided before anything
//! is read. Asking the operator (the prompt) is the command line's.

use super::Refusal;

/// Production, or an environment whose spec protects its database.
pub fn protected_env(env: &str, deletion_protection: bool) -> bool {
    env == "production" || deletion_protection
}

/// Whether `--confirm ENV` confirms this run: it must name the environment it is given for,
/// and destroying a protected environment needs it (`--auto-approve` alone is not enough).
pub fn given(env: &str, confirm: Option<&str>, destroys_protected: bool) -> Result<bool, Refusal> {
    match confirm {
        Some(c) if c != env => Err(Refusal::ConfirmMismatch {
            given: c.to_owned(),
            env: env.to_owned(),
        }),
        Some(_) => Ok(true),
        None if destroys_protected => Err(Refusal::ProtectedDestroy {
            env: env.to_owned(),
        }),
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirm_must_name_the_environment_and_protected_destroys_need_it() {
        assert_eq!(given("staging", None, false), Ok(false));
        assert_eq!(given("staging", Some("staging"), true), Ok(true));
        let wrong = given("staging", Some("production"), false).unwrap_err();
        assert_eq!(
            wrong.to_string(),
            "--confirm production does not match the environment `staging`; nothing was changed"
        );
        let protected = given("production", None, true).unwrap_err();
        assert!(
            protected
                .to_string()
                .starts_with("`production` is protected")
        );
    }
}
