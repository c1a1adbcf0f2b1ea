//! One module per subcommand.
pub mod keygen;
pub mod open;
pub mod explain_url;
pub mod replay;
pub mod seal;
