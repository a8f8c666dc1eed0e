"""Plugs the portal into the engine's registries (lane resolver, forms, services)."""


def register() -> None:
    pass
