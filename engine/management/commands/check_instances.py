"""Check that every unfinished instance's stored state, task rows and audit agree.

    python manage.py check_instances              # every unfinished instance
    python manage.py check_instances --instance 5 --instance 8

Prints one line per disagreement (an English code, a Spanish sentence) and a summary;
exits 1 when any instance disagrees, 0 otherwise. Read-only: it changes nothing, so
operators can run it at any time, e.g. after a crash or a restore (docs/engine.md).
Each instance is read from one snapshot (`engine.consistency.snapshot`), so a worker
committing steps meanwhile cannot make a disagreement appear."""

from __future__ import annotations

from typing import Any

from django.core.management import BaseCommand, CommandError
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from engine.consistency import check_instance_id, unfinished_instance_ids


class Command(BaseCommand):
    help = "Check that unfinished instances' state, task rows and audit agree (exit 1 if not)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--instance", type=int, action="append", default=[],
                            help="check only this instance (repeatable)")

    def handle(self, *, instance: list[int], **options: Any) -> None:
        checked = 0
        bad: list[int] = []
        for instance_id in unfinished_instance_ids(instance):
            inst, problems = check_instance_id(instance_id)
            if inst is None:  # finished since it was listed: nothing left to agree
                continue
            checked += 1
            if not problems:
                continue
            bad.append(inst.pk)
            for problem in problems:
                self.stdout.write(_("Instancia N.° %(pk)s (%(key)s v%(version)s, %(status)s): %(problem)s") % {
                    "pk": inst.pk, "key": inst.definition.key, "version": inst.definition.version,
                    "status": inst.status, "problem": problem})
        summary = _("%(checked)s instancias sin terminar revisadas; %(bad)s con desacuerdos.") % {
            "checked": checked, "bad": len(bad)}
        english = f"{checked} unfinished instance(s) checked; {len(bad)} disagree."
        if bad:
            raise CommandError(f"{summary} / {english} " + _("Instancias: %(list)s") % {
                "list": ", ".join(str(pk) for pk in bad)}, returncode=1)
        self.stdout.write(f"{summary} / {english}")
