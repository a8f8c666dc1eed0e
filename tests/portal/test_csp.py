"""The Content-Security-Policy: sent on every page, strict, and no template needs more.

tests/portal/browser/test_csp.py checks the same in Chromium (no violation reported)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_pages_send_a_policy_of_the_portals_own_scripts_and_styles(client):
    """The login page answers with a policy allowing only 'self' for scripts and styles,
    with no 'unsafe-inline' or 'unsafe-eval', no plugins, no framing."""
    response = client.get("/accounts/login/")

    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in response["Content-Security-Policy"]


def test_only_the_api_docs_add_a_nonce_for_their_configuration_script(client, django_user_model):
    """Swagger UI's inline configuration script carries the response's nonce, which is in
    that page's script-src; the page has no other inline script."""
    user = django_user_model.objects.create_user(username="integrador", password="clave-api-2026-x")
    client.force_login(user)

    response = client.get("/api/docs/")

    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    html = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\ssrc=)([^>]*)>", html)
    assert inline == [f' nonce="{nonce}"']
    assert "<style" not in html


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style[\s>]|\sstyle=|\son[a-z]+=", re.IGNORECASE)
# E-mail bodies are read by mail clients, which need inline styles; no page serves them.
EMAIL_TEMPLATES = BASE_DIR / "portal" / "notify" / "templates" / "notify"
DJANGO_COMMENT = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.DOTALL)
NONCED = {BASE_DIR / "portal" / "templates" / "api" / "swagger_ui.html"}


def test_templates_carry_no_inline_script_style_or_event_handler():
    """No page template has an inline <script>, <style>, style="" or on…="" attribute: the
    policy would refuse them (json_script's data block is not a script and is allowed)."""
    offenders = []
    pages = [*(BASE_DIR / "portal").rglob("templates/**/*.html"), *(BASE_DIR / "engine").rglob("templates/**/*.html")]
    for path in sorted(pages):
        if path.is_relative_to(EMAIL_TEMPLATES) or path in NONCED:
            continue
        text = DJANGO_COMMENT.sub("", path.read_text())
        for match in [*INLINE_SCRIPT.finditer(text), *INLINE_STYLE.finditer(text)]:
            offenders.append(f"{path.relative_to(BASE_DIR)}: {match.group(0)}")
    assert offenders == []
