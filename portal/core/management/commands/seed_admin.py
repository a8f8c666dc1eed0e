"""Creates (or resets) the demo administrator for a local run. Idempotent."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEFAULT_USERNAME = "admin"
# A published demo password (README); override with DEMO_PASSWORD. Refused with DEBUG off.
DEFAULT_PASSWORD = "demo-siagie-2026"  # noqa: S105


class Command(BaseCommand):
    help = (
        "Create or reset the demo administrator (username 'admin', password from "
        f"DEMO_PASSWORD, default '{DEFAULT_PASSWORD}'). Development only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default=DEFAULT_USERNAME)
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="where the portal listens"
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="run even with DEBUG off (a known password in production is a risk)",
        )

    def handle(self, *args, username: str, base_url: str, allow_production: bool, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "seed_admin creates a user with a published password; it only runs with "
                "DEBUG=1 (or pass --allow-production)."
            )
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.org"}
        )
        # Re-running resets the password and flags, so the login printed below works
        # even after someone changed it in a previous session.
        user.is_staff = True
        user.is_superuser = True
        user.is_active = True
        user.set_password(password)
        user.save()

        base = base_url.rstrip("/")
        verb = "created" if created else "reset"
        rule = "=" * 64
        self.stdout.write(
            "\n".join(
                [
                    rule,
                    f"  Demo administrator {verb}. Log in with:",
                    "",
                    f"    URL:       {base}/accounts/login/",
                    f"    Usuario:   {username}",
                    f"    Clave:     {password}",
                    "",
                    f"  Django admin: {base}/admin/",
                    f"  API docs:     {base}/api/docs/",
                    rule,
                ]
            )
        )
