"""Deployment warns, naming the elements, about loops that nothing waits in (no user task,
timer or message): they run round after round within one step. A warning, not a refusal."""

from __future__ import annotations

import shutil
from io import StringIO

import pytest
from django.core.management import call_command

from engine import services
from engine.models import ProcessDefinition

from .conftest import DIAGRAMS, deploy_diagram

pytestmark = pytest.mark.django_db

SCRIPT_LOOP = (DIAGRAMS / "script_loop.bpmn").read_text(encoding="utf-8")
SCRIPT = '''<bpmn:scriptTask id="inc" name="Contar">
      <bpmn:script>i = i + 1</bpmn:script>
    </bpmn:scriptTask>'''


def test_loop_of_scripts_and_gateways_deploys_with_a_warning_naming_its_elements():
    """A loop only of scripts and gateways deploys, with one warning that names its elements."""
    result = deploy_diagram("script_loop")
    assert result.created and ProcessDefinition.objects.filter(key="script_loop").exists()
    [warning] = result.warnings
    assert "'again', 'inc', 'merge'" in warning
    assert "«¿Otra vuelta?»" in warning
    assert "no tiene tarea de usuario, temporizador ni mensaje" in warning


def test_redeploying_an_unchanged_file_repeats_the_warning():
    """The warning is about the file, so deploying it again unchanged still reports it."""
    deploy_diagram("script_loop")
    again = deploy_diagram("script_loop")
    assert not again.created and len(again.warnings) == 1


@pytest.mark.parametrize("name", ["robust_loop", "user_tasks", "timer_boundary_interrupting", "parallel"])
def test_diagrams_without_such_loops_have_no_warning(name):
    """A loop through a user task, or no loop at all, gives no warning."""
    assert deploy_diagram(name).warnings == ()


@pytest.mark.parametrize("waiting", [
    '<bpmn:intermediateCatchEvent id="inc" name="Esperar"><bpmn:timerEventDefinition>'
    '<bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>',
    '<bpmn:userTask id="inc" name="Contar a mano"/>',
])
def test_loop_through_a_timer_or_user_task_has_no_warning(waiting):
    """The same loop with a timer or a user task in place of the script gives no warning."""
    assert SCRIPT in SCRIPT_LOOP
    [result] = services.deploy(content=SCRIPT_LOOP.replace(SCRIPT, waiting), source="loop.bpmn")
    assert result.warnings == ()


def test_deploy_command_prints_the_warning(tmp_path):
    """`manage.py deploy_processes` deploys the file and prints its warning."""
    shutil.copy(DIAGRAMS / "script_loop.bpmn", tmp_path / "script_loop.bpmn")
    out = StringIO()
    call_command("deploy_processes", str(tmp_path), stdout=out)
    text = out.getvalue()
    assert "script_loop v1: deployed" in text
    assert "aviso" in text and "'again', 'inc', 'merge'" in text


def _with_script(code: str) -> str:
    return SCRIPT_LOOP.replace(SCRIPT, SCRIPT.replace("i = i + 1", code))


ENDLESS = "x = 0\nwhile True:\n    x = x + 1"


def _straight(code: str) -> str:
    """The user-task diagram with one script task in place of its second task."""
    content = (DIAGRAMS / "script_task.bpmn").read_text(encoding="utf-8")
    start = content.index("<bpmn:script>") + len("<bpmn:script>")
    end = content.index("</bpmn:script>")
    escaped = code.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return content[:start] + escaped + content[end:]


@pytest.mark.parametrize("test", ["True", "1", "1 == 1", "not False", "True and 'x'", "-1"])
def test_endless_while_in_a_script_is_warned_naming_the_element(test):
    """A script with `while True:` (or `while 1:`, `while 1 == 1:`: any condition of literals
    that is true) and no `break` deploys with a warning that names its element."""
    [result] = services.deploy(content=_straight(ENDLESS.replace("True", test)), source="s.bpmn")
    [warning] = result.warnings
    assert "«while True:» sin «break»" in warning and "elemento '" in warning


@pytest.mark.parametrize("code", [
    "x = 0\nwhile True:\n    x = x + 1\n    if x > 3:\n        break",
    "x = 0\nwhile x < 3:\n    x = x + 1",
    "def f():\n    while True:\n        return 1\nx = f()",
    "x = 0\nwhile True:\n    for i in [1]:\n        x = x + 1\n    else:\n        break",
    "x = 0\nwhile 1 == 2:\n    x = x + 1",
    "x = 0\nwhile True:\n    for i in [1]:\n        raise ValueError('x')",
])
def test_while_loops_that_can_end_are_not_warned(code):
    """A `while True:` with a `break` (or a `return`), or a while with a real condition, gives
    no warning."""
    [result] = services.deploy(content=_straight(code), source="s.bpmn")
    assert result.warnings == ()


@pytest.mark.parametrize("code", [
    "x = 0\nwhile True:\n    for i in [1]:\n        break\n    x = x + 1",
    "x = 0\nwhile True:\n    for i in [1]:\n        if i:\n            break\n    x = x + 1",
    "x = 0\nwhile True:\n    for i in [1]:\n        while i:\n            if x:\n                break\n    x = x + 1",
    "x = 0\nwhile True:\n    def f():\n        return 1\n    x = x + f()",
])
def test_break_of_a_nested_loop_does_not_end_the_outer_one(code):
    """A `break` anywhere inside a nested loop (in an `if`, in a loop in that loop) leaves only
    that loop, and a `return` of a function defined inside leaves only that function: the
    outer `while True:` is still warned about (review finding S2)."""
    [result] = services.deploy(content=_straight(code), source="s.bpmn")
    assert len(result.warnings) == 1


def test_script_with_loops_inside_a_diagram_loop_is_warned():
    """A script that loops, inside a diagram loop with nothing that waits, gets its own
    warning naming it, besides the diagram loop's."""
    code = "t = 0\nfor k in [1, 2, 3]:\n    t = t + k\ni = i + 1"
    [result] = services.deploy(content=_with_script(code), source="loop.bpmn")
    loop, script = result.warnings
    assert "no tiene tarea de usuario" in loop
    assert "«Contar»" in script and "el script tiene bucles" in script
