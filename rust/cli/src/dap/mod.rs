//! The reference DAP-09 aggregators and collector (DESIGN.md P14): every
//! message through `janus_messages` 0.7, every VDAF operation through
//! `prio` 0.16 with hush-core's task parameters, input shares opened with
//! an HPKE implementation independent of the client's. They speak Janus
//! 0.7's wire protocol, so a Janus leader, helper or both can replace them
//! with no change in the app.
//!
//! * [`setup`]: `hush dap-setup`, a development deployment ([`deployment`]
//!   is its file formats, [`janus`] the same tasks for Janus).
//! * [`leader`]: `hush leader`, behind its OHTTP gateway (`hush serve`, a
//!   process of its own: `crate::serve`).
//! * [`helper`]: `hush helper`.
//! * [`collect`]: `hush collect`.
//! * Shared: [`aggregator`] (a loaded configuration), [`http`] (resources
//!   and server), [`peer`] (client), [`auth`], [`hpke`], [`prep`] (VDAF
//!   preparation), [`batches`] (what both stores keep alike), [`checksum`],
//!   [`problem`], [`sqlite`].

pub mod aggregator;
pub mod auth;
pub mod batches;
pub mod checksum;
pub mod collect;
pub mod deployment;
pub mod helper;
pub mod hpke;
pub mod http;
pub mod janus;
pub mod leader;
pub mod peer;
pub mod prep;
pub mod problem;
pub mod setup;
pub mod sqlite;
