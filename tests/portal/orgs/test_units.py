import pytest

from portal.core.models import ActivityLog
from portal.orgs import services
from portal.orgs.models import OrgUnit, UnitKind

pytestmark = pytest.mark.django_db


def test_units_carry_their_path_from_the_root(org):
    """An IE's path names MINEDU, its DRE, its UGEL and itself."""
    assert org["0584714-0"].path == "/MINEDU/DRE-LIMA-METROPOLITANA/UGEL-03/0584714-0/"


def test_an_ie_code_is_its_codigo_modular_and_anexo(org):
    """The IE code is built from the código modular and the anexo."""
    ie = services.unit_save(unit=OrgUnit(kind=UnitKind.IE, name="IE 2001", parent=org["UGEL-04"],
                                         codigo_modular="0765432", anexo="1", nivel="inicial",
                                         modalidad="EBR", gestion="privada"), by=None)
    assert ie.code == "0765432-1"


def test_moving_a_ugel_to_another_dre_repaths_its_schools(org):
    """Moving UGEL 04 under DRE Cusco moves its IEs with it."""
    ugel = org["UGEL-04"]
    ugel.parent = org["DRE-CUSCO"]
    services.unit_save(unit=ugel, by=None)
    assert OrgUnit.objects.get(code="0301234-0").path == "/MINEDU/DRE-CUSCO/UGEL-04/0301234-0/"


def test_a_unit_cannot_hang_below_its_own_descendant(org):
    """A DRE cannot be moved under one of its UGELs (the tree stays a tree)."""
    dre = org["DRE-LIMA-METROPOLITANA"]
    dre.parent = org["UGEL-03"]
    with pytest.raises(services.OrgError):
        services.unit_save(unit=dre, by=None)


def test_an_ie_must_hang_below_a_ugel(org):
    """An IE created directly under a DRE is refused with a Spanish message."""
    with pytest.raises(services.OrgError, match="UGEL"):
        services.unit_save(unit=OrgUnit(kind=UnitKind.IE, name="IE suelta", parent=org["DRE-CUSCO"],
                                        codigo_modular="0700001", anexo="0", nivel="primaria",
                                        modalidad="EBR", gestion="publica"), by=None)


def test_a_bad_codigo_modular_is_refused(org):
    """A código modular that is not seven digits is refused."""
    with pytest.raises(services.OrgError, match="7 dígitos"):
        services.unit_save(unit=OrgUnit(kind=UnitKind.IE, name="IE", parent=org["UGEL-03"], codigo_modular="12AB",
                                        anexo="0", nivel="primaria", modalidad="EBR", gestion="publica"), by=None)


def test_a_duplicate_code_is_refused_and_nothing_is_saved(org):
    """Creating a second UGEL-03 is refused with a message naming the code."""
    before = OrgUnit.objects.count()
    with pytest.raises(services.OrgError, match="UGEL-03"):
        services.unit_save(unit=OrgUnit(code="UGEL-03", name="Otra", kind=UnitKind.UGEL,
                                        parent=org["DRE-CUSCO"]), by=None)
    assert OrgUnit.objects.count() == before


def test_unit_changes_are_audited(org, admin_user):
    """Closing an IE leaves an activity log row with who did it."""
    ie = org["0584714-0"]
    ie.active = False
    services.unit_save(unit=ie, by=admin_user)
    row = ActivityLog.objects.filter(action="unit_updated", object_id=str(ie.pk)).get()
    assert row.actor == admin_user and row.data["active"] is False
