#!/usr/bin/env python3
"""Runs several commands as one unit: when one ends, or on Ctrl-C/SIGTERM, all stop.

    python scripts/run_together.py "python manage.py runserver" "python manage.py run_worker"

`make run` uses it for the development server and the background worker, so that
stopping the portal never leaves an orphan worker holding the SQLite file. Each
command runs in its own process group (runserver's autoreloader child included), and
stopping sends SIGINT to the group, then SIGTERM, then SIGKILL, each after a grace
period. The exit code is that of the first command to end, or 0 after Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time

GRACE_SECONDS = 10.0


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


def stop_all(procs: list[subprocess.Popen]) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        alive = [p for p in procs if _group_alive(p)]
        if not alive:
            return
        for proc in alive:
            _signal_group(proc, signum)
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline and any(_group_alive(p) for p in alive):
            time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commands", nargs="+", help="each command as one shell-quoted string")
    args = parser.parse_args(argv)

    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGHUP, _request_stop)
    procs: list[subprocess.Popen] = []
    names: dict[int, str] = {}
    try:
        for command in args.commands:
            # The commands are the caller's own argv (the Makefile), not outside input.
            try:
                proc = subprocess.Popen(shlex.split(command), start_new_session=True)  # noqa: S603
            except OSError as exc:
                print(f"run_together: cannot start '{command}': {exc}", file=sys.stderr)
                return 127
            procs.append(proc)
            names[proc.pid] = command
        while True:
            for proc in procs:
                code = proc.poll()
                if code is not None:
                    print(
                        f"\nrun_together: '{names[proc.pid]}' exited with code {code}; "
                        "stopping the others.",
                        file=sys.stderr,
                        flush=True,
                    )
                    return code if code >= 0 else 128 - code  # killed by a signal
            time.sleep(0.2)
    except Stop as stop:
        print(f"\nrun_together: {stop}: stopping all.", file=sys.stderr, flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_all(procs)


if __name__ == "__main__":
    sys.exit(main())
