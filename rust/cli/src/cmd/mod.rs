//! One module per subcommand.
pub mod explain_url;
pub mod replay;
