"""Creates (or restores) the demo data of every app (see portal.core.demo). Idempotent."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.core.demo import demo_password, demo_seed


class Command(BaseCommand):
    help = (
        "Create or restore the demo data: MINEDU and its offices, the 26 DRE/GRE, some UGELs "
        "and IEs, one officer per role (password from DEMO_PASSWORD, default 'demo-siagie-2026') "
        "and, when processes are deployed, a few instances. Development only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="where the portal listens"
        )
        parser.add_argument(
            "--no-instances", action="store_true", help="do not start demo process instances"
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="run even with DEBUG off (users with a published password are a risk)",
        )

    def handle(self, *args, base_url: str, no_instances: bool, allow_production: bool, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "seed_demo creates users with a published password; it only runs with "
                "DEBUG=1 (or pass --allow-production)."
            )
        password, source = demo_password()
        report = demo_seed(password=password, start_instances=not no_instances)

        if report.changed:
            summary = (
                f"{report.units_created} units created, {report.units_updated} updated; "
                f"{report.users_created} users created, {report.users_updated} updated; "
                f"{report.positions_created} positions assigned"
            )
        else:
            summary = "already in place, nothing changed"
        width_user = max(len(u) for u, _, _ in report.logins)
        width_role = max(len(r) for _, r, _ in report.logins)
        rule = "=" * 64
        lines = [
            rule,
            f"  Demo data: {summary}.",
            f"  Demo officers: log in at {base_url.rstrip('/')}/accounts/login/ with",
            f"  any of these users and Clave: {password}   ({source})",
            "",
            f"    {'Usuario':<{width_user}}  {'Rol':<{width_role}}  Unidad",
        ]
        lines += [f"    {u:<{width_user}}  {r:<{width_role}}  {where}" for u, r, where in report.logins]
        if report.instances_started:
            lines += ["", "  Demo instances started: " + ", ".join(report.instances_started)]
        if report.skipped_requests:
            lines += ["", "  Demo requests NOT filed (check the procedures): " + "; ".join(report.skipped_requests)]
        lines.append(rule)
        self.stdout.write("\n".join(lines))
