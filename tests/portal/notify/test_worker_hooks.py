"""The engine's worker runs the periodic jobs the product registers (engine.registry)."""

from __future__ import annotations

import pytest

from engine.registry import registry
from portal.notify.delivery import retry_due_notifications

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def periodic_jobs():
    """Register jobs for one test; the registry is restored afterwards."""
    saved = list(registry.periodic)
    yield registry.register_periodic
    registry.periodic[:] = saved


def test_the_worker_sweep_calls_registered_periodic_jobs(periodic_jobs, run_worker):
    """Each registered job runs once per sweep of `run_worker`."""
    calls = []
    periodic_jobs(lambda: calls.append("ran"))
    run_worker()
    assert calls == ["ran"]


def test_a_failing_periodic_job_does_not_stop_the_others(periodic_jobs, run_worker):
    """A job that raises is logged; the jobs after it still run and the worker goes on."""
    calls = []

    def broken():
        raise RuntimeError("boom")

    periodic_jobs(broken)
    periodic_jobs(lambda: calls.append("ran"))
    run_worker()
    assert calls == ["ran"]


def test_a_job_registered_twice_runs_once(periodic_jobs, run_worker):
    """Registering is idempotent, so an app's ready() running twice does not double the work."""
    calls = []

    def job():
        calls.append("ran")

    periodic_jobs(job)
    periodic_jobs(job)
    run_worker()
    assert calls == ["ran"]


def test_the_notify_app_registers_its_retry_sweep():
    """Failed e-mails are retried by the worker because the notify app registered the job."""
    assert retry_due_notifications in registry.periodic
