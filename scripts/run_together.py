#!/usr/bin/env python3
"""Runs several commands as one unit: a command that dies is started again; on Ctrl-C/SIGTERM all stop.

    python scripts/run_together.py "python manage.py runserver" "python manage.py run_worker"

`make run` uses it for the development server and the background worker: a worker that
dies (it should not: it waits out database errors) is restarted without taking the
portal down, and stopping the portal never leaves an orphan worker holding the SQLite
file. A command that dies more than --max-restarts times within --window seconds is a
crash loop: then everything stops, with a message, and the exit code is that command's.
Each command runs in its own process group (runserver's autoreloader child included),
and stopping sends SIGINT to the group, then SIGTERM, then SIGKILL, each after --grace
seconds (default 10) for the group to end. After Ctrl-C the exit code is 0.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time
from collections import deque

GRACE_SECONDS = 10.0
MAX_RESTARTS = 5
WINDOW_SECONDS = 60.0
RESTART_DELAY_SECONDS = 1.0


class Stop(Exception):
    pass


def _request_stop(signum: int, _frame: object) -> None:
    raise Stop(signal.Signals(signum).name)


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(proc: subprocess.Popen) -> bool:
    if proc.poll() is None:
        return True
    try:
        os.killpg(proc.pid, 0)  # members of the group may outlive its leader
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop_all(procs: list[subprocess.Popen], grace: float = GRACE_SECONDS) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        alive = [p for p in procs if _group_alive(p)]
        if not alive:
            return
        for proc in alive:
            _signal_group(proc, signum)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(_group_alive(p) for p in alive):
            time.sleep(0.1)


def _exit_code(code: int) -> int:
    return code if code >= 0 else 128 - code  # killed by a signal


def _say(message: str) -> None:
    print(f"\nrun_together: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commands", nargs="+", help="each command as one shell-quoted string")
    parser.add_argument("--max-restarts", type=int, default=MAX_RESTARTS,
                        help="restarts of one command allowed within --window (default %(default)s)")
    parser.add_argument("--window", type=float, default=WINDOW_SECONDS,
                        help="seconds over which restarts are counted (default %(default)s)")
    parser.add_argument("--restart-delay", type=float, default=RESTART_DELAY_SECONDS,
                        help="seconds to wait before restarting a command (default %(default)s)")
    parser.add_argument("--grace", type=float, default=GRACE_SECONDS,
                        help="seconds a command has to stop after SIGINT, then after SIGTERM, "
                             "before the next signal (default %(default)s)")
    args = parser.parse_args(argv)
    if args.grace < 0:
        parser.error("--grace must not be negative")

    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGHUP, _request_stop)
    procs: list[subprocess.Popen] = []
    restarts: list[deque[float]] = [deque() for _ in args.commands]

    def launch(command: str) -> subprocess.Popen:
        # The commands are the caller's own argv (the Makefile), not outside input.
        return subprocess.Popen(shlex.split(command), start_new_session=True)  # noqa: S603

    try:
        for command in args.commands:
            try:
                procs.append(launch(command))
            except OSError as exc:
                print(f"run_together: cannot start '{command}': {exc}", file=sys.stderr)
                return 127
        while True:
            for index, proc in enumerate(procs):
                code = proc.poll()
                if code is None:
                    continue
                command = args.commands[index]
                stop_all([proc], args.grace)  # what the dead leader left in its group
                now = time.monotonic()
                recent = restarts[index]
                while recent and now - recent[0] > args.window:
                    recent.popleft()
                if len(recent) >= args.max_restarts:
                    _say(f"'{command}' exited with code {code} and has been restarted {len(recent)} "
                         f"times in the last {args.window:g} s; giving up and stopping the others.")
                    return _exit_code(code)
                recent.append(now)
                _say(f"'{command}' exited with code {code}; restarting it "
                     f"({len(recent)} of {args.max_restarts} restarts allowed in {args.window:g} s).")
                time.sleep(args.restart_delay)
                try:
                    procs[index] = launch(command)
                except OSError as exc:
                    _say(f"cannot restart '{command}': {exc}; stopping the others.")
                    return 127
            time.sleep(0.2)
    except Stop as stop:
        _say(f"{stop}: stopping all.")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_all(procs, args.grace)


if __name__ == "__main__":
    sys.exit(main())
