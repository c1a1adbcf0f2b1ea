#!/usr/bin/env bash
# Installs the third-party OHTTP peers that rust/cli/tests/interop.rs runs
# Hush against: the crates.io `ohttp-relay` (the payjoin project's) and
# `ohttp-gateway`, at pinned versions, with `cargo install --locked`, into a
# directory the project owns (default target/interop-peers/, under the
# gitignored target/). Once installed they are reused; an install that fails
# stops here, loudly: the interop tests are never skipped.
#
# Usage: scripts/lib/interop-peers.sh [DIR]
# Debug builds: they compile about twice as fast, and the tests only need
# the peers to behave, not to be fast.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/env.sh

OHTTP_RELAY_VERSION=0.0.11
OHTTP_GATEWAY_VERSION=1.0.2
root="${1:-target/interop-peers}"
mkdir -p "$root"

# ohttp-gateway's HTTP client (reqwest with native-tls) links OpenSSL.
ensure_openssl_headers() {
  if command -v pkg-config >/dev/null && pkg-config --exists openssl; then
    return
  fi
  command -v apt-get >/dev/null ||
    die "ohttp-gateway needs OpenSSL's headers and pkg-config (Debian: libssl-dev pkg-config)"
  local sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  echo "installing libssl-dev and pkg-config (apt) for ohttp-gateway"
  "${sudo[@]}" apt-get install -y --no-install-recommends libssl-dev pkg-config ||
    die "apt-get install libssl-dev pkg-config failed (ohttp-gateway needs them)"
}

# install CRATE VERSION: unless that version's binary is there already.
install_peer() {
  local crate=$1 version=$2
  if [[ -x "$root/bin/$crate" ]] &&
    grep -q "^\"$crate $version " "$root/.crates.toml" 2>/dev/null; then
    echo "$crate $version: cached in $root"
    return
  fi
  echo "$crate $version: cargo install --locked (first run only)"
  cargo install --locked --debug --quiet --root "$root" --version "$version" "$crate" ||
    die "cargo install $crate $version failed"
  [[ -x "$root/bin/$crate" ]] || die "cargo install $crate left no $root/bin/$crate"
}

install_peer ohttp-relay "$OHTTP_RELAY_VERSION"
ensure_openssl_headers
install_peer ohttp-gateway "$OHTTP_GATEWAY_VERSION"
