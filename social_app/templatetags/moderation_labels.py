"""Words for the moderation pages: report reasons and statuses as people read them (the
stored values stay for code, queries and tests)."""

from django import template
from django.utils.translation import gettext_lazy as _

from social_app.models import ReportStatus, TargetStatus
from social_app.reports import REASONS

register = template.Library()

TARGET_TYPE_LABELS = {"video": _("Video"), "comment": _("Comment"), "channel": _("Channel")}


def _label(labels: dict, value) -> str:
    value = str(value or "")
    return labels.get(value, value.replace("_", " ").capitalize())


def _enum_label(enum, value) -> str:
    try:
        return enum(str(value or "")).label
    except ValueError:
        return _label({}, value)


@register.filter
def report_status_label(value) -> str:
    return _enum_label(ReportStatus, value)


@register.filter
def target_status_label(value) -> str:
    return _enum_label(TargetStatus, value)


@register.filter
def reason_label(value) -> str:
    return _label(REASONS, value)


@register.filter
def target_type_label(value) -> str:
    return _label(TARGET_TYPE_LABELS, value)
