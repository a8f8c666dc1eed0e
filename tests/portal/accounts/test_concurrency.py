"""Two altas racing for the same one-holder post: the database keeps one holder."""

import threading

import pytest
from django.db import connection

from portal.accounts import services
from portal.accounts.services import AccountError
from portal.orgs.models import OrgUnit, Person, Position
from tests.threads import in_threads

from .conftest import IE, role


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

    results = in_threads({name: job(*person) for name, person in people.items()})

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
