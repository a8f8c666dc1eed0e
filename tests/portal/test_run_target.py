"""`make run` hands its address to the portal: links in e-mails and actas follow PORT."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")

# A prerequisite of `run` inherits run's exported variables; its `+` line runs even under
# `make -n`, which only prints the rest (set-up, migrate, seed, runserver).
PROBE = ["--eval", "run: probe", "--eval", 'probe: ; +@echo "probe PORTAL_URL=$$PORTAL_URL"']


def make_run_dry(*args: str, env_extra: dict[str, str] | None = None) -> str:
    env = {key: value for key, value in os.environ.items() if key not in {"PORTAL_URL", "PORT", "HOST"}}
    env.update(env_extra or {})
    result = subprocess.run(["make", "-n", "-s", *PROBE, "run", *args], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_on_another_port_exports_that_address_as_portal_url():
    """`make run PORT=8102`: every command of the target sees PORTAL_URL on :8102, and the
    seed commands are given the same address."""
    out = make_run_dry("PORT=8102")

    assert "probe PORTAL_URL=http://127.0.0.1:8102\n" in out
    assert "seed_admin --base-url http://127.0.0.1:8102" in out
    assert ":8000" not in out


def test_a_portal_url_set_by_hand_wins():
    """Behind a proxy the public address is set explicitly and `make run` keeps it."""
    out = make_run_dry("PORT=8102", env_extra={"PORTAL_URL": "https://flujos.example.pe"})

    assert "probe PORTAL_URL=https://flujos.example.pe\n" in out


def test_settings_read_portal_url_from_the_environment(tmp_path):
    """settings.PORTAL_URL is the environment's PORTAL_URL (what the notices and the acta use)."""
    env = {key: value for key, value in os.environ.items() if key != "PORTAL_URL"}
    env.update(DEBUG="1", VAR_DIR=str(tmp_path), PORTAL_URL="http://127.0.0.1:8102")
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from django.conf import settings; print(settings.PORTAL_URL)"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8102"
