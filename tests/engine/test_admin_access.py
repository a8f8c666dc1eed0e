"""Who may use the engine's Django admin: every view refuses a staff user without
permissions (403), only holders of the deploy permission deploy, and a superuser sees
everything; task rows, incidents and audit events are read-only for everyone."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from engine import services
from engine.models import AuditEvent, HumanTask, Incident, ProcessDefinition, ProcessInstance, StepKind

from .conftest import DIAGRAMS, deploy_diagram

pytestmark = pytest.mark.django_db

MODELS = ("processdefinition", "processinstance", "humantask", "incident", "auditevent")
READ_ONLY = ("humantask", "incident", "auditevent")
DEPLOY = "/admin/engine/processdefinition/add/"


@pytest.fixture
def records(user):
    """One row of every engine model: pk by admin model name."""
    deploy_diagram("user_tasks")
    instance = services.start(key="user_tasks", started_by=user)
    incident = Incident.objects.create(instance=instance, message="RENIEC no responde",
                                       step_kind=StepKind.COMPLETE)
    return {
        "processdefinition": ProcessDefinition.objects.get().pk,
        "processinstance": instance.pk,
        "humantask": HumanTask.objects.filter(instance=instance).first().pk,
        "incident": incident.pk,
        "auditevent": AuditEvent.objects.filter(instance=instance).first().pk,
    }


def admin_urls(records) -> list[tuple[str, str]]:
    """(model, url) for every admin view of every engine model."""
    urls = []
    for model in MODELS:
        base = f"/admin/engine/{model}/"
        pk = records[model]
        urls += [(model, base), (model, f"{base}add/"), (model, f"{base}{pk}/change/"),
                 (model, f"{base}{pk}/delete/"), (model, f"{base}{pk}/history/")]
    return urls


@pytest.fixture
def staff_client(client, django_user_model):
    """A staff user with no permission at all."""
    staff = django_user_model.objects.create_user("staff", "s@example.org", "x" * 12, is_staff=True)
    client.force_login(staff)
    return client, staff


def upload():
    return SimpleUploadedFile("user_tasks.bpmn", (DIAGRAMS / "user_tasks.bpmn").read_bytes())


def test_a_staff_user_without_permissions_gets_403_on_every_engine_admin_view(staff_client, records):
    """Changelists, add, change, delete and history of every engine model refuse him."""
    client, _ = staff_client
    for model, url in admin_urls(records):
        assert client.get(url).status_code == 403, (model, url)


def test_a_staff_user_without_permissions_cannot_deploy_or_delete(staff_client, records):
    """Posting a diagram deploys nothing; posting a delete confirmation deletes nothing."""
    client, _ = staff_client
    before = (ProcessDefinition.objects.count(), ProcessInstance.objects.count(), HumanTask.objects.count(),
              Incident.objects.count(), AuditEvent.objects.count())
    assert client.post(DEPLOY, {"bpmn_file": upload()}).status_code == 403
    for model in MODELS:
        response = client.post(f"/admin/engine/{model}/{records[model]}/delete/", {"post": "yes"})
        assert response.status_code == 403, model
    assert ProcessDefinition.objects.get().version == 1
    after = (ProcessDefinition.objects.count(), ProcessInstance.objects.count(), HumanTask.objects.count(),
             Incident.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_the_generic_add_permission_does_not_deploy(staff_client, records):
    """'Can add definición de proceso' is not the deploy permission: still 403, no v2."""
    client, staff = staff_client
    staff.user_permissions.add(Permission.objects.get(codename="add_processdefinition"),
                               Permission.objects.get(codename="view_processdefinition"))
    changed = (DIAGRAMS / "user_tasks.bpmn").read_bytes().replace(b"</bpmn:definitions>",
                                                                   b"<!-- v2 --></bpmn:definitions>")
    response = client.post(DEPLOY, {"bpmn_file": SimpleUploadedFile("user_tasks.bpmn", changed)})
    assert response.status_code == 403
    assert client.get("/admin/engine/processdefinition/").status_code == 200
    assert list(ProcessDefinition.objects.values_list("version", flat=True)) == [1]


def test_a_staff_user_granted_the_deploy_permission_deploys(staff_client):
    """The named permission, granted in the admin, is what deploying takes."""
    client, staff = staff_client
    staff.user_permissions.add(Permission.objects.get(codename="deploy_processdefinition"))
    response = client.post(DEPLOY, {"bpmn_file": upload()}, follow=True)
    assert response.status_code == 200
    assert ProcessDefinition.objects.get(key="user_tasks").deployed_by == staff


@pytest.fixture
def superuser_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("admin", "a@example.org", "x" * 12)
    client.force_login(admin)
    return client


def test_a_superuser_opens_every_engine_admin_view_but_edits_no_derived_row(superuser_client, records):
    """A superuser sees every list, record and history and may deploy; adding, changing or
    deleting task rows, incidents or audit events is refused to him too (they follow the
    engine's state), and a deployed version is never edited in place."""
    for model, url in admin_urls(records):
        response = superuser_client.get(url)
        refused = (model in READ_ONLY and url.endswith(("/add/", "/delete/")))
        assert response.status_code == (403 if refused else 200), (model, url)
        if url.endswith("/change/"):
            assert 'name="_save"' not in response.content.decode(), (model, url)  # view only
    assert superuser_client.post(DEPLOY, {"bpmn_file": upload()}, follow=True).status_code == 200
