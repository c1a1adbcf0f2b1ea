//! Oblivious HTTP (RFC 9458) sealing on ring (DESIGN.md P10).
//!
//! A report becomes a padded Binary HTTP request ([`bhttp`]), is sealed with
//! HPKE to the collector's pinned key configuration ([`KeyConfigs`]) by
//! [`encapsulate`], and only the ciphertext and a [`ResponseOpener`] ever reach
//! disk. The client side uses ring alone; the collector uses Mozilla's `ohttp`.

pub mod bhttp;
// Shared with `dap`, which seals DAP input shares with the same HPKE.
pub(crate) mod hpke;
mod key_config;
mod request;
mod response;
mod suite;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;

pub use key_config::{KeyConfig, KeyConfigError, KeyConfigs};
pub use request::{encapsulate, encapsulate_to, encapsulated_len, Encapsulated, SealError};
pub use response::{OpenError, ResponseOpener, OPENER_LEN};
pub(crate) use suite::Suite;
pub use suite::{Aead, Kdf, Kem, SuiteIds, SymmetricSuite};
