#!/usr/bin/env python3
"""Runs a command against a throwaway PostgreSQL cluster, then removes the cluster.

    python scripts/throwaway_pg.py -- pytest -q
    python scripts/throwaway_pg.py --which        # print the server bin dir, or exit 1

The cluster lives in a fresh temporary directory, listens on a unix socket only
(listen_addresses=''), runs with fsync off (its data is thrown away), and is stopped
and deleted afterwards even when the command fails or is interrupted. The command
gets DATABASE_URL (plus PGHOST, PGPORT, PGUSER, PGDATABASE) and this script returns
its exit code.

Without PostgreSQL server binaries the script prints a loud banner and exits 0, unless
REQUIRE_POSTGRES=1 is set (CI), in which case it fails. PostgreSQL refuses to run as
root, so under root the cluster runs as an unprivileged system user ('postgres' if it
exists, else 'nobody').

Only the standard library is used, so any python3 can run it.
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
SUPERUSER = "postgres"
DATABASE = "postgres"
UNPRIVILEGED_USERS = ("postgres", "nobody")


class Interrupted(Exception):
    """Raised from the SIGTERM/SIGHUP handler so the cleanup in `finally` still runs."""


def _has_server(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in SERVER_PROGRAMS)


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)


def find_bindir() -> Path | None:
    """Finds a directory holding initdb, pg_ctl and postgres.

    Order: $PG_BINDIR, `pg_config --bindir` (on Debian it can name a directory that
    lacks the server when only libpq-dev is installed, hence the check), the
    directory of `initdb` on PATH, then the newest /usr/lib/postgresql/*/bin.
    """
    candidates: list[Path] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(  # noqa: S603 - our own fixed argv
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=30
            ).stdout.strip()
            if out:
                candidates.append(Path(out))
        except (subprocess.SubprocessError, OSError):
            pass
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
        candidates.append(Path(initdb).parent)
    candidates.extend(
        sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    )
    for candidate in candidates:
        if _has_server(candidate):
            return candidate
    return None


def skipped_banner(required: bool) -> str:
    line = "#" * 78
    outcome = (
        "REQUIRE_POSTGRES=1 is set, so this is a FAILURE."
        if required
        else "Exiting 0 anyway. Set REQUIRE_POSTGRES=1 to make this fail."
    )
    rows = [
        "",
        "THE POSTGRESQL HALF WAS SKIPPED",
        "",
        "No PostgreSQL server binaries (initdb, pg_ctl, postgres) were found in",
        "$PG_BINDIR, `pg_config --bindir`, PATH or /usr/lib/postgresql/*/bin.",
        "Install them, e.g. on Debian/Ubuntu:  apt-get install postgresql",
        "",
        outcome,
        "",
    ]
    body = "\n".join(f"##  {row:<72}##" for row in rows)
    return f"\n{line}\n{line}\n{body}\n{line}\n{line}\n"


def _run_as() -> pwd.struct_passwd | None:
    """The account the server runs as: None means the current one (not root)."""
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise SystemExit(
        "throwaway_pg: running as root and neither of the users "
        f"{', '.join(UNPRIVILEGED_USERS)} exists to run PostgreSQL as."
    )


def _server_cmd(
    args: list[str], account: pwd.struct_passwd | None, cwd: Path, log: Path | None = None
) -> None:
    """Runs a server program, as `account` when we are root; raises with its output."""
    kwargs: dict = {}
    if account is not None:
        kwargs = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    if account is not None:
        env["HOME"] = str(cwd)
    result = subprocess.run(  # noqa: S603 - argv built here from a found bin dir
        args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=180, **kwargs
    )
    if result.returncode != 0:
        detail = result.stdout + result.stderr
        if log is not None and log.exists():
            detail += "\n--- server log ---\n" + log.read_text(errors="replace")
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{detail}")


def _chown_tree(root: Path, account: pwd.struct_passwd) -> None:
    os.chown(root, account.pw_uid, account.pw_gid)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), account.pw_uid, account.pw_gid)


def database_url(socket_dir: Path, port: int) -> str:
    # The socket directory goes percent-encoded in the host part, the form both
    # dj-database-url and libpq understand.
    return f"postgres://{SUPERUSER}@{quote(str(socket_dir), safe='')}:{port}/{DATABASE}"


