"""Two altas racing for the same one-holder post: the database keeps one holder."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from portal.accounts import services
from portal.accounts.services import AccountError
from portal.orgs.models import OrgUnit, Person, Position

from .conftest import IE, role


def _in_threads(jobs: dict[str, Callable[[], object]]) -> dict[str, object]:
    """Run each job in its own thread (own database connection); return what each returned
    or the exception it raised (the runner of tests/engine/test_concurrency.py)."""
    results: dict[str, object] = {}

    def run(name: str, job: Callable[[], object]) -> None:
        try:
            results[name] = job()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in jobs.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_altas_for_one_director_post_leave_one_holder(org, verifier):
    """Two verifiers approving different Directors for the same IE at once: exactly one becomes
    holder, the other gets a Spanish AccountError naming them, and the loser's account is not created."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: two writers racing on the partial unique index; "
                    "SQLite serializes whole transactions")
    barrier = threading.Barrier(2)
    people = {"rosa": ("Rosa Elena", "Quispe Mamani", "45871236"),
              "luis": ("Luis Alberto", "Huamán Ccori", "41234567")}

    def job(nombres, apellidos, dni):
        def run():
            unit = OrgUnit.objects.get(code=IE)
            barrier.wait(timeout=10)
            return services.account_alta(
                nombres=nombres, apellidos=apellidos, document_number=dni, email="", role=role("director_ie"),
                unit=unit, by=verifier, reason="Oficio 123-2026", replace_holder=False)
        return run

    results = _in_threads({name: job(*person) for name, person in people.items()})

    winners = [name for name, r in results.items() if isinstance(r, services.AltaResult)]
    losers = [r for r in results.values() if not isinstance(r, services.AltaResult)]
    assert len(winners) == 1, results
    assert len(losers) == 1 and isinstance(losers[0], AccountError), results
    holder = Position.objects.get(role="director_ie", unit__code=IE, until__isnull=True)
    assert holder.user == results[winners[0]].user
    assert "ya tiene un titular activo" in str(losers[0])
    assert holder.user.get_full_name() in str(losers[0])
    loser_dni = next(p[2] for name, p in people.items() if name not in winners)
    assert not Person.objects.filter(document_number=loser_dni).exists()
