//! The binary applies its malloc settings by itself: a plain run (no MALLOC_* variables) ends up
//! with them, and an operator's own values are kept.

use std::{process::Command, time::Duration};

fn environ_of(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .map(|raw| {
            raw.split(|b| *b == 0)
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Starts `todobot serve` (SQLite in a temporary directory) and returns its environment once it
/// runs re-executed.
fn serve_environ(extra: &[(&str, &str)]) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!(
        "todobot-malloc-{}-{}",
        std::process::id(),
        extra.len()
    ));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_todobot"));
    cmd.arg("serve")
        .env("BIND", "127.0.0.1:0")
        .env("DATA_DIR", &dir)
        .env("LLM_PROVIDER", "local")
        .env(
            "BETTER_AUTH_SECRET",
            "malloc-test-secret-0123456789-abcdefghij",
        )
        .env_remove("DATABASE_URL");
    for name in [
        "MALLOC_ARENA_MAX",
        "MALLOC_MMAP_THRESHOLD_",
        "MALLOC_TRIM_THRESHOLD_",
        "TODOBOT_MALLOC_APPLIED",
    ] {
        cmd.env_remove(name);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let mut seen = Vec::new();
    for _ in 0..500 {
        let env = environ_of(pid);
        if env.iter().any(|e| e.starts_with("TODOBOT_MALLOC_APPLIED=")) {
            seen = env;
            break;
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
    seen
}

#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn a_plain_run_gets_the_malloc_settings_and_operator_values_win() {
    let env = serve_environ(&[]);
    assert!(env.contains(&"MALLOC_ARENA_MAX=2".to_owned()), "{env:?}");
    assert!(
        env.contains(&"MALLOC_MMAP_THRESHOLD_=131072".to_owned()),
        "{env:?}"
    );
    assert!(
        env.contains(&"MALLOC_TRIM_THRESHOLD_=131072".to_owned()),
        "{env:?}"
    );
    let env = serve_environ(&[("MALLOC_ARENA_MAX", "4")]);
    assert!(env.contains(&"MALLOC_ARENA_MAX=4".to_owned()), "{env:?}");
    assert!(!env.contains(&"MALLOC_ARENA_MAX=2".to_owned()), "{env:?}");
}
