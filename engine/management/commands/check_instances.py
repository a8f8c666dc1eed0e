"""Check that every unfinished instance's stored state, task rows and audit agree.

    python manage.py check_instances              # every unfinished instance
    python manage.py check_instances --instance 5 --instance 8

Prints one line per disagreement (an English code, a Spanish sentence) and a summary;
exits 1 when any instance disagrees, 0 otherwise. Read-only: it changes nothing, so
operators can run it at any time, e.g. after a crash or a restore (docs/engine.md)."""

from __future__ import annotations

from typing import Any

from django.core.management import BaseCommand, CommandError
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from engine.consistency import FINISHED_STATUSES, check_instance, unfinished_instances
from engine.models import ProcessInstance


class Command(BaseCommand):
    help = "Check that unfinished instances' state, task rows and audit agree (exit 1 if not)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--instance", type=int, action="append", default=[],
                            help="check only this instance (repeatable)")

    def handle(self, *, instance: list[int], **options: Any) -> None:
        instances = (ProcessInstance.objects.filter(pk__in=instance).exclude(status__in=FINISHED_STATUSES)
                     .select_related("definition").order_by("pk") if instance else unfinished_instances())
        checked = 0
        bad: list[int] = []
        for inst in instances:
            checked += 1
            problems = check_instance(inst)
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
