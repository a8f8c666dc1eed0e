"""«Mis solicitudes» and the home page links."""

from __future__ import annotations

import pytest

from ..conftest import html

pytestmark = pytest.mark.django_db


def test_mine_lists_the_cases_i_started_with_their_current_step(client, start_case, docente, director):
    """The teacher sees their request, its status and who has the current step; the
    director, who started nothing, sees an empty state."""
    inst = start_case()
    client.force_login(docente)

    text = html(client.get("/mis-solicitudes/"))

    assert f'href="/expedientes/{inst.pk}/"' in text
    assert "En curso" in text
    assert "Verificar los requisitos" in text and "Director IE (AUGUSTO B. LEGUIA)" in text
    client.force_login(director)
    assert "Aún no ha iniciado ningún trámite." in html(client.get("/mis-solicitudes/"))


def test_home_and_menu_link_to_the_officer_pages(client, docente):
    """The home page and the menu lead to the inbox, the start list and «Mis solicitudes»."""
    client.force_login(docente)

    text = html(client.get("/"))

    for url in ("/bandeja/", "/iniciar/", "/mis-solicitudes/"):
        assert f'href="{url}"' in text
    assert "/administracion/" not in text


def test_administrators_get_the_administration_menu(client, admin_user):
    """An administrator's menu links to units and cases administration."""
    client.force_login(admin_user)

    text = html(client.get("/bandeja/"))

    assert 'href="/administracion/unidades/"' in text and 'href="/administracion/expedientes/"' in text


def test_anonymous_visitors_are_sent_to_login(client):
    """Officer pages require a session: anonymous visitors go to the login page."""
    response = client.get("/bandeja/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
