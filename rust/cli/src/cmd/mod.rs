//! One module per subcommand.
pub mod keygen;
pub mod open;
pub mod query;
pub mod replay;
pub mod seal;
