//! Sets the shared library's soname on Linux, so that programs linked against
//! `libm2m_auth.so` record the ABI version they need, not the unversioned
//! name (`make install` installs the versioned file and its symlinks).
//!
//! The version suffix follows cargo-c's default, which follows semver: from
//! 1.0 the major version (`libm2m_auth.so.1`); for 0.x the minor version is
//! the breaking one, so 0.1.z is `libm2m_auth.so.0.1`, and 0.0.z, where every
//! release may break, `libm2m_auth.so.0.0.z`. scripts/install-c.sh applies the
//! same rule to name the files and checks the built library agrees.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let part = |name: &str| std::env::var(name).expect("cargo sets the package version");
    let (major, minor, patch) = (
        part("CARGO_PKG_VERSION_MAJOR"),
        part("CARGO_PKG_VERSION_MINOR"),
        part("CARGO_PKG_VERSION_PATCH"),
    );
    let suffix = match (major.as_str(), minor.as_str()) {
        ("0", "0") => format!("0.0.{patch}"),
        ("0", _) => format!("0.{minor}"),
        _ => major,
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libm2m_auth.so.{suffix}");
}
