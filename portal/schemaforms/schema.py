"""Reading JSON Schema documents the way the forms use them.

Helpers shared by the loader, the validator and the renderer: walking every subschema,
following local `$ref`s, collecting the fields of an object (including those declared in
`allOf` / `if-then-else` branches) and the options of a choice field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

# Keywords whose value is a map of name -> subschema.
SCHEMA_MAP_KEYWORDS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
# Keywords whose value is one subschema.
SCHEMA_KEYWORDS = (
    "items", "additionalItems", "additionalProperties", "unevaluatedProperties", "unevaluatedItems",
    "contains", "propertyNames", "not", "if", "then", "else",
)
# Keywords whose value is a list of subschemas.
SCHEMA_LIST_KEYWORDS = ("allOf", "anyOf", "oneOf", "prefixItems")
# Branches that apply to the same object as the schema holding them.
BRANCH_KEYWORDS = ("allOf", "anyOf", "oneOf", "then", "else")

MAX_REF_DEPTH = 20


def iter_subschemas(schema: Any, pointer: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (JSON pointer, subschema) for the schema and every dict subschema in it."""
    if not isinstance(schema, dict):
        return
    yield pointer, schema
    for keyword in SCHEMA_MAP_KEYWORDS:
        children = schema.get(keyword)
        if isinstance(children, dict):
            for name, child in children.items():
                yield from iter_subschemas(child, f"{pointer}/{keyword}/{_escape(str(name))}")
    for keyword in SCHEMA_KEYWORDS:
        yield from iter_subschemas(schema.get(keyword), f"{pointer}/{keyword}")
    for keyword in SCHEMA_LIST_KEYWORDS:
        children = schema.get(keyword)
        if isinstance(children, list):
            for index, child in enumerate(children):
                yield from iter_subschemas(child, f"{pointer}/{keyword}/{index}")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def resolve(node: Any, root: dict[str, Any]) -> dict[str, Any]:
    """The subschema with its local `$ref` ("#/$defs/x") merged in; the node's own keys win.

    Remote references are left alone (the loader refuses nothing here; jsonschema would
    fail on them at validation time). Returns {} for a non-dict node (`true` schemas).
    """
    if not isinstance(node, dict):
        return {}
    result = dict(node)
    depth = 0
    while isinstance(result.get("$ref"), str) and result["$ref"].startswith("#") and depth < MAX_REF_DEPTH:
        target = _pointer(root, result.pop("$ref"))
        if not isinstance(target, dict):
            break
        result = {**target, **result}
        depth += 1
    return result


def _pointer(root: dict[str, Any], ref: str) -> Any:
    node: Any = root
    path = ref[1:].lstrip("/")
    if not path:
        return root
    for token in path.split("/"):
        token = _unescape(token)
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def declared_types(node: dict[str, Any]) -> list[str]:
    kind = node.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [k for k in kind if isinstance(k, str)]
    return []


def primary_type(node: dict[str, Any], root: dict[str, Any] | None = None) -> str | None:
    """The type a field holds: its declared type (ignoring "null"), else inferred from options."""
    kinds = [k for k in declared_types(node) if k != "null"]
    if kinds:
        return kinds[0]
    values = [value for value, _label in (choice_options(node, root or {}) or [])]
    if values and all(isinstance(v, bool) for v in values):
        return "boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "integer"
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "number"
    if values and all(isinstance(v, str) for v in values):
        return "string"
    if "properties" in node:
        return "object"
    if "items" in node:
        return "array"
    return None


def choice_options(node: dict[str, Any], root: dict[str, Any]) -> list[tuple[Any, str]] | None:
    """[(value, label)] for `enum`, or for `oneOf`/`anyOf` made only of `{"const", "title"}`.

    None when the node is not a choice. Boolean values are labelled "Sí"/"No".
    """
    if isinstance(node.get("enum"), list):
        return [(value, _plain_label(value)) for value in node["enum"]]
    for keyword in ("oneOf", "anyOf"):
        branches = node.get(keyword)
        if isinstance(branches, list) and branches:
            resolved = [resolve(branch, root) for branch in branches]
            if all("const" in branch for branch in resolved):
                return [
                    (branch["const"], str(branch.get("title") or _plain_label(branch["const"])))
                    for branch in resolved
                ]
    return None


def _plain_label(value: Any) -> str:
    if value is True:
        return _("Sí")
    if value is False:
        return _("No")
    if value is None:
        return ""
    return str(value)


def option_value(value: Any) -> str:
    """How a choice value is written in HTML (and read back by coerce_post)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def value_label(node: dict[str, Any], root: dict[str, Any], value: Any) -> str:
    """A human label for a stored value: option title, "Sí"/"No", or the value itself."""
    if value is None:
        return ""
    if isinstance(value, list):
        items = resolve(node.get("items"), root)
        return ", ".join(value_label(items, root, item) for item in value)
    for option, label in choice_options(node, root) or []:
        if option == value and type(option) is type(value):
            return label
    return _plain_label(value)


def object_fields(node: dict[str, Any], root: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields of an object schema, in declaration order, with `$ref`s resolved.

    Fields declared in branches (`allOf`, `if/then/else`, `dependentSchemas`...) are
    included after the object's own `properties`; when a field is declared twice, the
    first declaration wins and later ones only add the keywords it lacks.
    """
    fields: dict[str, dict[str, Any]] = {}
    _collect_fields(resolve(node, root), root, fields, depth=0)
    return fields


def _collect_fields(node: dict[str, Any], root: dict[str, Any], fields: dict[str, dict[str, Any]],
                    depth: int) -> None:
    if depth > MAX_REF_DEPTH:
        return
    properties = node.get("properties")
    if isinstance(properties, dict):
        for name, child in properties.items():
            resolved = resolve(child, root)
            if name in fields:
                fields[name] = {**resolved, **fields[name]}
            else:
                fields[name] = resolved
    branches: list[Any] = []
    for keyword in BRANCH_KEYWORDS:
        value = node.get(keyword)
        branches.extend(value if isinstance(value, list) else [value])
    dependent = node.get("dependentSchemas")
    if isinstance(dependent, dict):
        branches.extend(dependent.values())
    for branch in branches:
        if isinstance(branch, dict):
            _collect_fields(resolve(branch, root), root, fields, depth + 1)


def is_object_field(node: dict[str, Any]) -> bool:
    return primary_type(node) == "object" and isinstance(node.get("properties"), dict)


def is_document_field(node: dict[str, Any]) -> bool:
    return node.get("format") == "document"
