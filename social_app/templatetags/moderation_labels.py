"""Words for the moderation pages: report reasons and statuses as people read them (the
stored values stay for code, queries and tests)."""

from django import template
from django.utils.translation import gettext_lazy as _

from social_app.reports import REASONS

register = template.Library()

# A Report's status (social_app.models.Report.status).
REPORT_STATUS_LABELS = {
    "open": _("Open"),
    "dismissed": _("Dismissed"),
    "actioned": _("Action taken"),
}
# A ReportTarget's status (social_app.models.ReportTarget.status).
TARGET_STATUS_LABELS = {
    "open": _("Open"),
    "closed": _("Closed"),
}
TARGET_TYPE_LABELS = {"video": _("Video"), "comment": _("Comment"), "channel": _("Channel")}


def _label(labels: dict, value) -> str:
    value = str(value or "")
    return labels.get(value, value.replace("_", " ").capitalize())


@register.filter
def report_status_label(value) -> str:
    return _label(REPORT_STATUS_LABELS, value)


@register.filter
def target_status_label(value) -> str:
    return _label(TARGET_STATUS_LABELS, value)


@register.filter
def reason_label(value) -> str:
    return _label(REASONS, value)


@register.filter
def target_type_label(value) -> str:
    return _label(TARGET_TYPE_LABELS, value)
