from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from .conf import max_bpmn_bytes


class DeployUploadForm(forms.Form):
    bpmn_file = forms.FileField(
        label=_("Archivo BPMN"),
        help_text=_("Un archivo .bpmn (BPMN 2.0 XML). Si el contenido no cambió, no se crea una versión nueva."),
    )

    def clean_bpmn_file(self) -> UploadedFile[Any]:
        upload: UploadedFile[Any] = self.cleaned_data["bpmn_file"]
        limit = max_bpmn_bytes()
        # A FileField's cleaned upload always has a name and a size.
        name, size = upload.name or "", upload.size or 0
        if not name.lower().endswith((".bpmn", ".xml")):
            raise forms.ValidationError(_("El archivo debe tener extensión .bpmn o .xml."))
        if size > limit:
            raise forms.ValidationError(
                _("El archivo pesa %(size)s bytes; el máximo es %(limit)s bytes.")
                % {"size": f"{size:,}", "limit": f"{limit:,}"}
            )
        return upload
