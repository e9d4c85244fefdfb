//! Release builds on Linux/glibc link with `-z pack-relative-relocs` (RELR): the ~62,000 relative
//! relocations of the position-independent executable take ~20 KB instead of ~1.5 MB, and the binary
//! stays PIE (ASLR). Needs rust-lld (Rust's default linker on x86_64 Linux) or GNU ld >= 2.38 to link
//! and glibc >= 2.36 to run (Debian 12, the distroless/cc-debian12 image, Ubuntu 24.04; an older glibc
//! refuses to load the binary: GLIBC_ABI_DT_RELR not found), so it is only used when the building
//! machine's glibc is that recent and the build is native. `TODOBOT_NO_RELR=1` turns it off.
//! bench/README.md "Binary size".

use std::{env, process::Command};

fn main() {
    println!("cargo:rerun-if-env-changed=TODOBOT_NO_RELR");
    let var = |k: &str| env::var(k).unwrap_or_default();
    let native = var("TARGET") == var("HOST");
    let linux_gnu = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    if var("PROFILE") == "release"
        && native
        && linux_gnu
        && env::var_os("TODOBOT_NO_RELR").is_none()
        && host_glibc_at_least(2, 36)
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// The glibc version `getconf GNU_LIBC_VERSION` reports ("glibc 2.36"), compared with `major.minor`.
fn host_glibc_at_least(major: u32, minor: u32) -> bool {
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut version = text
        .trim()
        .trim_start_matches("glibc ")
        .split('.')
        .map(|n| n.parse::<u32>().ok());
    match (version.next().flatten(), version.next().flatten()) {
        (Some(a), Some(b)) => (a, b) >= (major, minor),
        _ => false,
    }
}
