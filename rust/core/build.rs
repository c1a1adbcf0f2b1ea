//! Generates the Public Suffix List table from the pinned list in
//! `data/psl/` (see `build/psl_dafsa.rs` for the format). The schema is not
//! touched here: it is parsed at run time.

#[path = "build/psl_dafsa.rs"]
mod psl_dafsa;

use std::path::PathBuf;

fn main() {
    let list_path = "data/psl/public_suffix_list.dat";
    println!("cargo:rerun-if-changed={list_path}");
    println!("cargo:rerun-if-changed=build/psl_dafsa.rs");
    let list = std::fs::read_to_string(list_path).unwrap_or_else(|e| panic!("{list_path}: {e}"));
    let table = psl_dafsa::parse(&list)
        .and_then(|rules| psl_dafsa::build(&rules))
        .unwrap_or_else(|e| panic!("cannot build the Public Suffix List table: {e}"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("psl.dafsa"), table).expect("write psl.dafsa");
}
