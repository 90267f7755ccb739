//! Preparing the configured scripts at start-up (spec 2.6 "Execution"): each script's user is
//! resolved, keepalived's security checks run over all of them together
//! (`alived_sys::security`), and each one that survives is checked for existence and
//! execute permission. Every problem is logged with keepalived's wording and disables only
//! that script.

use alived_sys::script::{Credentials, Script};
use alived_sys::security::{self, ScriptRef, ScriptRole, SecurityConfig};
use tracing::{info, warn};

/// One script as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptSpec {
    /// `Some(name)` for a `vrrp_script`, `None` for notify and FIFO scripts.
    pub track: Option<String>,
    pub command: String,
    /// A per-script `user U [G]`.
    pub user: Option<(String, Option<String>)>,
}

/// The global settings scripts depend on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScriptGlobals {
    pub enable_script_security: bool,
    /// `script_user U [G]`.
    pub script_user: Option<(String, Option<String>)>,
}

impl ScriptGlobals {
    pub fn from_config(g: &alived_config::model::GlobalDefs) -> Self {
        ScriptGlobals {
            enable_script_security: g.enable_script_security,
            script_user: g
                .script_user
                .as_ref()
                .map(|u| (u.user.clone(), u.group.clone())),
        }
    }
}

fn lookup(u: &(String, Option<String>)) -> Option<Credentials> {
    match Credentials::lookup(&u.0, u.1.as_deref()) {
        Ok(c) => Some(c),
        Err(e) => {
            warn!("{e}");
            None
        }
    }
}

/// Prepares `specs` in order; `None` for each script that is disabled (and logged).
pub fn prepare_all(specs: &[ScriptSpec], globals: &ScriptGlobals) -> Vec<Option<Script>> {
    if specs.is_empty() {
        return Vec::new();
    }
    let script_user = globals.script_user.as_ref().and_then(lookup);
    let sec = SecurityConfig::with_system_default_user(
        globals.enable_script_security,
        script_user.clone(),
    );
    let refs: Vec<ScriptRef> = specs
        .iter()
        .map(|s| ScriptRef {
            role: match &s.track {
                Some(n) => ScriptRole::Track(n.clone()),
                None => ScriptRole::Notify,
            },
            command: s.command.clone(),
            user: s.user.as_ref().and_then(lookup),
        })
        .collect();
    let findings = security::check(&refs, &sec, &security::RealFs);
    let mut disabled = vec![false; specs.len()];
    for f in &findings {
        for line in f.messages(&refs) {
            warn!("{line}");
        }
        if let Some(i) = f.disabled_script()
            && let Some(d) = disabled.get_mut(i)
        {
            *d = true;
        }
    }
    let default_creds = script_user
        .or(sec.default_user.clone())
        .unwrap_or_else(Credentials::root);
    refs.iter()
        .zip(disabled)
        .map(|(r, off)| {
            if off {
                return None;
            }
            let creds = r.user.clone().unwrap_or_else(|| default_creds.clone());
            match Script::prepare(&r.command, creds) {
                Ok((script, notice)) => {
                    if let Some(n) = notice {
                        info!("{n}");
                    }
                    Some(script)
                }
                Err(e) => {
                    warn!("{e}");
                    if let ScriptRole::Track(name) = &r.role {
                        warn!("Disabling track script {name} since not found/accessible");
                    }
                    None
                }
            }
        })
        .collect()
}

/// Every script of the VRRP process, prepared in one pass (so that keepalived's global
/// findings, such as the missing default user, are logged once), looked up by their spec.
#[derive(Debug, Default)]
pub struct Prepared {
    items: Vec<(ScriptSpec, Option<Script>)>,
}

impl Prepared {
    pub fn new(specs: Vec<ScriptSpec>, globals: &ScriptGlobals) -> Prepared {
        let scripts = prepare_all(&specs, globals);
        Prepared {
            items: specs.into_iter().zip(scripts).collect(),
        }
    }

    /// The prepared script for `spec`; `None` if it was disabled (or never given).
    pub fn get(&self, spec: &ScriptSpec) -> Option<Script> {
        self.items
            .iter()
            .find(|(s, _)| s == spec)
            .and_then(|(_, p)| p.clone())
    }
}

/// `alived -t`'s script checks (keepalived 2.2.7): the lines `keepalived -t` prints and its
/// exit code for them (6 on a security violation, 5 when a track script is removed, else 0).
pub fn config_test(config: &alived_config::model::Config) -> (i32, Vec<String>) {
    let uses = config.scripts();
    if uses.is_empty() {
        return (0, Vec::new());
    }
    let globals = ScriptGlobals::from_config(&config.global);
    let quiet = |u: &(String, Option<String>)| Credentials::lookup(&u.0, u.1.as_deref()).ok();
    let refs: Vec<ScriptRef> = uses
        .iter()
        .map(|u| {
            let track = (u.context == "vrrp_script").then(|| u.owner.to_owned());
            let user = match &track {
                Some(name) => config
                    .vrrp_scripts
                    .iter()
                    .find(|s| &s.name == name)
                    .and_then(|s| s.user.clone().map(|user| (user, s.group.clone()))),
                None => u
                    .script
                    .user
                    .clone()
                    .map(|user| (user, u.script.group.clone())),
            };
            ScriptRef {
                role: match track {
                    Some(n) => ScriptRole::Track(n),
                    None => ScriptRole::Notify,
                },
                command: u.script.command.clone(),
                user: user.as_ref().and_then(quiet),
            }
        })
        .collect();
    let sec = SecurityConfig::with_system_default_user(
        globals.enable_script_security,
        globals.script_user.as_ref().and_then(quiet),
    );
    let findings = security::check(&refs, &sec, &security::RealFs);
    let lines = findings
        .iter()
        .flat_map(|f| f.config_test_messages(&refs))
        .collect();
    (security::config_test_exit_code(&findings, &refs), lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> (i32, Vec<String>) {
        let loaded = alived_config::load_str("t.conf", text, &Default::default());
        config_test(&loaded.config)
    }

    #[test]
    fn scripts_without_script_security_are_a_violation() {
        let (code, lines) = check(
            "vrrp_script chk {\n script \"/bin/true\"\n}\n\
             vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n \
             virtual_ipaddress {\n 10.0.0.1\n }\n track_script {\n chk\n }\n}\n",
        );
        assert_eq!(code, 6);
        assert_eq!(
            lines,
            ["SECURITY VIOLATION - scripts are being executed but script_security not enabled."]
        );
    }

    #[test]
    fn no_scripts_nothing_to_say() {
        assert_eq!(
            check("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n}\n"),
            (0, Vec::new())
        );
    }
}
