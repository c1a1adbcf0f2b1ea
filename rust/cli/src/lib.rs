//! The `hush` command as a library: the subcommands (`cmd`), the OHTTP
//! gateway (`gateway`, `serve`: `hush serve` in front of a DAP leader) and
//! the reference DAP aggregators and collector (`dap`). The `hush` binary
//! (`main.rs`) only parses arguments and dispatches; the fuzz targets in
//! `fuzz/` drive request opening and the gateway's request path directly.

pub mod cmd;
pub mod dap;
pub mod gateway;
pub mod prometheus;
pub mod serve;
pub mod upload_client;
