# Shared by scripts/*: one workspace target/, quiet progress, clear steps.
# shellcheck shell=bash
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"

step() { printf '\n==> %s\n' "$*"; }

die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# rustfmt and clippy ship as rustup components; install them if a fresh
# toolchain lacks them (crates.io-independent, from the Rust distribution).
ensure_rust_components() {
  command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
  for c in rustfmt clippy; do
    if ! cargo "${c/rustfmt/fmt}" --version >/dev/null 2>&1; then
      command -v rustup >/dev/null || die "cargo $c missing and no rustup to install it"
      rustup component add "$c"
    fi
  done
  cargo --version
}
