"""The engine's Django admin: administrators deploy a BPMN file by uploading it; instance
steps are not admin actions."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from engine import services
from engine.errors import StepFailed
from engine.models import AuditAction, InstanceStatus, ProcessDefinition

from .conftest import DIAGRAMS, deploy_diagram, open_task

pytestmark = pytest.mark.django_db

URL = "/admin/engine/processdefinition/add/"


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("admin", "a@example.org", "x" * 12)
    client.force_login(admin)
    return client


def test_uploading_a_valid_file_deploys_a_new_version(admin_client):
    """An uploaded diagram becomes version 1, recorded as deployed by the uploader."""
    upload = SimpleUploadedFile("user_tasks.bpmn", (DIAGRAMS / "user_tasks.bpmn").read_bytes())
    response = admin_client.post(URL, {"bpmn_file": upload}, follow=True)
    assert response.status_code == 200
    definition = ProcessDefinition.objects.get(key="user_tasks")
    assert definition.version == 1
    assert definition.deployed_by.username == "admin"
    assert "versión 1 desplegada" in response.content.decode()


def test_uploading_a_hostile_file_deploys_nothing_and_says_why(admin_client):
    """An XXE file is refused with a Spanish explanation and no definition is saved."""
    xxe = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>'
    response = admin_client.post(URL, {"bpmn_file": SimpleUploadedFile("x.bpmn", xxe)})
    assert response.status_code == 200
    assert "No se desplegó nada" in response.content.decode()
    assert "DOCTYPE" in response.content.decode()
    assert ProcessDefinition.objects.count() == 0


def test_uploading_a_file_with_the_wrong_extension_is_refused(admin_client):
    """Only .bpmn/.xml files are accepted."""
    response = admin_client.post(URL, {"bpmn_file": SimpleUploadedFile("x.exe", b"MZ")})
    assert "extensión .bpmn" in response.content.decode()
    assert ProcessDefinition.objects.count() == 0


@pytest.fixture
def failed_instance(engine_registry):
    """An instance whose completion failed (RENIEC down), then the cause was fixed."""
    def reniec_down(ctx, dni):
        raise RuntimeError("RENIEC no responde")

    engine_registry.register_service("create_account", lambda ctx, username: {"username": username})
    engine_registry.register_service("reniec_lookup", reniec_down)
    deploy_diagram("robust_incident")
    officer = get_user_model().objects.get(username="admin")
    inst = services.start(key="robust_incident", started_by=officer)
    with pytest.raises(StepFailed):
        services.complete(task_id=open_task(inst, "fill").pk, user=officer, data={"dni": "45678912"})
    engine_registry.register_service("reniec_lookup", lambda ctx, dni: {"dni": dni, "nombres": "ANA"})
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.INCIDENT
    return inst


INSTANCES = "/admin/engine/processinstance/"
STEP_ACTIONS = ("retry_failed_step", "suspend_instances", "resume_instances")


def test_the_instance_list_offers_no_step_actions(admin_client, failed_instance):
    """Retry, suspend and resume need a reason, so the Django admin does not offer them (the
    portal's Administración → Expedientes page does); a superuser still sees the list."""
    response = admin_client.get(INSTANCES)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"?{failed_instance.pk}" in page or f"/{failed_instance.pk}/" in page
    for name in STEP_ACTIONS:
        assert f'value="{name}"' not in page
    actions = response.context["cl"].model_admin.get_actions(response.wsgi_request)
    assert not set(actions) & set(STEP_ACTIONS)


@pytest.mark.parametrize("action", STEP_ACTIONS)
def test_posting_an_old_step_action_changes_nothing(admin_client, failed_instance, action):
    """A POST naming a removed action (an old bookmark, a crafted form) leaves the instance,
    its incident and its audit trail as they were."""
    before = (failed_instance.lock_version, failed_instance.audit_events.count())
    response = admin_client.post(INSTANCES, {"action": action, "_selected_action": [failed_instance.pk]},
                                 follow=True)
    assert response.status_code == 200
    failed_instance.refresh_from_db()
    assert failed_instance.status == InstanceStatus.INCIDENT
    assert failed_instance.incidents.get().resolved_at is None
    assert (failed_instance.lock_version, failed_instance.audit_events.count()) == before
    assert not failed_instance.audit_events.filter(
        action__in=[AuditAction.RETRY, AuditAction.SUSPEND, AuditAction.RESUME]).exists()
