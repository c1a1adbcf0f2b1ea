//! One module per subcommand.
pub mod explain_url;
pub mod keygen;
pub mod open;
pub mod query;
pub mod replay;
pub mod replay_plaintext;
pub mod seal;
