from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import BaseCommand, CommandError
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from engine.conf import engine_settings
from engine.errors import DeploymentError
from engine.services import deploy_directory


class Command(BaseCommand):
    help = "Deploy every BPMN file under processes/ (unchanged files deploy nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", nargs="?", default=None)

    def handle(self, *, directory: str | None, **options: Any) -> None:
        path = Path(directory) if directory else Path(engine_settings()["PROCESSES_DIR"])
        if not path.is_dir():
            raise CommandError(_("No existe la carpeta %(path)s") % {"path": path})
        try:
            results = deploy_directory(directory=path)
        except DeploymentError as exc:
            raise CommandError(
                _("No se desplegó nada:") + "\n" + "\n".join(f"  - {p}" for p in exc.problems)
            ) from exc
        for r in results:
            verb = "deployed" if r.created else "unchanged"
            self.stdout.write(f"{r.key} v{r.version}: {verb}")
            for warning in r.warnings:
                self.stdout.write(self.style.WARNING(f"  {_('aviso')}: {warning}"))
        if not results:
            self.stdout.write("No BPMN files found.")
