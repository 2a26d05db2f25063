#!/usr/bin/env python3
"""Lists the module cycles inside each crate of the workspace, at every level.

A level is the crate root, or a module with a folder (`src/store/`, beside `src/store.rs` or
holding `mod.rs`). The modules of a level are the files and folders directly in it
(`src/foo.rs`, `src/foo/`; `store::sqlite` inside `src/store/`), the level's root file aside
(`lib.rs`, `store/mod.rs`). Module `a` uses its sibling `b` when a file of `a` names `b` by a
path from `crate::`, `self::` or `super::` (`crate::b::...`, `super::b::...`), or names an item
that the level's root file re-exports from `b` (`crate::Item` with `pub use b::Item` in lib.rs).
What a module names of its level's root file (`super::Item` defined in `store/mod.rs`) is no
edge: the root is the level's facade. A cycle is a strongly connected group of two or more
modules of one level; each is printed with the lines that make its edges, so that it can be
broken at the cheapest one. `make test` runs it: a new cycle fails the build.

    python3 scripts/module-cycles.py                 # every crate; exits 1 when any has a cycle
    python3 scripts/module-cycles.py crates/server   # one crate
    python3 scripts/module-cycles.py --edges crates/desktop   # every edge, cycle or not
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATES = sorted(str(p.parent.relative_to(ROOT)) for p in ROOT.glob("crates/*/src")) + [
    "src-tauri",
    "tests",
]

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def strip_comments(text):
    """Blanks out `//` comments and `/* */` blocks, keeping line numbers."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def paths_at(text, start):
    """The segments of the path (or of each path of a `{...}` group) that starts at `start`,
    up to its first non-name segment (`*`, generics, a call): `a::{b::C, d}` is
    `[[a, b, C], [a, d]]`; a `self` in a group stands for the path before it."""
    i = start
    while i < len(text) and text[i].isspace():
        i += 1
    if i < len(text) and text[i] == "{":
        depth, j, item_start, paths = 0, i, i + 1, []
        while j < len(text):
            c = text[j]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            if (c == "," and depth == 1) or depth == 0:
                paths += paths_at(text, item_start)
                item_start = j + 1
                if depth == 0:
                    break
            j += 1
        return paths
    m = IDENT.match(text, i)
    if not m:
        return [[]]
    head = [] if m.group(0) == "self" else [m.group(0)]
    j = m.end()
    while j < len(text) and text[j].isspace():
        j += 1
    if text.startswith("::", j):
        return [head + rest for rest in paths_at(text, j + 2)]
    return [head]


