"""Bionic's symbol maps (android/bionic-symbols/*.map.txt): what a device's
libc.so, libm.so, libdl.so and liblog.so export at a given API level, under
which version node. The stub generator (scripts/android/sysroot) and the
symbol-version check (scripts/android/check-elf) both read them through this
module, so a library is linked and checked against the same model.

The format is a linker version script with tags in comments:

    LIBC_N { # introduced-arm64=24 introduced-x86=24
      global:
        fread_unlocked; # introduced=28
        __aeabi_memcpy; # arm versioned=24
        in6addr_any; # var introduced=24
    } LIBC;

Rules, as the NDK applies them when it generates its stub libraries:
- an architecture tag (arm, arm64, x86, x86_64, riscv64) limits a symbol or a
  version node to those architectures; none means every architecture;
- `introduced=N` is the first API level that has it; `introduced-<arch>=N`
  overrides it for one architecture (a tag naming no known architecture, such
  as upstream's `introduced-x64_64`, applies to none);
- `versioned=N`: below API N the symbol is exported without a version;
- `var` marks data, `weak` a weak definition;
- `llndk`, `apex`, `systemapi`, `platform-only` and the `*_PRIVATE` and
  `*_PLATFORM` nodes are not part of the NDK's (public) surface; `future` never is.
"""

import re
from pathlib import Path

ARCHES = ("arm", "arm64", "x86", "x86_64", "riscv64")
LIBRARIES = ("libc", "libm", "libdl", "liblog")
# Tags that keep a symbol or node out of what apps may link against.
NON_NDK_TAGS = {"llndk", "apex", "systemapi", "platform-only", "future"}

_HEADER = re.compile(r"^([A-Za-z0-9_]+)\s*\{$")
_FOOTER = re.compile(r"^\}\s*([A-Za-z0-9_]+)?\s*;$")
_SYMBOL = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*;$")


class MapError(Exception):
    pass


class Symbol:
    def __init__(self, name, tags):
        self.name = name
        self.tags = tags

    @property
    def is_var(self):
        return "var" in self.tags

    @property
    def is_weak(self):
        return "weak" in self.tags


class Version:
    def __init__(self, name, tags):
        self.name = name
        self.tags = tags
        self.base = None
        self.symbols = []


def _tags(comment):
    return comment.split() if comment else []


def parse(path):
    """The version nodes of one map file, in file order."""
    versions = []
    current = None
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        code, _, comment = raw.partition("#")
        code = code.strip()
        if not code:
            continue
        where = f"{path}:{number}"
        if current is None:
            m = _HEADER.match(code)
            if not m:
                raise MapError(f"{where}: expected 'NAME {{', got {code!r}")
            current = Version(m.group(1), _tags(comment))
            continue
        if code in ("global:", "local:"):
            continue
        m = _FOOTER.match(code)
        if m:
            current.base = m.group(1)
            versions.append(current)
            current = None
            continue
        if code == "*;":  # the `local: *;` catch-all
            continue
        m = _SYMBOL.match(code)
        if not m:
            raise MapError(f"{where}: expected 'symbol;', got {code!r}")
        current.symbols.append(Symbol(m.group(1), _tags(comment)))
    if current is not None:
        raise MapError(f"{path}: version node {current.name} is not closed")
    return versions


def _in_arch(tags, arch):
    named = [t for t in tags if t in ARCHES]
    return not named or arch in named


def _introduced(tags, arch):
    """The first API level (None: every level). An arch-specific tag wins."""
    level = None
    for tag in tags:
        key, eq, value = tag.partition("=")
        if not eq:
            continue
        if key == "introduced" and level is None:
            level = int(value)
        elif key == f"introduced-{arch}":
            return int(value)
    return level


def _in_api(tags, arch, api):
    level = _introduced(tags, arch)
    return level is None or level <= api


def _public(tags):
    return not NON_NDK_TAGS.intersection(tags)


def _versioned_at(tags, api):
    for tag in tags:
        key, eq, value = tag.partition("=")
        if eq and key == "versioned":
            return api >= int(value)
    return True


class Export:
    """One symbol a device at the given API level and architecture exports."""

    def __init__(self, name, version, is_var, is_weak):
        self.name = name
        # None: exported without a version (a `versioned=N` symbol below N).
        self.version = version
        self.is_var = is_var
        self.is_weak = is_weak


class Surface:
    """What one library exports to NDK code at one API level on one architecture."""

    def __init__(self, library, arch, api, nodes):
        self.library = library
        self.arch = arch
        self.api = api
        # [(version name, base or None, [Export])], nodes with no symbol left out.
        self.nodes = nodes

    def exports(self):
        for _, _, symbols in self.nodes:
            yield from symbols

    def version_names(self):
        return [name for name, _, symbols in self.nodes if any(s.version for s in symbols)]


def surface(map_dir, library, arch, api):
    if arch not in ARCHES:
        raise MapError(f"unknown architecture {arch!r} (have: {', '.join(ARCHES)})")
    nodes = []
    for version in parse(Path(map_dir) / f"{library}.map.txt"):
        if version.name.endswith(("_PRIVATE", "_PLATFORM")):
            continue
        tags = version.tags
        if not (_public(tags) and _in_arch(tags, arch) and _in_api(tags, arch, api)):
            continue
        kept = []
        for s in version.symbols:
            if not (_public(s.tags) and _in_arch(s.tags, arch) and _in_api(s.tags, arch, api)):
                continue
            name = version.name if _versioned_at(s.tags, api) else None
            kept.append(Export(s.name, name, s.is_var, s.is_weak))
        if kept:
            nodes.append((version.name, version.base, kept))
    return Surface(library, arch, api, nodes)
