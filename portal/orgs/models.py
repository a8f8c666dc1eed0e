"""Offices (org units), the role catalogue and positions: who holds which role where.

The tree is MINEDU → its offices (UE, OTIC/USAU, OACIGED, DIGE) and the DRE → UGEL → IE.
`path` is the materialised path of codes ("/MINEDU/DRE-LIMA-METROPOLITANA/UGEL-03/"),
so "this unit and everything below it" is one prefix query.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.core import identity

# One-holder roles as of processes/roles.json. The database enforces "one active holder
# per unit" with a partial unique index over these codes; a test fails if roles.json
# and this list drift apart (then write a migration changing the constraint).
ONE_HOLDER_ROLES = (
    "director_dre",
    "director_ie",
    "director_ugel",
    "especialista_nivel_educativo",
    "especialista_siagie_dre",
    "especialista_siagie_ugel",
    "estadistico_dre",
    "estadistico_ugel",
)


class UnitKind(models.TextChoices):
    MINEDU = "minedu", _("MINEDU")
    MINEDU_OFFICE = "minedu_office", _("Oficina de MINEDU")
    DRE = "dre", _("DRE")
    UGEL = "ugel", _("UGEL")
    IE = "ie", _("IE")


class Nivel(models.TextChoices):
    INICIAL = "inicial", _("Inicial")
    PRIMARIA = "primaria", _("Primaria")
    SECUNDARIA = "secundaria", _("Secundaria")
    AVANZADO = "avanzado", _("Avanzado")  # EBA ciclo avanzado


class Modalidad(models.TextChoices):
    EBR = "EBR", _("EBR (Básica Regular)")
    EBA = "EBA", _("EBA (Básica Alternativa)")
    EBE = "EBE", _("EBE (Básica Especial)")


class Gestion(models.TextChoices):
    PUBLICA = "publica", _("Pública")
    PRIVADA = "privada", _("Privada")


code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9\-]{0,63}$",
    _("El código solo admite mayúsculas, dígitos y guiones (p. ej. UGEL-03 o 1598333-0)."),
)


class OrgUnit(models.Model):
    code = models.CharField(_("código"), max_length=64, unique=True, validators=[code_validator])
    name = models.CharField(_("nombre"), max_length=200)
    kind = models.CharField(_("tipo"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("depende de")
    )
    path = models.CharField(max_length=400, editable=False, db_index=True)
    # IE only
    codigo_modular = models.CharField(_("código modular"), max_length=identity.CODIGO_MODULAR_LENGTH, blank=True)
    anexo = models.CharField(_("anexo"), max_length=identity.ANEXO_LENGTH, blank=True)
    nivel = models.CharField(_("nivel"), max_length=16, choices=Nivel.choices, blank=True)
    modalidad = models.CharField(_("modalidad"), max_length=3, choices=Modalidad.choices, blank=True)
    gestion = models.CharField(_("gestión"), max_length=8, choices=Gestion.choices, blank=True)
    active = models.BooleanField(_("activa"), default=True, help_text=_("Una IE cerrada queda inactiva."))
    district = models.CharField(_("distrito"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("unidad orgánica")
        verbose_name_plural = _("unidades orgánicas")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["codigo_modular", "anexo"], condition=Q(kind="ie"), name="orgs_ie_codigo_modular_anexo"
            ),
        ]

    def __str__(self) -> str:
        if self.kind == UnitKind.IE:
            return f"{self.name} ({self.code})"
        return self.name

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent is not None else "/"
        return f"{prefix}{self.code}/"

    def ancestor_codes(self) -> list[str]:
        """Codes from the root down to and including this unit."""
        return [c for c in self.path.split("/") if c]

    @property
    def is_ie(self) -> bool:
        return self.kind == UnitKind.IE


class Role(models.Model):
    """A row per entry of processes/roles.json, kept in step after every migrate."""

    code = models.CharField(_("código"), max_length=100, primary_key=True)
    name = models.CharField(_("nombre"), max_length=200)
    unit_level = models.CharField(_("nivel de la unidad"), max_length=16, choices=UnitKind.choices)
    home_unit_code = models.CharField(_("unidad fija"), max_length=64, blank=True)
    one_holder = models.BooleanField(_("un titular por unidad"), default=False)
    per_nivel = models.BooleanField(_("un titular por nivel educativo"), default=False)
    supervises = models.CharField(_("supervisa"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("rol")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Position(models.Model):
    """A person holding a role in a unit from `since` until `until` (open while null)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="positions", verbose_name=_("persona")
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="positions", verbose_name=_("rol"))
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="positions", verbose_name=_("unidad"))
    nivel = models.CharField(_("nivel"), max_length=16, choices=Nivel.choices, blank=True)
    since = models.DateTimeField(_("desde"), default=timezone.now)
    until = models.DateTimeField(_("hasta"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("motivo"), max_length=500, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.CharField(_("motivo del cese"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("cargo")
        verbose_name_plural = _("cargos")
        ordering = ["unit__path", "role_id", "-since"]
        constraints = [
            models.UniqueConstraint(
                fields=["role", "unit", "nivel"],
                condition=Q(until__isnull=True, role__in=ONE_HOLDER_ROLES),
                name="orgs_one_active_holder_per_unit",
                violation_error_message=_("Esta unidad ya tiene un titular activo para este rol."),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "unit", "nivel"],
                condition=Q(until__isnull=True),
                name="orgs_no_duplicate_active_position",
                violation_error_message=_("Esta persona ya ocupa ese cargo en esa unidad."),
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="orgs_position_until_after_since",
            ),
        ]
        indexes = [
            models.Index(fields=["user"], name="orgs_position_active_user", condition=Q(until__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.role} — {self.unit}"

    @property
    def active(self) -> bool:
        return self.until is None


class Person(models.Model):
    """Identity data of a portal user (Ley 29733: shown only to who needs it)."""

    class DocType(models.TextChoices):
        DNI = identity.DNI, _("DNI")
        CE = identity.CE, _("Carné de extranjería")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person")
    document_type = models.CharField(_("tipo de documento"), max_length=4, choices=DocType.choices,
                                     default=identity.DNI)
    document_number = models.CharField(_("número de documento"), max_length=identity.CE_MAX_LENGTH)

    class Meta:
        verbose_name = _("persona")
        verbose_name_plural = _("personas")
        constraints = [
            models.UniqueConstraint(fields=["document_type", "document_number"], name="orgs_person_document"),
        ]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def masked_document(self) -> str:
        return identity.mask_document(self.document_number)
