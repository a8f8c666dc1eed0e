"""The implicit limits every form gets before validation: a maximum length for text,
and no unknown fields (hostile input is refused, not stored)."""

from __future__ import annotations

import copy
from typing import Any

from .schema import declared_types

IMPLICIT_MAX_LENGTH = 5000  # characters of a text field that declares no maxLength


def harden(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `schema` with the implicit limits the portal applies to every form.

    - A string field without `maxLength` gets `maxLength: IMPLICIT_MAX_LENGTH`.
    - The root and every object field refuse unknown fields (`unevaluatedProperties:
      false`) unless they declare `additionalProperties`, `unevaluatedProperties` or
      `patternProperties`. `unevaluated` (not `additional`) so fields declared in
      `allOf` or `if/then/else` branches are still accepted.

    Branch schemas (`then`, `allOf`...) are not given the object rule (it would refuse
    the root's fields), and a field re-declared in a branch keeps the root's limit.
    """
    hardened = copy.deepcopy(schema)
    _harden_object_level(hardened, field_position=True, declared=set())
    return hardened


def _harden_object_level(node: Any, *, field_position: bool, declared: set[str]) -> None:
    if not isinstance(node, dict):
        return
    properties = node.get("properties")
    own = set(properties) if isinstance(properties, dict) else set()
    if field_position and isinstance(properties, dict) and not (
        {"additionalProperties", "unevaluatedProperties", "patternProperties"} & set(node)
    ):
        node["unevaluatedProperties"] = False
    if isinstance(properties, dict):
        for name, child in properties.items():
            _harden_field(child, limit=name not in declared)
    for keyword in ("patternProperties",):
        children = node.get(keyword)
        if isinstance(children, dict):
            for child in children.values():
                _harden_field(child, limit=True)
    additional = node.get("additionalProperties")
    if isinstance(additional, dict):
        _harden_field(additional, limit=True)
    defs = node.get("$defs")
    if isinstance(defs, dict):
        for child in defs.values():
            _harden_definition(child)
    branch_declared = declared | own
    for keyword in ("allOf", "anyOf", "oneOf"):
        branches = node.get(keyword)
        if isinstance(branches, list):
            for branch in branches:
                _harden_object_level(branch, field_position=False, declared=branch_declared)
    for keyword in ("if", "then", "else", "not"):
        _harden_object_level(node.get(keyword), field_position=False, declared=branch_declared)
    dependent = node.get("dependentSchemas")
    if isinstance(dependent, dict):
        for branch in dependent.values():
            _harden_object_level(branch, field_position=False, declared=branch_declared)


def _harden_field(node: Any, *, limit: bool) -> None:
    if not isinstance(node, dict):
        return
    kinds = declared_types(node)
    if limit and "$ref" not in node and "maxLength" not in node and (not kinds or "string" in kinds):
        node["maxLength"] = IMPLICIT_MAX_LENGTH
    _harden_object_level(node, field_position=True, declared=set())
    _harden_items(node)


def _harden_items(node: dict[str, Any]) -> None:
    items = node.get("items")
    if isinstance(items, dict):
        _harden_field(items, limit=True)
    prefix = node.get("prefixItems")
    if isinstance(prefix, list):
        for item in prefix:
            _harden_field(item, limit=True)


def _harden_definition(node: Any) -> None:
    # A definition may be used as a whole-object branch (allOf: [{$ref}]), so it gets
    # only the string limit when it plainly is a string, never the object rule.
    if not isinstance(node, dict):
        return
    if "string" in declared_types(node) and "maxLength" not in node and "$ref" not in node:
        node["maxLength"] = IMPLICIT_MAX_LENGTH
    properties = node.get("properties")
    if isinstance(properties, dict):
        for child in properties.values():
            _harden_field(child, limit=True)
    _harden_items(node)
