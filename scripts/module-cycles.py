#!/usr/bin/env python3
"""Lists the module cycles inside each crate of the workspace.

A top-level module of a crate is a file or a folder directly under its `src/` (`src/foo.rs`,
`src/foo/`). Module `a` uses module `b` when a file of `a` names `crate::b::...`, or names an
item that the crate root re-exports from `b` (`crate::Item` with `pub use b::Item` in lib.rs).
A cycle is a strongly connected group of two or more modules; each is printed with the lines
that make its edges, so that it can be broken at the cheapest one.

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


def path_heads(text, start):
    """The first segments of the path (or `{...}` group of paths) that starts at `start`."""
    i = start
    while i < len(text) and text[i].isspace():
        i += 1
    if i < len(text) and text[i] == "{":
        depth, j, item_start, heads = 0, i, i + 1, []
        while j < len(text):
            c = text[j]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            if (c == "," and depth == 1) or depth == 0:
                heads += path_heads(text, item_start)
                item_start = j + 1
                if depth == 0:
                    break
            j += 1
        return heads
    m = IDENT.match(text, i)
    return [m.group(0)] if m else []


def root_reexports(root_text, modules):
    """Maps each name the crate root re-exports (`pub use m::...::Name`) to its module `m`."""
    names = {}
    for m in re.finditer(r"\bpub\s+use\s+(?:crate::)?([A-Za-z_][A-Za-z0-9_]*)::", root_text):
        module = m.group(1)
        if module not in modules:
            continue
        end = root_text.index(";", m.end())
        for leaf in IDENT.findall(re.sub(r"\bas\s+", "", root_text[m.end() : end])):
            names.setdefault(leaf, module)
    return names


def crate_edges(crate):
    src = ROOT / crate / "src"
    root_file = next((src / f for f in ("lib.rs", "main.rs") if (src / f).exists()), None)
    modules = {}
    for path in sorted(src.rglob("*.rs")):
        rel = path.relative_to(src)
        if path == root_file:
            continue
        modules.setdefault(rel.parts[0].removesuffix(".rs"), []).append(path)
    root_text = strip_comments(root_file.read_text()) if root_file else ""
    reexports = root_reexports(root_text, modules)
    edges = {}
    for module, files in modules.items():
        for path in files:
            text = strip_comments(path.read_text())
            for m in re.finditer(r"(?<![$\w])crate::", text):
                line = text.count("\n", 0, m.start()) + 1
                for head in path_heads(text, m.end()):
                    target = head if head in modules else reexports.get(head)
                    if target and target != module:
                        where = f"{path.relative_to(ROOT)}:{line}"
                        edges.setdefault((module, target), []).append(where)
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
