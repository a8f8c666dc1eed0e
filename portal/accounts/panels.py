"""Task panels of the alta/baja procedures (registered in AccountsConfig.ready())."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from engine.models import HumanTask

from . import prechecks


def verification_panel(task: HumanTask, instance: Any, user: Any) -> dict[str, Any]:
    """The live pre-checks and the current holder beside the verification checklist; the
    hidden `titular_visto` carries the holder shown, so approving a post whose holder
    changed meanwhile is refused (409) instead of replacing someone the verifier never saw."""
    live = prechecks.live_checks(instance)
    checks = sorted(live["verificaciones"], key=lambda c: {False: 0, True: 1, None: 2}[c["ok"]])
    return {
        "template": "accounts/_verificaciones.html",
        "context": {"verificaciones": checks, "titular": live["titular"],
                    "fallan": sum(1 for c in checks if c["ok"] is False)},
        "initial": {"titular_visto": live["titular_visto"]},
        "api": live,
    }


def handover_panel(task: HumanTask, instance: Any, user: Any) -> dict[str, Any]:
    """The printable acta de entrega for the hand-over step."""
    url = reverse("acta_entrega", args=[instance.pk])
    return {"template": "accounts/_entrega.html", "context": {"acta_url": url}, "api": {"acta_url": url}}
