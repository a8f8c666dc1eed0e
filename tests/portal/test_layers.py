"""The portal's dependency direction, as docs/architecture.md draws it (issue 10).

Every module belongs to a layer; it may import its own app and the layers below its
own, never above. The HTTP plumbing (portal.shared.http, portal.api) is for the apps'
HTTP modules only (views, api, urls, serializers, presenters, context processors).
Imports inside functions count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)

# Longest prefix wins. Next apps slot in above the ones they use (certificates, public,
# support, designer, cla above work; see docs/architecture.md).
LAYERS = {
    "portal.shared": 0,
    "portal.core": 0,
    "portal.schemaforms": 1,
    "portal.notify": 1,
    "portal.orgs": 2,
    "portal.work": 4,
    "portal.accounts": 5,
}
# Composition: wires everything together (the router and the project's own modules).
COMPOSITION = ("portal", "portal.api.urls", "portal.urls", "portal.settings", "portal.wsgi")
WEB_PLUMBING = ("portal.shared.http", "portal.api")
WEB_LAYER = 3  # the plumbing itself uses orgs (the user's scope) and below
HTTP_MODULES = ("views", "api", "urls", "serializers", "presenters", "context_processors")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _match(name: str, table: dict[str, int]) -> str | None:
    best = None
    for prefix in table:
        if (name == prefix or name.startswith(prefix + ".")) and (best is None or len(prefix) > len(best)):
            best = prefix
    return best


def layer(name: str) -> int | None:
    if name in COMPOSITION:
        return 9
    if any(name == p or name.startswith(p + ".") for p in WEB_PLUMBING):
        return WEB_LAYER
    found = _match(name, LAYERS)
    return LAYERS[found] if found else None


def app_of(name: str) -> str:
    return ".".join(name.split(".")[:2])


def is_http_module(name: str) -> bool:
    return any(part in HTTP_MODULES for part in name.split(".")[2:])


def imports(source: str, current: str, *, is_package: bool) -> list[str]:
    found = []
    package = current if is_package else current.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rpartition(".")[0]
            module = (f"{base}.{node.module}" if node.module else base) if node.level else (node.module or "")
            found.append(module)
            found += [f"{module}.{a.name}" for a in node.names]  # `from pkg import submodule`
    return [name for name in found if name.startswith("portal.")]


def portal_modules() -> dict[str, tuple[str, bool]]:
    """module name → (source, is a package) for every portal module but migrations."""
    return {module_name(path): (path.read_text(encoding="utf-8"), path.name == "__init__.py")
            for path in sorted((ROOT / "portal").rglob("*.py")) if "migrations" not in path.parts}


def violations(modules: dict[str, tuple[str, bool]]) -> list[str]:
    wrong = []
    for current, (source, is_package) in modules.items():
        mine = layer(current)
        assert mine is not None, f"{current} has no layer: add its app to LAYERS and docs/architecture.md"
        for target in imports(source, current, is_package=is_package):
            if app_of(target) == app_of(current) and not any(
                    target.startswith(p) or current.startswith(p) for p in (*WEB_PLUMBING, *COMPOSITION[1:])):
                continue
            theirs = layer(target)
            if theirs is None:
                continue  # a name imported from a module (`from portal.x import name`)
            plumbing = theirs == WEB_LAYER and any(target.startswith(p) for p in WEB_PLUMBING)
            if plumbing and mine != WEB_LAYER and mine < 9 and not is_http_module(current):
                wrong.append(f"{current} imports the HTTP plumbing {target} (only views/api/urls may)")
            elif theirs > mine and not (plumbing and is_http_module(current)):
                wrong.append(f"{current} (layer {mine}) imports {target} (layer {theirs})")
    return sorted(set(wrong))


def test_no_portal_module_imports_a_layer_above_its_own():
    """shared/core ← schemaforms, notify ← orgs ← HTTP plumbing ← work ← accounts ← composition."""
    assert violations(portal_modules()) == []


def test_the_layer_check_notices_an_upward_import():
    """The check can fail: orgs importing work, or a service importing the HTTP plumbing."""
    probes = {
        "portal.orgs.probe": ("from portal.work import services\n", False),
        "portal.work.probe": ("from portal.shared.http import paginate\n", False),
        "portal.work.views.probe": ("from portal.shared.http import paginate\n", False),
    }
    found = violations(probes)
    assert any(v.startswith("portal.orgs.probe (layer 2) imports portal.work") for v in found)
    assert any(v.startswith("portal.work.probe imports the HTTP plumbing") for v in found)
    assert not any(v.startswith("portal.work.views.probe") for v in found)
