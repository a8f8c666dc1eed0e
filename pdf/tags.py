"""Template tags of the documents (`{% load documents %}` in pdf/templates)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from .qr import qr_svg

register = template.Library()


@register.simple_tag
def qr(text: str) -> SafeString:
    """`{% qr enlace %}`: the QR code of `enlace` as inline SVG; nothing for an empty value."""
    return qr_svg(str(text)) if text else SafeString("")
