from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class DeployUploadForm(forms.Form):
    bpmn_file = forms.FileField(
        label=_("Archivo BPMN"),
        help_text=_("Un archivo .bpmn (BPMN 2.0 XML). Si el contenido no cambió, no se crea una versión nueva."),
    )

    def clean_bpmn_file(self):
        upload = self.cleaned_data["bpmn_file"]
        limit = int(settings.ENGINE.get("MAX_BPMN_BYTES", 2 * 1024 * 1024))
        if not upload.name.lower().endswith((".bpmn", ".xml")):
            raise forms.ValidationError(_("El archivo debe tener extensión .bpmn o .xml."))
        if upload.size > limit:
            raise forms.ValidationError(
                _("El archivo pesa %(size)s bytes; el máximo es %(limit)s bytes.")
                % {"size": f"{upload.size:,}", "limit": f"{limit:,}"}
            )
        return upload