def file_module(src, path):
    """The module path of a file under `src`: `a/b.rs` and `a/b/mod.rs` are `[a, b]`."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "mod" or (len(parts) == 1 and parts[0] in ("lib", "main")):
        parts.pop()
    return parts


def inline_modules(text):
    """The inline `mod name { ... }` blocks of a file: (start, end, name)."""
    blocks = []
    for m in re.finditer(r"\bmod\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{", text):
        depth, j = 0, m.end() - 1
        while j < len(text):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        blocks.append((m.start(), j, m.group(1)))
    return blocks


def references(src, path, text):
    """Each path the file names from `crate::`, `self::` or `super::`, as (line, absolute
    segments from the crate root)."""
    module = file_module(src, path)
    blocks = inline_modules(text)
    for m in re.finditer(r"(?<![$\w:])(crate|self|super)((?:\s*::\s*super)*)\s*::", text):
        if m.group(1) == "crate":
            base = []
        else:
            base = module + [name for (a, b, name) in blocks if a < m.start() < b]
            ups = (m.group(1) == "super") + m.group(2).count("super")
            if ups > len(base):
                continue
            base = base[: len(base) - ups]
        line = text.count("\n", 0, m.start()) + 1
        for rest in paths_at(text, m.end()):
            yield line, base + rest


def reexports(root_text, prefix, children):
    """Maps each name the root file of a level re-exports (`pub use child::...::Name`, or
    `pub(crate) use`, written from `crate::`, `self::` or the child) to its child."""
    names = {}
    anchors = ["crate::" + "::".join(prefix + [""]) if prefix else "(?:crate::)?", "self::"]
    anchor = "(?:" + "|".join(a.replace("::", r"\s*::\s*") for a in anchors) + ")?"
    pattern = r"\bpub(?:\s*\([^)]*\))?\s+use\s+" + anchor + r"([A-Za-z_][A-Za-z0-9_]*)\s*::"
    for m in re.finditer(pattern, root_text):
        child = m.group(1)
        if child not in children:
            continue
        end = root_text.index(";", m.end())
        for leaf in IDENT.findall(re.sub(r"\bas\s+", "", root_text[m.end() : end])):
            names.setdefault(leaf, child)
    return names


def level_root(src, prefix):
    """The file that declares the children of the module at `prefix` (the crate root for `[]`)."""
    if not prefix:
        return next((src / f for f in ("lib.rs", "main.rs") if (src / f).exists()), None)
    folder = src.joinpath(*prefix)
    for candidate in (folder / "mod.rs", folder.with_suffix(".rs")):
        if candidate.exists():
            return candidate
    return None


def crate_edges(crate):
    """The modules of every level of the crate and the edges between modules of one level.

    A level is the crate root or a module with a folder (`src/store/`): its modules are the
    files and folders directly in it, named by their path from the crate root (`store::sqlite`).
    Module `a` of a level uses its sibling `b` when a file of `a` names `b` by a path from
    `crate::`, `self::` or `super::`, or names an item the level's root file (`lib.rs`,
    `store/mod.rs`, `webhooks.rs`) re-exports from `b`."""
    src = ROOT / crate / "src"
    files = {path: strip_comments(path.read_text()) for path in sorted(src.rglob("*.rs"))}
    refs = {path: list(references(src, path, text)) for path, text in files.items()}
    levels = [[]] + sorted(list(d.relative_to(src).parts) for d in src.rglob("*") if d.is_dir())
    modules, edges = [], {}
    for prefix in levels:
        root_file = level_root(src, prefix)
        folder = src.joinpath(*prefix)
        children = {}
        for path in files:
            if path == root_file or path.parent.parts[: len(folder.parts)] != folder.parts:
                continue
            rel = path.relative_to(folder)
            if rel.parts[0] == "mod.rs" and len(rel.parts) == 1:
                continue
            children.setdefault(rel.parts[0].removesuffix(".rs"), []).append(path)
        if len(children) < 2:
            continue
        names = reexports(files[root_file], prefix, children) if root_file else {}
        label = lambda child: "::".join(prefix + [child])
        modules += [label(c) for c in children]
        for child, paths in children.items():
            for path in paths:
                for line, segments in refs[path]:
                    if segments[: len(prefix)] != prefix or len(segments) <= len(prefix):
                        continue
                    head = segments[len(prefix)]
                    target = head if head in children else names.get(head)
                    if target and target != child:
                        where = f"{path.relative_to(ROOT)}:{line}"
                        places = edges.setdefault((label(child), label(target)), [])
                        if where not in places:
                            places.append(where)
    return sorted(modules), edges


def cycles(modules, edges):
    """Strongly connected components of two or more modules (Tarjan)."""
    graph = {m: sorted({b for (a, b) in edges if a == m}) for m in modules}
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for m in modules:
        if m not in index:
            visit(m)
    return found


def main(argv):
    show_edges = "--edges" in argv
    crates = [a.rstrip("/") for a in argv if not a.startswith("--")] or CRATES
    total = 0
    for crate in crates:
        modules, edges = crate_edges(crate)
        if show_edges:
            for (a, b), places in sorted(edges.items()):
                print(f"{crate}: {a} -> {b}  ({places[0]}{' +%d' % (len(places) - 1) if len(places) > 1 else ''})")
        groups = cycles(modules, edges)
        total += len(groups)
        if not groups:
            print(f"{crate}: no cycles")
        for group in groups:
            print(f"{crate}: cycle among {', '.join(group)}")
            for (a, b), places in sorted(edges.items()):
                if a in group and b in group:
                    print(f"    {a} -> {b}: {', '.join(places)}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
