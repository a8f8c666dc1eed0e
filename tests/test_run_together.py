"""scripts/run_together.py (`make run`): a command that dies is restarted without
stopping the others, and a crash loop ends everything with a message."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "run_together.py"

# Dies on its first run (no marker yet), stays up on the next ones; logs each run.
FLAKY = ("import os, sys, time; p = sys.argv[1]; first = not os.path.exists(p); "
         "open(p, 'a').write('run\\n'); sys.exit(1) if first else time.sleep(120)")
# Records its pid once per run and stays up.
STEADY = "import os, sys, time; open(sys.argv[1], 'a').write(f'{os.getpid()}\\n'); time.sleep(120)"
# Always dies.
BROKEN = "import sys; open(sys.argv[1], 'a').write('run\\n'); sys.exit(3)"


def command(code: str, path: Path) -> str:
    return shlex.join([sys.executable, "-c", code, str(path)])


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def wait_for(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_command_that_dies_is_restarted_and_the_others_keep_running(tmp_path):
    """The worker dying does not stop the portal: the dead command runs again, the
    other one is the same process throughout, and Ctrl-C/SIGTERM still stops both."""
    flaky, steady = tmp_path / "flaky", tmp_path / "steady"
    runner = subprocess.Popen(  # noqa: S603 - our own script and commands
        [sys.executable, str(SCRIPT), "--restart-delay", "0.1", command(FLAKY, flaky), command(STEADY, steady)],
        stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: len(lines(flaky)) == 2 and len(lines(steady)) == 1)
        time.sleep(0.5)
        assert runner.poll() is None
        assert len(lines(steady)) == 1  # not restarted
        steady_pid = int(lines(steady)[0])
        assert alive(steady_pid)
    finally:
        runner.send_signal(signal.SIGTERM)
        _, err = runner.communicate(timeout=30)
    assert runner.returncode == 0
    assert "exited with code 1; restarting it" in err
    wait_for(lambda: not alive(steady_pid), seconds=5)


def test_a_command_that_keeps_dying_stops_everything_with_a_message(tmp_path):
    """A crash loop (more than --max-restarts deaths within --window) is not restarted
    for ever: run_together says so and exits with the command's code, stopping the rest."""
    broken, steady = tmp_path / "broken", tmp_path / "steady"
    result = subprocess.run(  # noqa: S603 - our own script and commands
        [sys.executable, str(SCRIPT), "--max-restarts", "2", "--window", "60", "--restart-delay", "0.1",
         command(BROKEN, broken), command(STEADY, steady)],
        capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 3
    assert len(lines(broken)) == 3  # the first run and two restarts
    assert "giving up and stopping the others" in result.stderr
    assert len(lines(steady)) == 1
    wait_for(lambda: not alive(int(lines(steady)[0])), seconds=5)


# Ignores SIGINT and SIGTERM (a process stuck in a long step): only SIGKILL ends it.
STUBBORN = ("import os, signal, sys, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
            "signal.signal(signal.SIGTERM, signal.SIG_IGN); open(sys.argv[1], 'a').write(f'{os.getpid()}\\n'); "
            "time.sleep(120)")


def test_a_command_that_ignores_the_stop_signals_is_killed_after_the_grace(tmp_path):
    """A command that ignores SIGINT and SIGTERM gets --grace seconds after each, then
    SIGKILL: stopping takes about twice the grace, not for ever (nor the default 20 s)."""
    stubborn = tmp_path / "stubborn"
    runner = subprocess.Popen(  # noqa: S603 - our own script and commands
        [sys.executable, str(SCRIPT), "--grace", "0.5", command(STUBBORN, stubborn)],
        stderr=subprocess.PIPE, text=True)
    wait_for(lambda: len(lines(stubborn)) == 1)
    time.sleep(0.3)  # let it install its handlers
    started = time.monotonic()
    runner.send_signal(signal.SIGTERM)
    runner.communicate(timeout=30)
    took = time.monotonic() - started

    assert runner.returncode == 0
    wait_for(lambda: not alive(int(lines(stubborn)[0])), seconds=2)
    assert 0.9 < took < 5, took
