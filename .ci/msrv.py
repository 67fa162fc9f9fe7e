#!/usr/bin/env python3
"""Checks that every normal (non-dev) dependency of the library in Cargo.lock declares a
rust-version no newer than ours: what cargo's MSRV-aware resolver would pick for a user.

Run from the workspace root: python3 .ci/msrv.py
"""
import json
import subprocess
import sys


def version(text):
    return tuple(int(x) for x in text.split("."))


meta = json.loads(subprocess.check_output(
    ["cargo", "metadata", "--format-version", "1", "--all-features", "--locked"]))
packages = {p["id"]: p for p in meta["packages"]}
root = next(p for p in meta["packages"] if p["name"] == "secret-handshake")
msrv = version(root["rust_version"])
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}

# Walk the normal and build dependency edges from the library.
seen, todo = set(), [root["id"]]
while todo:
    node = nodes[todo.pop()]
    for dep in node["deps"]:
        kinds = {k["kind"] for k in dep["dep_kinds"]}
        if kinds - {"dev"} and dep["pkg"] not in seen:
            seen.add(dep["pkg"])
            todo.append(dep["pkg"])

too_new = []
for pkg_id in sorted(seen):
    p = packages[pkg_id]
    if p["rust_version"] and version(p["rust_version"]) > msrv:
        too_new.append(f'{p["name"]} {p["version"]} needs {p["rust_version"]}')
print(f"msrv: {len(seen)} normal dependencies checked against rust-version {root['rust_version']}")
if too_new:
    print("msrv: newer than the crate's rust-version:\n  " + "\n  ".join(too_new))
    sys.exit(1)
