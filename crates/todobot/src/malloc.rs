//! Memory without tuning. glibc's malloc raises its mmap threshold after the first large free, so
//! each sign-up's 19 MiB Argon2 buffer ends up in a heap arena that is never given back: a plain
//! run grew to hundreds of MiB after a few sign-ups. These settings keep large buffers in mmap (given
//! back on free), trim the heap and bound the arenas. glibc reads them only when a process starts,
//! so the binary re-executes itself once with them when they are not set (an operator's own
//! `MALLOC_*` values win). Measured in bench/RESULTS.md.

use std::{ffi::OsString, os::unix::process::CommandExt, process::Command};

/// The settings and their values.
pub const SETTINGS: [(&str, &str); 3] = [
    ("MALLOC_ARENA_MAX", "2"),
    ("MALLOC_MMAP_THRESHOLD_", "131072"),
    ("MALLOC_TRIM_THRESHOLD_", "131072"),
];

/// Marks the re-executed process (so that a failing exec is never retried in a loop).
const MARK: &str = "TODOBOT_MALLOC_APPLIED";

/// Re-executes this process with the malloc settings when they are missing; returns when they are
/// in place (or when re-executing is not possible: the process then runs with glibc's defaults).
pub fn apply() {
    if !cfg!(all(target_os = "linux", target_env = "gnu")) || std::env::var_os(MARK).is_some() {
        return;
    }
    let missing: Vec<_> = SETTINGS
        .iter()
        .filter(|(name, _)| std::env::var_os(name).is_none())
        .collect();
    if missing.is_empty() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_else(|| OsString::from("todobot"));
    let mut cmd = Command::new(exe);
    cmd.arg0(arg0).args(args).env(MARK, "1");
    for (name, value) in missing {
        cmd.env(name, value);
    }
    // only returns on failure
    let err = cmd.exec();
    eprintln!(
        "todobot: could not apply the malloc settings ({err}); running with glibc's defaults"
    );
}
