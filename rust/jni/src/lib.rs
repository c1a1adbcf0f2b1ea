//! hush-jni: the JNI edge of Hush, the cdylib the AAR ships.
//!
//! Every native method of `dev.hush.internal.NativeBridge` is one line in
//! [`exports`] that hands its body to [`edge::run`]: the single place where
//! panics are caught and errors become Java exceptions
//! (`IllegalArgumentException` for bad input, `IllegalStateException` for
//! misuse, `dev.hush.HushException` for I/O and internal errors). Nothing
//! unwinds into the JVM and nothing aborts.
//!
//! Core instances live in a [`registry`] of slots with generations: Java only
//! ever holds an opaque `long` that is validated on every call, so a closed,
//! stale or forged handle is an exception, never a dangling pointer.
//!
//! Privacy (DESIGN.md P11): no URL, host, query or label ever reaches a log
//! line or an exception message. Messages are fixed strings or name schema
//! metrics; panic payloads are never shown.
//!
//! The workspace denies `unsafe_code`; the three modules at the raw FFI edge
//! ([`exports`], [`jstr`], [`classes`]) opt in, and every `unsafe` block says
//! why it is sound.
#![deny(clippy::undocumented_unsafe_blocks)]

mod classes;
mod convert;
mod edge;
mod error;
mod exports;
mod instance;
mod jstr;
mod logging;
mod registry;
#[cfg(feature = "test-hooks")]
mod test_hooks;
mod transport;
