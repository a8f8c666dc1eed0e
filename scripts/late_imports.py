"""Function-level imports in the given packages, and whether each one dodges a circle.

For every `import` inside a function (or method) of a module under the given package
directories, resolve the imported module and check whether it imports, at module level
and transitively, the importing module back: then the late import exists only to dodge
an import circle. The graph is built over engine/ and portal/ with module-level imports
(TYPE_CHECKING blocks ignored: they are not run) and every other function-level import
counted as if hoisted, so two modules that import each other late both show.

Usage: python scripts/late_imports.py portal/schemaforms portal/accounts portal/notify
(run from the repository root; exit status 1 when an import dodges a circle).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOTS = ("engine", "portal")


def module_name(path: Path) -> str:
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve(current: str, is_package: bool, node: ast.ImportFrom | ast.Import) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = current if is_package else current.rpartition(".")[0]
    for _ in range(max(node.level - 1, 0)):
        base = base.rpartition(".")[0]
    prefix = (base + "." + node.module if node.module else base) if node.level else (node.module or "")
    # `from pkg import sub` may name a submodule
    return [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def module_level_imports(tree: ast.Module):
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and not is_type_checking(node):
            stack.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            stack.extend(node.body + node.orelse + node.finalbody + [h for x in node.handlers for h in x.body])


def function_imports(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for child in ast.walk(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    yield node.name, child


def main(packages: list[str]) -> int:
    files = {module_name(p): p for root in ROOTS for p in Path(root).rglob("*.py") if "migrations" not in p.parts}
    graph: dict[str, set[str]] = {}  # module-level imports
    late_graph: dict[str, set[str]] = {}  # function-level imports
    trees = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        trees[name] = tree
        targets: set[str] = set()
        for node in module_level_imports(tree):
            for target in resolve(name, path.name == "__init__.py", node):
                if target in files:
                    targets.add(target)
        # importing a.b.c runs a/__init__ and a/b/__init__ too
        for target in list(targets):
            parts = target.split(".")
            for i in range(1, len(parts)):
                if ".".join(parts[:i]) in files:
                    targets.add(".".join(parts[:i]))
        graph[name] = targets
        late: set[str] = set()
        for _function, node in function_imports(tree):
            late.update(t for t in resolve(name, path.name == "__init__.py", node) if t in files)
        late_graph[name] = late

    def reaches(start: str, goal: str) -> list[str] | None:
        seen, stack = {start}, [(start, [start])]
        while stack:
            node, way = stack.pop()
            if node == goal:
                return way
            for nxt in graph.get(node, set()) | late_graph.get(node, set()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*way, nxt]))
        return None

    circles = other = 0
    for name, path in sorted(files.items()):
        if not any(str(path).startswith(pkg.rstrip("/") + "/") for pkg in packages):
            continue
        for function, node in function_imports(trees[name]):
            found = [t for t in resolve(name, path.name == "__init__.py", node) if t in files]
            where = f"{path}:{node.lineno} in {function}()"
            label = ", ".join(sorted(set(found))) or (node.module if isinstance(node, ast.ImportFrom) else
                                                         ", ".join(a.name for a in node.names))
            cycle = next((way for t in found if (way := reaches(t, name))), None)
            if cycle:
                circles += 1
                print(f"CIRCLE  {where}: {label}  ({' -> '.join(cycle)} -> back)")
            else:
                other += 1
                print(f"ok      {where}: {label}")
    print(f"\n{circles} function-level import(s) dodging a circle, {other} other(s)")
    return 1 if circles else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["portal/schemaforms", "portal/accounts", "portal/notify"]))
