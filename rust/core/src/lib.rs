//! hush-core: the privacy-first analytics core a browser links in.
//!
//! Everything that decides what is kept lives here, in pure Rust: the incognito
//! gate ([`tabs`]), the metric [`schema`], on-device anonymization
//! ([`anonymize`]), the per-day aggregates, crash-safe state, OHTTP sealing
//! ([`ohttp`]) and the upload policy. The JNI crate and the CLI only pass calls
//! in. The privacy contract it enforces is `shared/DESIGN.md` P1-P16; [`dap`]
//! turns each closed day into DAP reports (P14).

pub mod anonymize;
pub mod clock;
mod config;
pub mod dap;
mod day_change;
mod errors;
pub mod history;
mod hush;
pub mod ohttp;
pub mod random;
pub mod report;
mod restore;
pub mod schema;
pub mod seal;
pub mod store;
pub mod tabs;
pub mod transparency;
pub mod upload;
pub mod window;

pub use hush::{Config, Hush, RecordError, StoreError, UploadDelay};
