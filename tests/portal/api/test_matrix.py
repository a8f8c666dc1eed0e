"""The permission matrix of tests/portal/matrix.py, asked through the API.

One test per role builds the world once (an officer per role and, per role, a task in its
own unit, in another unit and below it) and compares every answer with `expected()`.
"""

from __future__ import annotations

import pytest

from engine.models import ProcessInstance
from portal.orgs.roles import catalogue
from tests.portal.matrix import ACTIONS, RELATIONS, build_world, expected

pytestmark = pytest.mark.django_db

ROLES = sorted(catalogue())


def _refused(role: str, relation: str) -> int:
    """Visible but not workable → 403; not visible → 404."""
    return 403 if expected(role, relation, "see") else 404


def _other_role(role: str) -> str:
    return "personal_ie" if role != "personal_ie" else "director_ie"


@pytest.mark.parametrize("role", ROLES)
def test_the_api_applies_the_permission_matrix(role, org, officer, api, django_user_model):
    """For each relation (own, other, below) and action (see, claim, complete, start,
    administer) the API answers as the matrix says: 200/201 when allowed, 403 when the
    task is visible but not the role's, 404 when it is not visible."""
    world = build_world(officer)
    client = api(world.officers[role])
    answers: dict[tuple[str, str], int] = {}
    wrong: list[str] = []

    def check(relation: str, action: str, status: int, allowed: int, refused: int) -> None:
        want = allowed if expected(role, relation, action) else refused
        answers[(relation, action)] = status
        if status != want:
            wrong.append(f"{role}/{relation}/{action}: {status}, expected {want}")

    for relation in RELATIONS:
        task = world.tasks[(role, relation)]
        detail = client.get(f"tasks/{task.pk}/")
        check(relation, "see", detail.status_code, 200, 404)
        claim = client.post(f"tasks/{task.pk}/claim/")
        check(relation, "claim", claim.status_code, 200, _refused(role, relation))
        version = detail.json()["lock_version"] if detail.status_code == 200 else 0
        complete = client.post(f"tasks/{task.pk}/complete/",
                               {"data": {"usuario_siagie": "rquispe01"}, "expected_version": version})
        check(relation, "complete", complete.status_code, 200, _refused(role, relation))

    # m_<role> routes its task by a data key that no start form provides, so an allowed
    # start is accepted and its instance waits on an incident (202); start and administer
    # do not depend on the relation.
    start = client.post(f"processes/m_{role}/start/", {"data": {}})
    listing = client.get("instances/")
    target = django_user_model.objects.create_user(username=f"nuevo-{role}", password="clave-segura-2026")
    assign = client.post("positions/", {"user": target.pk, "role": "personal_ie", "unit": "0584714-0"})
    for relation in RELATIONS:
        check(relation, "start", start.status_code, 202, 403)
        check(relation, "administer", listing.status_code, 200, 403)
        check(relation, "administer", assign.status_code, 201, 403)

    refused = client.post(f"processes/m_{_other_role(role)}/start/", {"data": {}})
    if refused.status_code != 403:
        wrong.append(f"{role}: start of m_{_other_role(role)} gave {refused.status_code}, expected 403")
    assert ProcessInstance.objects.filter(started_by=world.officers[role]).count() == 1
    assert {(r, a) for r in RELATIONS for a in ACTIONS} <= set(answers)
    assert not wrong, "\n".join(wrong)
