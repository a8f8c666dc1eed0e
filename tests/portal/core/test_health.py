import pytest

pytestmark = pytest.mark.django_db


def test_health_reports_ok_when_the_database_answers(client):
    """/health/ is public and reports the service and its database as ok."""
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]