def start_cluster(bindir: Path, root: Path, port: int, account: pwd.struct_passwd | None) -> None:
    data = root / "data"
    if account is not None:
        _chown_tree(root, account)
    _server_cmd(
        [
            str(bindir / "initdb"),
            "--pgdata",
            str(data),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ],
        account,
        cwd=root,
    )
    # Settings for a disposable cluster: nothing survives the run, so durability is
    # traded for speed; no TCP port is opened, so parallel runs cannot collide.
    with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write(
            "\n# throwaway_pg.py\n"
            "listen_addresses = ''\n"
            f"unix_socket_directories = '{root}'\n"
            f"port = {port}\n"
            "fsync = off\n"
            "synchronous_commit = off\n"
            "full_page_writes = off\n"
            "max_connections = 100\n"
        )
    start_server(bindir, root, account)


def start_server(bindir: Path, root: Path, account: pwd.struct_passwd | None) -> None:
    """Starts the server of an initialised cluster (again, after stop_cluster)."""
    data = root / "data"
    log = root / "server.log"
    _server_cmd(
        [
            str(bindir / "pg_ctl"),
            "--pgdata",
            str(data),
            "--log",
            str(log),
            "--wait",
            "--timeout",
            "120",
            "start",
        ],
        account,
        cwd=root,
        log=log,
    )


def stop_cluster(bindir: Path, root: Path, account: pwd.struct_passwd | None) -> None:
    data = root / "data"
    if not (data / "postmaster.pid").exists():
        return
    for mode in ("fast", "immediate"):
        try:
            _server_cmd(
                [
                    str(bindir / "pg_ctl"),
                    "--pgdata",
                    str(data),
                    "--mode",
                    mode,
                    "--wait",
                    "--timeout",
                    "60",
                    "stop",
                ],
                account,
                cwd=root,
            )
            return
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"throwaway_pg: stop ({mode}) failed: {exc}", file=sys.stderr)


def _stop_child(child: subprocess.Popen, *, already_signalled: bool) -> None:
    if already_signalled:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(signal.Signals(signum).name)


def run(command: list[str], port: int) -> int:
    required = os.environ.get("REQUIRE_POSTGRES", "").strip() in {"1", "true", "yes"}
    bindir = find_bindir()
    if bindir is None:
        print(skipped_banner(required), flush=True)
        return 1 if required else 0

    account = _run_as()
    # Directly under /tmp: the socket path must stay under ~100 bytes, and $TMPDIR can be
    # long. mkdtemp makes it private (0700) and unpredictable.
    tmp = "/tmp" if Path("/tmp").is_dir() else None  # noqa: S108
    root = Path(tempfile.mkdtemp(prefix="pg-", dir=tmp))
    # Explicit, because a shell starts background jobs with SIGINT ignored and Python
    # would then never raise KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupted)
    signal.signal(signal.SIGHUP, _raise_interrupted)
    child: subprocess.Popen | None = None
    child_got_signal = False
    try:
        started = time.monotonic()
        start_cluster(bindir, root, port, account)
        url = database_url(root, port)
        who = f" as user '{account.pw_name}'" if account else ""
        print(
            f"throwaway_pg: PostgreSQL from {bindir} ready{who} in "
            f"{time.monotonic() - started:.1f}s; DATABASE_URL={url}",
            flush=True,
        )
        env = dict(os.environ)
        env.update(
            DATABASE_URL=url,
            PGHOST=str(root),
            PGPORT=str(port),
            PGUSER=SUPERUSER,
            PGDATABASE=DATABASE,
        )
        child = subprocess.Popen(command, env=env)  # noqa: S603 - the caller's command
        return child.wait()
    except KeyboardInterrupt:
        # Ctrl-C reached the whole foreground process group, the command included:
        # give it time to finish its own clean-up before terminating it.
        child_got_signal = True
        print("throwaway_pg: interrupted", file=sys.stderr)
        return 130
    except Interrupted as exc:
        print(f"throwaway_pg: received {exc}", file=sys.stderr)
        return 143
    except RuntimeError as exc:
        print(f"throwaway_pg: could not start PostgreSQL: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if child is not None:
            _stop_child(child, already_signalled=child_got_signal)
        stop_cluster(bindir, root, account)
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run a command against a throwaway PostgreSQL cluster.",
        usage="%(prog)s [--port N] -- command [args...]\n       %(prog)s --which",
    )
    parser.add_argument(
        "--which",
        action="store_true",
        help="print the server bin directory found (exit 1 if none) and stop",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("THROWAWAY_PG_PORT", 5432)),
        help="port number in the socket name (no TCP is opened); default 5432",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    if args.which:
        bindir = find_bindir()
        if bindir is None:
            print("no PostgreSQL server binaries found", file=sys.stderr)
            return 1
        print(bindir)
        return 0

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    return run(command, args.port)


if __name__ == "__main__":
    sys.exit(main())
