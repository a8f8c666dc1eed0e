"""Small template helpers for Bootstrap forms and readable durations."""

from datetime import timedelta

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def with_class(field: BoundField, css_class: str) -> SafeString:
    """Renders a form field's widget with Bootstrap classes and accessible error links.

    Django adds aria-describedby for help text itself; when the field has errors we
    name the error block too, so screen readers announce why the value was refused.
    """
    attrs: dict[str, str | bool] = {"class": f"{css_class} is-invalid" if field.errors else css_class}
    if field.errors:
        attrs["aria-invalid"] = "true"
        described_by = [f"{field.auto_id}_error"]
        if field.help_text:
            described_by.append(f"{field.auto_id}_helptext")
        attrs["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs=attrs)


@register.filter
def minutes(value: timedelta | None) -> int:
    """Whole minutes in a timedelta, rounded up (a lockout of 14.5 min shows 15)."""
    if not value:
        return 0
    return max(1, -(-int(value.total_seconds()) // 60))
