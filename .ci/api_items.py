#!/usr/bin/env python3
"""Lists the crate's public items as users name them (through re-exports), from rustdoc's
JSON, and checks that docs/api.md lists exactly those: every public item has a row there
with a reason, and no row names an item that is gone.

Run from the workspace root: python3 .ci/api_items.py [--print]
Builds the JSON with RUSTC_BOOTSTRAP=1 (rustdoc's JSON output is unstable).
"""
import json
import os
import re
import subprocess
import sys

target = os.environ.get("CARGO_TARGET_DIR", "target")
subprocess.run(
    ["cargo", "rustdoc", "--lib", "--all-features", "--quiet", "--",
     "-Z", "unstable-options", "--output-format", "json"],
    check=True, env={**os.environ, "RUSTC_BOOTSTRAP": "1"})
doc = json.load(open(os.path.join(target, "doc", "secret_handshake.json")))
index = doc["index"]

KINDS = {"struct", "enum", "trait", "function", "constant", "type_alias", "module", "macro",
         "static", "union", "trait_alias"}


def kind(item):
    return next(iter(item["inner"]))


def hidden(item):
    return any("hidden" in str(a) for a in item.get("attrs", []))


found = {}


def walk(module_id, prefix, seen):
    if module_id in seen:
        return
    seen.add(module_id)
    for child in index[module_id]["inner"]["module"]["items"]:
        item = index.get(str(child)) or index.get(child)
        if item is None or hidden(item):
            continue
        k = kind(item)
        if k == "use":
            use = item["inner"]["use"]
            target_id = use.get("id")
            target = index.get(str(target_id)) if target_id is not None else None
            if target is None:  # a re-export of another crate's item
                found[f"{prefix}::{use['name']}" if prefix else use["name"]] = "re-export"
                continue
            if hidden(target):
                continue
            if use["is_glob"]:
                walk(str(target_id), prefix, seen)
                continue
            name, k, item = use["name"], kind(target), target
            child = target_id
        else:
            name = item["name"]
        if k not in KINDS:
            continue
        path = f"{prefix}::{name}" if prefix else name
        if k == "module":
            found[path] = "module"
            walk(str(child), path, seen)
        else:
            found.setdefault(path, k)


walk(str(doc["root"]), "", set())
if "--print" in sys.argv:
    for path, k in sorted(found.items()):
        print(f"{k:11} {path}")
    sys.exit(0)

listed = set()
for line in open("docs/api.md"):
    m = re.match(r"\|\s*`([A-Za-z0-9_:]+)`\s*\|", line)
    if m:
        listed.add(m.group(1))
missing = sorted(set(found) - listed)
stale = sorted(listed - set(found))
for path in missing:
    print(f"docs/api.md: no row for the public item `{path}` ({found[path]})")
for path in stale:
    print(f"docs/api.md: `{path}` is listed but is not public")
if missing or stale:
    sys.exit(1)
print(f"docs/api.md lists the {len(found)} public items")
