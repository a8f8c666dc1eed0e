"""The orgs part of the demo (`manage.py seed_demo`): an org tree and one officer per role.

Everything here is synthetic except the shape of the country: the 26 DRE/GRE are the
real regional education offices, the UGELs are real ones, and the two IEs of the
source documents (ANTONIO RAIMONDI 1598333-0, closed; AUGUSTO B. LEGUIA 0584714-0) sit
under UGEL 03 Breña. The other IE names and códigos modulares are plausible, not real
records. The people are invented; their DNIs are in the 7000xxxx range, which the demo
keeps for itself so that nobody mistakes them for real documents.

The seed is deterministic and idempotent: units, users and positions are looked up by
stable codes and usernames and written only when they differ from the data below, so a
second run writes nothing at all. Units and positions go through `portal.orgs.services`
(one ActivityLog row per change); demo users and their Person rows are written
directly and are not logged: they exist only on development machines.

The other apps seed their own demo data on top of these officers (`portal.work.demo`,
`portal.accounts.demo`); `portal.core.demo.demo_seed` calls them in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model

from . import services
from .models import Gestion, Modalidad, Nivel, OrgUnit, Person, Position, Role, UnitKind

if TYPE_CHECKING:
    from portal.core.demo import DemoRun, SeedReport

DEMO_REASON = "Datos de demostración (manage.py seed_demo)"
DEMO_EMAIL_DOMAIN = "demo.siagie.example"

MINEDU = ("MINEDU", "Ministerio de Educación")
MINEDU_OFFICES = [
    ("MINEDU-UE", "Unidad de Estadística"),
    ("MINEDU-OTIC", "OTIC – USAU"),
    ("MINEDU-OACIGED", "OACIGED – Oficina de Atención al Ciudadano y Gestión Documental"),
    ("MINEDU-DIGE", "DIGE – Dirección de Gestión Escolar"),
]

# (code, name). Regions whose government calls the office a Gerencia Regional de
# Educación appear as GRE; the code keeps the DRE- prefix for every region.
DRES = [
    ("DRE-AMAZONAS", "DRE Amazonas"),
    ("DRE-ANCASH", "DRE Áncash"),
    ("DRE-APURIMAC", "DRE Apurímac"),
    ("DRE-AREQUIPA", "GRE Arequipa"),
    ("DRE-AYACUCHO", "DRE Ayacucho"),
    ("DRE-CAJAMARCA", "DRE Cajamarca"),
    ("DRE-CALLAO", "DRE Callao"),
    ("DRE-CUSCO", "GRE Cusco"),
    ("DRE-HUANCAVELICA", "DRE Huancavelica"),
    ("DRE-HUANUCO", "DRE Huánuco"),
    ("DRE-ICA", "DRE Ica"),
    ("DRE-JUNIN", "DRE Junín"),
    ("DRE-LA-LIBERTAD", "GRE La Libertad"),
    ("DRE-LAMBAYEQUE", "GRE Lambayeque"),
    ("DRE-LIMA-METROPOLITANA", "DRE Lima Metropolitana"),
    ("DRE-LIMA-PROVINCIAS", "DRE Lima Provincias"),
    ("DRE-LORETO", "DRE Loreto"),
    ("DRE-MADRE-DE-DIOS", "DRE Madre de Dios"),
    ("DRE-MOQUEGUA", "DRE Moquegua"),
    ("DRE-PASCO", "DRE Pasco"),
    ("DRE-PIURA", "DRE Piura"),
    ("DRE-PUNO", "DRE Puno"),
    ("DRE-SAN-MARTIN", "DRE San Martín"),
    ("DRE-TACNA", "DRE Tacna"),
    ("DRE-TUMBES", "DRE Tumbes"),
    ("DRE-UCAYALI", "DRE Ucayali"),
]

# (code, name, DRE code)
UGELS = [
    ("UGEL-01", "UGEL 01 San Juan de Miraflores", "DRE-LIMA-METROPOLITANA"),
    ("UGEL-02", "UGEL 02 Rímac", "DRE-LIMA-METROPOLITANA"),
    ("UGEL-03", "UGEL 03 Breña", "DRE-LIMA-METROPOLITANA"),
    ("UGEL-04", "UGEL 04 Comas", "DRE-LIMA-METROPOLITANA"),
    ("UGEL-05", "UGEL 05 San Juan de Lurigancho", "DRE-LIMA-METROPOLITANA"),
    ("UGEL-06", "UGEL 06 Ate", "DRE-LIMA-METROPOLITANA"),
    ("UGEL-07", "UGEL 07 San Borja", "DRE-LIMA-METROPOLITANA"),
    ("UGEL-VENTANILLA", "UGEL Ventanilla", "DRE-CALLAO"),
    ("UGEL-CANETE", "UGEL 08 Cañete", "DRE-LIMA-PROVINCIAS"),
    ("UGEL-CUSCO", "UGEL Cusco", "DRE-CUSCO"),
    ("UGEL-AREQUIPA-NORTE", "UGEL Arequipa Norte", "DRE-AREQUIPA"),
    ("UGEL-HUANCAYO", "UGEL Huancayo", "DRE-JUNIN"),
    ("UGEL-TRUJILLO-NOR-OESTE", "UGEL 03 Trujillo Nor Oeste", "DRE-LA-LIBERTAD"),
    ("UGEL-CHICLAYO", "UGEL Chiclayo", "DRE-LAMBAYEQUE"),
    ("UGEL-PIURA", "UGEL Piura", "DRE-PIURA"),
]

INI, PRI, SEC, AVA = Nivel.INICIAL, Nivel.PRIMARIA, Nivel.SECUNDARIA, Nivel.AVANZADO
EBR, EBA, EBE = Modalidad.EBR, Modalidad.EBA, Modalidad.EBE
PUB, PRIV = Gestion.PUBLICA, Gestion.PRIVADA


@dataclass(frozen=True)
class DemoIE:
    code: str  # código modular + anexo, e.g. "0584714-0"
    name: str
    ugel: str
    nivel: str
    modalidad: str
    gestion: str
    district: str
    active: bool = True

    @property
    def codigo_modular(self) -> str:
        return self.code[:7]

    @property
    def anexo(self) -> str:
        return self.code[-1]


IES = [
    # UGEL 03 Breña: the two IEs of the source documents, then the rest.
    DemoIE("0584714-0", "AUGUSTO B. LEGUIA", "UGEL-03", SEC, EBR, PUB, "Breña"),
    DemoIE("1598333-0", "ANTONIO RAIMONDI", "UGEL-03", SEC, EBR, PUB, "Breña", active=False),
    DemoIE("0326058-0", "IE N.° 1049 Juana Alarco de Dammert", "UGEL-03", PRI, EBR, PUB, "Cercado de Lima"),
    DemoIE("0327445-0", "IE Melitón Carvajal", "UGEL-03", SEC, EBR, PUB, "Lince"),
    DemoIE("0215749-0", "IEI N.° 015 Virgen del Carmen", "UGEL-03", INI, EBR, PUB, "Jesús María"),
    DemoIE("1327543-0", "CEBA Mercedes Cabello de Carbonera", "UGEL-03", AVA, EBA, PUB, "La Victoria"),
    DemoIE("0642397-0", "CEBE Santa Lucía", "UGEL-03", PRI, EBE, PUB, "Breña"),
    DemoIE("1131870-0", "IEP Los Álamos de Pueblo Libre", "UGEL-03", PRI, EBR, PRIV, "Pueblo Libre"),
    # UGEL 01 San Juan de Miraflores
    DemoIE("0336511-0", "IE N.° 7059 Juan Velasco Alvarado", "UGEL-01", PRI, EBR, PUB, "Villa María del Triunfo"),
    DemoIE("0495895-0", "IE N.° 6038 Señor de los Milagros", "UGEL-01", SEC, EBR, PUB, "San Juan de Miraflores"),
    DemoIE("0671016-0", "IEI N.° 527 Virgen de Fátima", "UGEL-01", INI, EBR, PUB, "Villa El Salvador"),
    DemoIE("0907451-0", "CEBA José Olaya Balandra", "UGEL-01", AVA, EBA, PUB, "Chorrillos"),
    # UGEL 02 Rímac
    DemoIE("0335794-0", "IE N.° 2025 Augusto Salazar Bondy", "UGEL-02", PRI, EBR, PUB, "San Martín de Porres"),
    DemoIE("0491795-0", "IE Ricardo Bentín", "UGEL-02", SEC, EBR, PUB, "Rímac"),
    DemoIE("0662411-0", "IEI N.° 108 Virgen de las Mercedes", "UGEL-02", INI, EBR, PUB, "Independencia"),
    DemoIE("1540328-0", "IEP Santa Rosa de Los Olivos", "UGEL-02", PRI, EBR, PRIV, "Los Olivos", active=False),
    # UGEL 04 Comas
    DemoIE("0302208-0", "IE N.° 2027 Sinchi Roca", "UGEL-04", PRI, EBR, PUB, "Comas"),
    DemoIE("0494989-0", "IE Carlos Wiesse", "UGEL-04", SEC, EBR, PUB, "Comas"),
    DemoIE("0670851-0", "IEI N.° 312 Rayitos de Sol", "UGEL-04", INI, EBR, PUB, "Carabayllo"),
    DemoIE("1452617-0", "IEP Santa Teresita de Puente Piedra", "UGEL-04", SEC, EBR, PRIV, "Puente Piedra"),
    # UGEL 05 San Juan de Lurigancho
    DemoIE("0494641-0", "IE N.° 0086 José María Arguedas", "UGEL-05", SEC, EBR, PUB, "San Juan de Lurigancho"),
    DemoIE("0337162-0", "IE N.° 1182 El Bosque", "UGEL-05", PRI, EBR, PUB, "San Juan de Lurigancho"),
    DemoIE("0672543-0", "IEI N.° 117 Mi Pequeño Mundo", "UGEL-05", INI, EBR, PUB, "San Juan de Lurigancho"),
    DemoIE("0907832-0", "CEBE Virgen de la Puerta", "UGEL-05", PRI, EBE, PUB, "San Juan de Lurigancho"),
    # UGEL 06 Ate
    DemoIE("0336396-0", "IE N.° 1253 Vitarte", "UGEL-06", PRI, EBR, PUB, "Ate"),
    DemoIE("0495143-0", "IE Fe y Alegría N.° 25", "UGEL-06", SEC, EBR, PUB, "Ate"),
    DemoIE("0673210-0", "IEI N.° 093 Huaycán", "UGEL-06", INI, EBR, PUB, "Ate"),
    DemoIE("0912345-0", "CEBA Manuel González Prada", "UGEL-06", AVA, EBA, PUB, "Ate", active=False),
    # UGEL 07 San Borja
    DemoIE("0337527-0", "IE N.° 7086 Los Precursores", "UGEL-07", PRI, EBR, PUB, "Santiago de Surco"),
    DemoIE("0496182-0", "IE Ricardo Palma", "UGEL-07", SEC, EBR, PUB, "Surquillo"),
    DemoIE("0642801-0", "PRITE San Francisco de Asís", "UGEL-07", INI, EBE, PUB, "San Borja"),
    DemoIE("1215509-0", "IEP Nuestra Señora del Pilar de Surco", "UGEL-07", PRI, EBR, PRIV, "Santiago de Surco"),
    # UGEL Ventanilla (Callao)
    DemoIE("0338012-0", "IE N.° 5129 Mi Perú", "UGEL-VENTANILLA", PRI, EBR, PUB, "Ventanilla"),
    DemoIE("0497017-0", "IE Pachacútec", "UGEL-VENTANILLA", SEC, EBR, PUB, "Ventanilla"),
    DemoIE("0674125-0", "IEI N.° 102 Mi Mundo Feliz", "UGEL-VENTANILLA", INI, EBR, PUB, "Ventanilla"),
    # UGEL 08 Cañete (Lima Provincias)
    DemoIE("0420299-0", "IE José Buenaventura Sepúlveda", "UGEL-CANETE", SEC, EBR, PUB, "San Vicente de Cañete"),
    DemoIE("0420117-0", "IE N.° 20188 Cerro Azul", "UGEL-CANETE", PRI, EBR, PUB, "Cerro Azul"),
    # UGEL Cusco
    DemoIE("0238451-0", "IE Colegio Nacional de Ciencias", "UGEL-CUSCO", SEC, EBR, PUB, "Cusco"),
    DemoIE("0238527-0", "IE Clorinda Matto de Turner", "UGEL-CUSCO", SEC, EBR, PUB, "Cusco"),
    DemoIE("0236703-0", "IE N.° 50001 Almirante Miguel Grau", "UGEL-CUSCO", PRI, EBR, PUB, "Wanchaq"),
    DemoIE("0610592-0", "IEI N.° 358 Wawakunaq Wasin", "UGEL-CUSCO", INI, EBR, PUB, "Santiago"),
    # UGEL Arequipa Norte
    DemoIE("0307686-0", "IE Independencia Americana", "UGEL-AREQUIPA-NORTE", SEC, EBR, PUB, "Arequipa"),
    DemoIE("0307793-0", "IE N.° 40052 El Peruano del Milenio", "UGEL-AREQUIPA-NORTE", PRI, EBR, PUB, "Cayma"),
    DemoIE("1011601-0", "CEBA Juana Cervantes de Bolognesi", "UGEL-AREQUIPA-NORTE", AVA, EBA, PUB, "Arequipa"),
    DemoIE("1374842-0", "IEP Juan XXIII", "UGEL-AREQUIPA-NORTE", SEC, EBR, PRIV, "Cerro Colorado"),
    # UGEL Huancayo
    DemoIE("0315853-0", "IE Santa Isabel", "UGEL-HUANCAYO", SEC, EBR, PUB, "Huancayo"),
    DemoIE("0316141-0", "IE N.° 31553 Túpac Amaru", "UGEL-HUANCAYO", PRI, EBR, PUB, "El Tambo"),
    DemoIE("0603647-0", "CEBE Nuestra Señora de Cocharcas", "UGEL-HUANCAYO", PRI, EBE, PUB, "Huancayo"),
    # UGEL 03 Trujillo Nor Oeste
    DemoIE("0394262-0", "IE José Faustino Sánchez Carrión", "UGEL-TRUJILLO-NOR-OESTE", SEC, EBR, PUB, "Trujillo"),
    DemoIE("0394023-0", "IE N.° 81007 Modelo", "UGEL-TRUJILLO-NOR-OESTE", PRI, EBR, PUB, "Trujillo"),
    # UGEL Chiclayo
    DemoIE("0441063-0", "IE San José", "UGEL-CHICLAYO", SEC, EBR, PUB, "Chiclayo"),
    DemoIE("0440917-0", "IE N.° 10022 Miguel Muro Zapata", "UGEL-CHICLAYO", PRI, EBR, PUB, "Chiclayo"),
    DemoIE("1298745-0", "IEP Santo Toribio de Mogrovejo", "UGEL-CHICLAYO", SEC, EBR, PRIV, "Chiclayo",
           active=False),
    # UGEL Piura
    DemoIE("0454215-0", "IE San Miguel", "UGEL-PIURA", SEC, EBR, PUB, "Piura"),
    DemoIE("0453910-0", "IE N.° 14013 Nuestra Señora de Fátima", "UGEL-PIURA", PRI, EBR, PUB, "Piura"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    dni: str
    role: str
    unit: str
    nivel: str = ""


# One officer per role of processes/roles.json, at the units where the procedures meet:
# the AUGUSTO B. LEGUIA IE, its UGEL 03 Breña, its DRE Lima Metropolitana and the fixed
# MINEDU offices. The last two are a second UGEL and IE, to show that a UGEL sees only
# its own work.
USERS = [
    DemoUser("admin.siagie", "Carmen Rosa", "Villanueva Huamán", "70000103", "administrador_siagie", "MINEDU-UE"),
    DemoUser("coordinador.siagie", "Jorge Luis", "Mendoza Castillo", "70000102", "coordinador_siagie_minedu",
             "MINEDU-UE"),
    DemoUser("especialista.minedu", "Lucía Fernanda", "Paredes Rojas", "70000101", "especialista_siagie_minedu",
             "MINEDU-UE"),
    DemoUser("agente.central", "Miguel Ángel", "Quispe Condori", "70000104", "agente_central_atencion",
             "MINEDU-OTIC"),
    DemoUser("usau.otic", "Patricia Elena", "Salazar Torres", "70000105", "usau_otic", "MINEDU-OTIC"),
    DemoUser("mesa.ayuda", "Renato Javier", "Flores Chávez", "70000106", "agente_mesa_ayuda", "MINEDU-OTIC"),
    DemoUser("oficial.oaciged", "Gladys Marina", "Ramos Cárdenas", "70000107", "oficial_oaciged", "MINEDU-OACIGED"),
    DemoUser("especialista.drelm", "Óscar Alberto", "Gutiérrez Vega", "70000108", "especialista_siagie_dre",
             "DRE-LIMA-METROPOLITANA"),
    DemoUser("estadistico.drelm", "Rocío del Pilar", "Medina Soto", "70000109", "estadistico_dre",
             "DRE-LIMA-METROPOLITANA"),
    DemoUser("especialista.ugel03", "Luis Alberto", "Cáceres Espinoza", "70000110", "especialista_siagie_ugel",
             "UGEL-03"),
    DemoUser("secundaria.ugel03", "Milagros Isabel", "Díaz Cruz", "70000111", "especialista_nivel_educativo",
             "UGEL-03", nivel=SEC),
    DemoUser("estadistico.ugel03", "Fernando José", "Aguilar Palomino", "70000112", "estadistico_ugel", "UGEL-03"),
    DemoUser("actas.ugel03", "Silvia Janet", "Castro Mamani", "70000113", "especialista_actas_certificados",
             "UGEL-03"),
    DemoUser("director.leguia", "Víctor Raúl", "Chumpitaz Ríos", "70000114", "director_ie", "0584714-0"),
    DemoUser("docente.leguia", "Ana María", "Huamaní Ccori", "70000115", "personal_ie", "0584714-0"),
    DemoUser("especialista.ugel04", "Julio César", "Ramírez Loayza", "70000116", "especialista_siagie_ugel",
             "UGEL-04"),
    DemoUser("director.wiesse", "Rosa Elvira", "Tapia Morales", "70000117", "director_ie", "0494989-0"),
    # Section VI signatories of the oficios (seed 003): they request DRE/UGEL accounts.
    DemoUser("director.drelm", "Hugo Enrique", "Salinas Paucar", "70000118", "director_dre",
             "DRE-LIMA-METROPOLITANA"),
    DemoUser("jefe.agp.drelm", "Marleny", "Valdivia Ortiz", "70000119", "jefe_area_dre", "DRE-LIMA-METROPOLITANA"),
    DemoUser("director.ugel03", "Carlos Alfredo", "Benavides Lazo", "70000120", "director_ugel", "UGEL-03"),
    DemoUser("jefe.agp.ugel03", "Teresa Jesús", "Molina Arce", "70000121", "jefe_area_ugel", "UGEL-03"),
]


# --- units ----------------------------------------------------------------------------------


def _unit_specs() -> list[dict[str, Any]]:
    """Every demo unit as the field values it must have, parents before children."""
    blank_ie = {"codigo_modular": "", "anexo": "", "nivel": "", "modalidad": "", "gestion": "", "district": ""}
    specs: list[dict[str, Any]] = [
        {"code": MINEDU[0], "name": MINEDU[1], "kind": UnitKind.MINEDU, "parent": None, **blank_ie}]
    specs += [{"code": c, "name": n, "kind": UnitKind.MINEDU_OFFICE, "parent": MINEDU[0], **blank_ie}
              for c, n in MINEDU_OFFICES]
    specs += [{"code": c, "name": n, "kind": UnitKind.DRE, "parent": MINEDU[0], **blank_ie} for c, n in DRES]
    specs += [{"code": c, "name": n, "kind": UnitKind.UGEL, "parent": dre, **blank_ie} for c, n, dre in UGELS]
    specs += [{"code": ie.code, "name": ie.name, "kind": UnitKind.IE, "parent": ie.ugel,
               "codigo_modular": ie.codigo_modular, "anexo": ie.anexo, "nivel": ie.nivel,
               "modalidad": ie.modalidad, "gestion": ie.gestion, "district": ie.district, "active": ie.active}
              for ie in IES]
    for spec in specs:
        spec.setdefault("active", True)
    return specs


def _seed_units(report: SeedReport) -> dict[str, OrgUnit]:
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=[s["code"] for s in _unit_specs()])}
    for spec in _unit_specs():
        values = dict(spec)
        parent_code = values.pop("parent")
        parent = units[parent_code] if parent_code else None
        unit = units.get(spec["code"])
        if unit is not None and unit.parent_id == (parent.pk if parent else None) and all(
                getattr(unit, k) == v for k, v in values.items()):
            continue
        creating = unit is None
        if unit is None:
            unit = OrgUnit()
        for key, value in values.items():
            setattr(unit, key, value)
        unit.parent = parent
        units[spec["code"]] = services.unit_save(unit=unit, by=None)
        if creating:
            report.units_created += 1
        else:
            report.units_updated += 1
    return units


# --- people -------------------------------------------------------------------------------


def _seed_user(spec: DemoUser, password: str, report: SeedReport):
    User = get_user_model()
    wanted = {"first_name": spec.first_name, "last_name": spec.last_name,
              "email": f"{spec.username}@{DEMO_EMAIL_DOMAIN}", "is_active": True}
    user = User.objects.filter(username=spec.username).first()
    if user is None:
        user = User(username=spec.username, **wanted)
        user.set_password(password)
        user.save()
        report.users_created += 1
    else:
        changed = [k for k, v in wanted.items() if getattr(user, k) != v]
        for key in changed:
            setattr(user, key, wanted[key])
        # Reset a changed password, so the printed login always works; an unchanged one
        # is left alone (re-hashing it would rewrite the row on every run).
        if not user.check_password(password):
            user.set_password(password)
            changed.append("password")
        if changed:
            user.save(update_fields=changed)
            report.users_updated += 1
    person = Person.objects.filter(user=user).first()
    if person is None:
        Person.objects.create(user=user, document_type=Person.DocType.DNI, document_number=spec.dni)
    elif (person.document_type, person.document_number) != (Person.DocType.DNI, spec.dni):
        person.document_type, person.document_number = Person.DocType.DNI, spec.dni
        person.save(update_fields=["document_type", "document_number"])
    return user


def _seed_position(spec: DemoUser, user, units: dict[str, OrgUnit], report: SeedReport) -> None:
    role = Role.objects.get(code=spec.role)
    unit = units[spec.unit]
    active = Position.objects.filter(role=role, unit=unit, nivel=spec.nivel, until__isnull=True)
    if active.filter(user=user).exists():
        return
    if role.one_holder and active.exists():
        # Someone took the demo officer's one-holder post in an earlier session: hand it
        # back, audited like any replacement, so the printed logins stay true.
        services.position_replace(unit=unit, role=role, user=user, by=None, reason=DEMO_REASON, nivel=spec.nivel)
    else:
        services.position_assign(user=user, role=role, unit=unit, by=None, reason=DEMO_REASON, nivel=spec.nivel)
    report.positions_created += 1


# --- entry point --------------------------------------------------------------------------


def seed(run: DemoRun) -> None:
    """Create or restore the demo org tree and its officers, and put the officers in
    `run.users` by username. Rows that already match are not touched. Call inside a
    transaction."""
    report, password, users = run.report, run.password, run.users
    units = _seed_units(report)
    for spec in USERS:
        users[spec.username] = user = _seed_user(spec, password, report)
        _seed_position(spec, user, units, report)
        role_name = Role.objects.values_list("name", flat=True).get(code=spec.role)
        where = f"{units[spec.unit].name} ({spec.unit})"
        report.logins.append((spec.username, role_name + (f" ({spec.nivel})" if spec.nivel else ""), where))
