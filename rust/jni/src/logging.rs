//! `log` goes to logcat on Android and to stderr on the host; panics are
//! logged by location only. Log lines never hold an argument of a recording
//! call (P11): logcat ends up in bug reports.

use std::sync::Once;

static INIT: Once = Once::new();

/// Installs the logger and the panic hook once per process.
pub fn init() {
    INIT.call_once(|| {
        install_logger();
        std::panic::set_hook(Box::new(|info| {
            // The payload is never logged: it may hold whatever the panicking
            // code formatted. The location is enough to find the bug.
            match info.location() {
                Some(l) => log::error!("panic in Hush native code at {}:{}", l.file(), l.line()),
                None => log::error!("panic in Hush native code"),
            }
        }));
    });
}

#[cfg(target_os = "android")]
fn install_logger() {
    android_logger::init_once(
        android_logger::Config::default()
            .with_tag("hush")
            .with_max_level(log::LevelFilter::Info),
    );
}

#[cfg(not(target_os = "android"))]
fn install_logger() {
    // RUST_LOG overrides; warnings and errors by default. Another logger
    // already installed in the process is fine.
    let _ = env_logger::Builder::new()
        .filter_level(log::LevelFilter::Warn)
        .parse_env("RUST_LOG")
        .target(env_logger::Target::Stderr)
        .try_init();
}
