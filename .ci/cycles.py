#!/usr/bin/env python3
"""Finds import cycles between the files of a crate: file A names an item of file B (through
`use`, or a path such as `crate::x::Y` / `super::Y` in the code) and B names one of A's.
Re-exports are followed to the file that defines the item, so a parent `mod.rs` that only
re-exports its children is not part of a cycle. Test modules (`#[cfg(test)]`) are skipped.

Usage: python3 .ci/cycles.py src [shs-cat/src ...]; exits 1 and prints each cycle found.
"""
import os
import re
import sys

ITEM = re.compile(
    r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+|const\s+|unsafe\s+)*"
    r"(?:struct|enum|trait|fn|type|const|static|mod|macro_rules!|union)\s+([A-Za-z_][A-Za-z0-9_]*)",
    re.M)
USE = re.compile(r"^\s*(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", re.M | re.S)
PATH = re.compile(r"\b((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+)")
CFG_TEST_MOD = re.compile(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*mod\s+([a-z_0-9]+)\s*;")


def strip_comments(text):
    """The code without comments and without inline `#[cfg(test)] mod x { … }` blocks."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*mod\s+\w+\s*\{", text)
        if not m:
            return text
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        text = text[:m.start()] + text[i:]


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e] (aliases dropped: the target counts)."""
    tree = re.sub(r"\s*([:{},])\s*", r"\1", re.sub(r"\s+", " ", tree.strip()))
    m = re.match(r"^(.*?)::\{(.*)\}$", tree)
    if not m:
        return [tree]
    prefix, inner = m.groups()
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    if cur:
        parts.append(cur)
    out = []
    for part in parts:
        if part == "self":
            out.append(prefix)
        else:
            out.extend(f"{prefix}::{p}" for p in expand_use(part))
    return out


def module_files(root):
    """{module path tuple: file}, following `mod x;` from lib.rs/main.rs; test modules skipped."""
    top = next(os.path.join(root, f) for f in ("lib.rs", "main.rs")
               if os.path.exists(os.path.join(root, f)))
    modules, todo = {}, [((), top)]
    while todo:
        path, file = todo.pop()
        modules[path] = file
        text = strip_comments(open(file).read())
        tests = set(CFG_TEST_MOD.findall(text))
        here = os.path.dirname(file)
        stem = os.path.splitext(os.path.basename(file))[0]
        base = here if stem in ("lib", "main", "mod") else os.path.join(here, stem)
        for attr_path, name in re.findall(
                r"(?:#\[path\s*=\s*\"([^\"]+)\"\]\s*)?(?:pub(?:\([^)]*\))?\s+)?mod\s+([a-z_0-9]+)\s*;",
                text):
            if name in tests:
                continue
            if attr_path:
                child = os.path.join(here, attr_path)
            else:
                child = os.path.join(base, name + ".rs")
                if not os.path.exists(child):
                    child = os.path.join(base, name, "mod.rs")
            todo.append((path + (name,), child))
    return modules


def check(root):
    modules = module_files(root)
    texts = {p: strip_comments(open(f).read()) for p, f in modules.items()}
    defined = {p: set(ITEM.findall(t)) for p, t in texts.items()}

    def absolute(mod, path):
        parts = path.split("::")
        if parts[0] == "crate":
            return list(parts[1:])
        cur = list(mod)
        while parts and parts[0] in ("super", "self"):
            if parts.pop(0) == "super":
                cur = cur[:-1]
        return cur + parts

    def local(mod, path):
        """`path` as an absolute module path if it names something of this crate, else None."""
        first = path.split("::")[0]
        if first in ("crate", "super", "self"):
            return absolute(mod, path)
        if mod + (first,) in modules:  # a child module, named relative to this one
            return list(mod) + path.split("::")
        return None

    reexports = {p: {} for p in modules}
    for mod, text in texts.items():
        for _, tree in USE.findall(text):
            for path in expand_use(tree):
                path, _, alias = path.partition(" as ")
                full = local(mod, path)
                if full:
                    reexports[mod][alias or full[-1]] = full

    def resolve(parts, depth=0):
        """The module (file) defining the item `parts`, following re-exports."""
        for cut in range(len(parts), -1, -1):
            mod = tuple(parts[:cut])
            if mod in modules:
                rest = parts[cut:]
                if not rest:
                    return mod
                name = rest[0]
                if name in defined[mod] and (mod + (name,)) not in modules:
                    return mod
                if name in reexports[mod] and depth < 20:
                    return resolve(reexports[mod][name] + rest[1:], depth + 1) or mod
                return mod
        return ()

    edges = {p: set() for p in modules}
    for mod, text in texts.items():
        paths = []
        for _, tree in USE.findall(text):
            paths.extend(p.partition(" as ")[0] for p in expand_use(tree))
        paths.extend(PATH.findall(re.sub(USE, "", text)))
        for path in paths:
            parts = path.split("::")
            if parts[0] in ("super", "self") and len(parts) > 1 and parts[1] in defined[mod]:
                continue  # from an inline module to an item of its own file
            full = local(mod, path)
            if full is None:
                continue
            target = resolve(full)
            if target in modules and target != mod:
                edges[mod].add(target)

    # Tarjan's strongly connected components.
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                sccs.append(scc)

    sys.setrecursionlimit(10000)
    for v in modules:
        if v not in index:
            visit(v)
    for scc in sccs:
        names = sorted(os.path.relpath(modules[m]) for m in scc)
        print(f"{root}: import cycle between {', '.join(names)}")
    return not sccs, len(modules)


ok = True
for root in sys.argv[1:] or ["src"]:
    clean, count = check(root)
    ok &= clean
    if clean:
        print(f"{root}: {count} files, no import cycle")
sys.exit(0 if ok else 1)
