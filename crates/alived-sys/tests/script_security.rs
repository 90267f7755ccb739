//! `check()` on real files in a temp dir, in the layouts measured against keepalived 2.2.7.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::os::unix::fs::{PermissionsExt, chown, symlink};
use std::path::{Path, PathBuf};

use alived_sys::script::Credentials;
use alived_sys::security::{
    Finding, RealFs, ScriptRef, ScriptRole, SecurityConfig, check, config_test_exit_code,
};

struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn tree() -> Tree {
    let d = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(d.path()).unwrap();
    fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).unwrap();
    Tree { _dir: d, root }
}

fn script(dir: &Path, mode: u32) -> PathBuf {
    fs::create_dir_all(dir).unwrap();
    let p = dir.join("chk.sh");
    fs::write(&p, "#!/bin/sh\nexit 0\n").unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    p
}

fn chmod(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

fn track(cmd: &Path) -> Vec<ScriptRef> {
    vec![ScriptRef {
        role: ScriptRole::Track("s1".into()),
        command: cmd.display().to_string(),
        user: None,
    }]
}

fn secure_root() -> SecurityConfig {
    SecurityConfig {
        enable_script_security: true,
        script_user: Some(Credentials::root()),
        default_user: None,
    }
}

fn nogroup() -> u32 {
    Credentials::lookup("nobody", Some("nogroup")).unwrap().gid
}

fn lines(f: &[Finding], s: &[ScriptRef], test: bool) -> Vec<String> {
    f.iter()
        .flat_map(|x| {
            if test {
                x.config_test_messages(s)
            } else {
                x.messages(s)
            }
        })
        .collect()
}

#[test]
fn secure_root_script_passes() {
    let t = tree();
    let s = track(&script(&t.root.join("d"), 0o755));
    let f = check(&s, &secure_root(), &RealFs);
    assert_eq!(f, vec![]);
    assert_eq!(config_test_exit_code(&f, &s), 0);
}

#[test]
fn writable_directory_disables_with_security() {
    let t = tree();
    let p = script(&t.root.join("d"), 0o755);
    chmod(&t.root.join("d"), 0o777);
    let s = track(&p);
    let f = check(&s, &secure_root(), &RealFs);
    assert_eq!(
        lines(&f, &s, false),
        vec![
            format!(
                "Unsafe permissions found for script '{}' - disabling.",
                p.display()
            ),
            "Disabling track script s1 due to insecure".to_owned(),
        ]
    );
    assert_eq!(
        lines(&f, &s, true),
        vec!["Disabling track script s1 due to insecure"]
    );
    assert_eq!(config_test_exit_code(&f, &s), 5);
    assert_eq!(f[0].disabled_script(), Some(0));
}

#[test]
fn without_security_everything_runs_but_violates() {
    let t = tree();
    let p = script(&t.root.join("d"), 0o757); // other-writable file
    let s = track(&p);
    let cfg = SecurityConfig {
        enable_script_security: false,
        ..secure_root()
    };
    let f = check(&s, &cfg, &RealFs);
    assert_eq!(
        lines(&f, &s, true),
        vec![
            "SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts."
        ]
    );
    assert_eq!(config_test_exit_code(&f, &s), 6);
    assert!(f.iter().all(|x| x.disabled_script().is_none()));
    // The daemon's log (keepalived 2.2.7 at run time) also names the script.
    assert_eq!(
        lines(&f, &s, false),
        vec![
            format!("Unsafe permissions found for script '{}'.", p.display()),
            "SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.".to_owned(),
        ]
    );

    chmod(&p, 0o755);
    let f = check(&s, &cfg, &RealFs);
    assert_eq!(
        lines(&f, &s, true),
        vec!["SECURITY VIOLATION - scripts are being executed but script_security not enabled."]
    );
}

#[test]
fn group_and_owner_rules() {
    let t = tree();
    // group-writable by group root: fine
    let p = script(&t.root.join("g0"), 0o775);
    chmod(&t.root.join("g0"), 0o775);
    assert_eq!(check(&track(&p), &secure_root(), &RealFs), vec![]);
    // group-writable by another group: unsafe (file, then directory)
    let p = script(&t.root.join("g1"), 0o775);
    chown(&p, None, Some(nogroup())).unwrap();
    assert!(matches!(
        check(&track(&p), &secure_root(), &RealFs)[..],
        [Finding::Unsafe { .. }]
    ));
    let p = script(&t.root.join("g2"), 0o755);
    chmod(&t.root.join("g2"), 0o775);
    chown(t.root.join("g2"), None, Some(nogroup())).unwrap();
    assert!(matches!(
        check(&track(&p), &secure_root(), &RealFs)[..],
        [Finding::Unsafe { .. }]
    ));
    // a directory owned by a non-root user, however strict its mode
    let p = script(&t.root.join("o/d"), 0o755);
    chown(t.root.join("o"), Some(65534), None).unwrap();
    assert!(matches!(
        check(&track(&p), &secure_root(), &RealFs)[..],
        [Finding::Unsafe { .. }]
    ));
    // a sticky world-writable directory is fine (like /tmp)
    let p = script(&t.root.join("st"), 0o755);
    chmod(&t.root.join("st"), 0o1777);
    assert_eq!(check(&track(&p), &secure_root(), &RealFs), vec![]);
}

#[test]
fn symlinks_are_resolved() {
    let t = tree();
    // a link in an unsafe dir to a safe file: fine
    let real = script(&t.root.join("real"), 0o755);
    fs::create_dir(t.root.join("links")).unwrap();
    chmod(&t.root.join("links"), 0o777);
    symlink(&real, t.root.join("links/chk.sh")).unwrap();
    assert_eq!(
        check(
            &track(&t.root.join("links/chk.sh")),
            &secure_root(),
            &RealFs
        ),
        vec![]
    );
    // a link in a safe dir to a file in an unsafe dir: unsafe, named by its real path
    let bad = script(&t.root.join("bad"), 0o755);
    chmod(&t.root.join("bad"), 0o777);
    fs::create_dir(t.root.join("safe")).unwrap();
    symlink(&bad, t.root.join("safe/chk.sh")).unwrap();
    let f = check(&track(&t.root.join("safe/chk.sh")), &secure_root(), &RealFs);
    assert!(
        matches!(&f[..], [Finding::Unsafe { path, .. }] if *path == bad),
        "{f:?}"
    );
}

#[test]
fn non_root_scripts_are_not_path_checked() {
    let t = tree();
    let p = script(&t.root.join("d"), 0o755);
    chmod(&t.root.join("d"), 0o777);
    let cfg = SecurityConfig {
        script_user: Some(Credentials::lookup("nobody", None).unwrap()),
        ..secure_root()
    };
    // tempdir's parent chain must be searchable by nobody for the exec check: it only looks
    // at the file's own bits, as documented.
    assert_eq!(check(&track(&p), &cfg, &RealFs), vec![]);
}

#[test]
fn missing_not_executable_and_no_user() {
    let t = tree();
    let missing = t.root.join("missing.sh");
    let s = track(&missing);
    let f = check(&s, &secure_root(), &RealFs);
    assert_eq!(
        lines(&f, &s, false),
        vec![
            format!(
                "Script {} cannot be accessed - No such file or directory",
                missing.display()
            ),
            "Disabling track script s1 since not found/accessible".to_owned(),
        ]
    );
    assert_eq!(config_test_exit_code(&f, &s), 5);

    let noexec = script(&t.root.join("n"), 0o644);
    let s = track(&noexec);
    let f = check(&s, &secure_root(), &RealFs);
    assert_eq!(
        lines(&f, &s, false),
        vec![format!(
            "WARNING - script '{}' is not executable for uid:gid 0:0 - disabling.",
            noexec.display()
        )]
    );
    assert_eq!(lines(&f, &s, true), Vec::<String>::new());
    assert_eq!(config_test_exit_code(&f, &s), 0);

    // enable_script_security, no script_user, no keepalived_script user
    let ok = script(&t.root.join("ok"), 0o755);
    let mut s = track(&ok);
    s.push(ScriptRef {
        role: ScriptRole::Notify,
        command: ok.display().to_string(),
        user: None,
    });
    let cfg = SecurityConfig {
        enable_script_security: true,
        script_user: None,
        default_user: None,
    };
    let f = check(&s, &cfg, &RealFs);
    assert_eq!(
        lines(&f, &s, false),
        vec![
            "Script user 'keepalived_script' does not exist".to_owned(),
            "Unable to set default user keepalived_script for script".to_owned(),
            "Unable to set default user for vrrp script s1 - removing".to_owned(),
            format!(
                "Failed to set default user for notify script {} - ignoring",
                ok.display()
            ),
        ]
    );
    assert_eq!(config_test_exit_code(&f, &s), 5);
}

/// Lines and exit code of the real `keepalived -t` (2.2.7) for a config with one
/// `vrrp_script s1` run by `globals`, in a namespace with a veth for the instance.
fn keepalived_t(
    lab: &alived_sys::testnet::Lab,
    ns: &str,
    dir: &Path,
    globals: &str,
    cmd: &Path,
) -> (i32, Vec<String>) {
    let conf = dir.join(format!("k{}.conf", rand_suffix()));
    fs::write(
        &conf,
        format!(
            "global_defs {{\n  router_id r1\n  {globals}\n}}\nvrrp_script s1 {{\n  script \"{}\"\n}}\n\
             vrrp_instance VI_1 {{\n  state BACKUP\n  interface d0\n  virtual_router_id 51\n  priority 100\n\
             virtual_ipaddress {{\n    10.9.9.9\n  }}\n  track_script {{\n    s1\n  }}\n}}\n",
            cmd.display()
        ),
    )
    .unwrap();
    let _ = lab; // the namespace lives as long as the lab
    let out = std::process::Command::new("ip")
        .args([
            "netns",
            "exec",
            ns,
            "/usr/sbin/keepalived",
            "-t",
            "-l",
            "-D",
            "-f",
        ])
        .arg(&conf)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let lines = text
        .lines()
        .map(|l| match l.find(") ") {
            Some(i) if l.starts_with("(/") => l[i + 2..].to_owned(), // "(file: Line N) " prefix
            _ => l.to_owned(),
        })
        .filter(|l| !l.is_empty() && !l.starts_with("(VI_1)"))
        .collect();
    (out.status.code().unwrap_or(-1), lines)
}

fn rand_suffix() -> u32 {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

#[test]
fn agrees_with_keepalived_config_test() {
    if !Path::new("/usr/sbin/keepalived").exists() {
        println!("NOTICE: /usr/sbin/keepalived not installed; skipping the comparison");
        return;
    }
    let mut lab = alived_sys::testnet::Lab::new("sec");
    let ns = lab.add_ns("a").unwrap();
    lab.ip(
        &ns,
        &["link", "add", "d0", "type", "veth", "peer", "name", "d1"],
    )
    .unwrap();
    lab.ip(&ns, &["link", "set", "d0", "up"]).unwrap();
    let t = tree();
    let ok = script(&t.root.join("ok"), 0o755);
    let bad = script(&t.root.join("bad"), 0o755);
    chmod(&t.root.join("bad"), 0o777);
    let grp = script(&t.root.join("grp"), 0o775);
    chown(&grp, None, Some(nogroup())).unwrap();
    let noexec = script(&t.root.join("noexec"), 0o644);
    let missing = t.root.join("missing.sh");
    let real = script(&t.root.join("real"), 0o755);
    fs::create_dir(t.root.join("links")).unwrap();
    chmod(&t.root.join("links"), 0o777);
    symlink(&real, t.root.join("links/chk.sh")).unwrap();
    let link = t.root.join("links/chk.sh");

    let secure = "enable_script_security\n  script_user root";
    let insecure = "script_user root";
    let mut cases: Vec<(&str, &Path, SecurityConfig)> = vec![
        (secure, &ok, secure_root()),
        (secure, &bad, secure_root()),
        (
            insecure,
            &bad,
            SecurityConfig {
                enable_script_security: false,
                ..secure_root()
            },
        ),
        (
            insecure,
            &ok,
            SecurityConfig {
                enable_script_security: false,
                ..secure_root()
            },
        ),
        (secure, &missing, secure_root()),
        (secure, &noexec, secure_root()),
        (secure, &grp, secure_root()),
        (secure, &link, secure_root()),
    ];
    if Credentials::lookup(alived_sys::security::DEFAULT_SCRIPT_USER, None).is_err() {
        cases.push((
            "enable_script_security",
            &ok,
            SecurityConfig {
                enable_script_security: true,
                script_user: None,
                default_user: None,
            },
        ));
    }
    for (globals, cmd, cfg) in cases {
        let (code, ka_lines) = keepalived_t(&lab, &ns, &t.root, globals, cmd);
        let s = track(cmd);
        let f = check(&s, &cfg, &RealFs);
        assert_eq!(
            (config_test_exit_code(&f, &s), lines(&f, &s, true)),
            (code, ka_lines),
            "globals {globals:?}, script {}",
            cmd.display()
        );
    }
}
