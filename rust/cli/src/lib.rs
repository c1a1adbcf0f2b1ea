//! The collector side of `hush` as a library: the OHTTP gateway and the
//! reference collector (`serve`), for the `hush` binary (`main.rs`, which
//! adds the other commands) and for the fuzz targets in `fuzz/`, which drive
//! request opening and report validation directly.

pub mod gateway;
pub mod serve;
