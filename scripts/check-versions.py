#!/usr/bin/env python3
"""One version number for every package m2m-auth ships.

The workspace's `[workspace.package] version` (Cargo.toml) is the version of
the project. This checks that every place a package states a version agrees
with it: the crates (and the CLI's requirements on the engine and the dev
server, which crates.io resolves), the Python package (maturin takes its
version from the crate: `dynamic = ["version"]`), the npm packages (m2m-auth,
its lock file, every platform package in node/npm/ and the
optionalDependencies naming them), the C header's M2M_AUTH_VERSION macros, the
C install's pkg-config and CMake files when they carry a literal, and the
newest CHANGELOG.md entry. `make test-packages` runs it; the release workflow
runs it with `--tag vX.Y.Z` to check the tag too.

Usage: scripts/check-versions.py [--tag vX.Y.Z]
Prints one line per place checked and exits 1 on any mismatch.
"""

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def workspace_version() -> str:
    data = tomllib.loads((ROOT / "Cargo.toml").read_text())
    return data["workspace"]["package"]["version"]


def crate_versions(want: str):
    """Every workspace member uses the workspace version; path dependencies
    between published crates carry the same version requirement."""
    members = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["members"]
    for member in members:
        path = ROOT / member / "Cargo.toml"
        data = tomllib.loads(path.read_text())
        pkg = data["package"]
        version = pkg.get("version")
        if isinstance(version, dict) and version.get("workspace"):
            version = want
        yield f"{member}/Cargo.toml", version
        for section in ("dependencies", "build-dependencies"):
            for name, spec in data.get(section, {}).items():
                if isinstance(spec, dict) and "path" in spec and "version" in spec:
                    req = spec["version"].lstrip("=^~")
                    yield f"{member}/Cargo.toml {section}.{name}", req


def python_versions(want: str):
    data = tomllib.loads((ROOT / "python/pyproject.toml").read_text())
    project = data["project"]
    if "version" in project:
        yield "python/pyproject.toml", project["version"]
    else:
        dynamic = "version" in project.get("dynamic", [])
        # maturin fills a dynamic version in from the crate (the workspace's).
        yield "python/pyproject.toml (dynamic, from the crate)", want if dynamic else None


def node_versions():
    node = ROOT / "node"
    pkg = json.loads((node / "package.json").read_text())
    yield "node/package.json", pkg["version"]
    for name, spec in sorted(pkg.get("optionalDependencies", {}).items()):
        if name.startswith("@m2m-auth/"):
            yield f"node/package.json optionalDependencies.{name}", spec.lstrip("=^~")
    lock = json.loads((node / "package-lock.json").read_text())
    yield "node/package-lock.json", lock.get("version")
    yield "node/package-lock.json packages['']", lock["packages"][""].get("version")
    for platform in sorted((node / "npm").glob("*/package.json")) if (node / "npm").is_dir() else []:
        yield str(platform.relative_to(ROOT)), json.loads(platform.read_text())["version"]


def c_versions():
    header = (ROOT / "include/m2m_auth.h").read_text()
    m = re.search(r'#define M2M_AUTH_VERSION "([^"]+)"', header)
    yield "include/m2m_auth.h M2M_AUTH_VERSION", m.group(1) if m else None
    parts = [
        re.search(rf"#define M2M_AUTH_VERSION_{p} (\d+)", header) for p in ("MAJOR", "MINOR", "PATCH")
    ]
    joined = ".".join(x.group(1) for x in parts) if all(parts) else None
    yield "include/m2m_auth.h M2M_AUTH_VERSION_MAJOR/MINOR/PATCH", joined
    # Install templates are filled from the crate's version; a literal one
    # (a hand-edited file) must agree.
    for path in sorted((ROOT / "bindings/c").rglob("*.in")) + sorted((ROOT / "bindings/c").rglob("*.cmake")):
        for line in path.read_text().splitlines():
            m = re.match(r"^\s*(?:Version:|set\(PACKAGE_VERSION)\s*\"?(\d+\.\d+\.\d+)", line)
            if m:
                yield f"{path.relative_to(ROOT)}", m.group(1)


def changelog_version():
    text = (ROOT / "CHANGELOG.md").read_text()
    m = re.search(r"^## \[(\d+\.\d+\.\d+[^\]]*)\]", text, re.M)
    yield "CHANGELOG.md (newest entry)", m.group(1) if m else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", help="a release tag, vX.Y.Z, that must match too")
    args = parser.parse_args()
    want = workspace_version()
    places = [("Cargo.toml [workspace.package]", want)]
    for source in (crate_versions(want), python_versions(want), node_versions(), c_versions(), changelog_version()):
        places.extend(source)
    if args.tag:
        places.append((f"tag {args.tag}", args.tag.removeprefix("v")))
    bad = 0
    for place, version in places:
        ok = version == want
        bad += not ok
        print(f"{'ok ' if ok else 'BAD'} {version or '(none)':<10} {place}")
    print(f"check-versions: {len(places)} places, {bad} disagree with {want}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
