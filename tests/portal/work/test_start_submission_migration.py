"""Migration work 0006: start tokens written before it name their process through their
case, so a replay of an old request still finds its case after the upgrade; a row whose
start left no case keeps an empty key."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("work", "0005_case_correction")]


@pytest.mark.django_db(transaction=True)
def test_old_start_tokens_take_the_process_of_their_case():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("auth", "User").objects.create(username="migracion")
    Definition = old.get_model("engine", "ProcessDefinition")
    Instance = old.get_model("engine", "ProcessInstance")
    Submission = old.get_model("work", "StartSubmission")
    alta = Definition.objects.create(key="alta_director_ie", version=1, xml="<x/>", sha256="a" * 64)
    baja = Definition.objects.create(key="baja_director_ie", version=1, xml="<x/>", sha256="b" * 64)
    alta_case = Instance.objects.create(definition=alta)
    baja_case = Instance.objects.create(definition=baja)
    with_alta = Submission.objects.create(token=uuid.uuid4(), user=user, instance=alta_case)
    with_baja = Submission.objects.create(token=uuid.uuid4(), user=user, instance=baja_case)
    no_case = Submission.objects.create(token=uuid.uuid4(), user=user, instance=None)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    new = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps
    keys = dict(new.get_model("work", "StartSubmission").objects.values_list("pk", "process_key"))
    assert keys == {with_alta.pk: "alta_director_ie", with_baja.pk: "baja_director_ie", no_case.pk: ""}
