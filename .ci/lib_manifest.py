#!/usr/bin/env python3
"""Writes the library's Cargo.toml without dev-dependencies, targets or workspace, for a
minimal-versions build (dev-dependencies would pull the floor up). Usage: lib_manifest.py IN OUT"""
import json, sys, tomllib

def value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
    return str(v)

src = tomllib.load(open(sys.argv[1], "rb"))
out = []
for table in ("package", "lib", "dependencies", "features"):
    if table in src:
        out.append(f"[{table}]")
        for k, v in src[table].items():
            if isinstance(v, dict) and table == "package":
                continue
            out.append(f"{json.dumps(k)} = {value(v)}")
out.append("[workspace]")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
