from django import forms
from django.utils.translation import gettext_lazy as _

from videos_app.models import Visibility
from videos_app.services import DESCRIPTION_MAX, TITLE_MAX

VISIBILITY_CHOICES = [
    (Visibility.PUBLIC.value, _("Public")),
    (Visibility.UNLISTED.value, _("Unlisted (anyone with the link)")),
    (Visibility.PRIVATE.value, _("Private (only you)")),
]


class UploadForm(forms.Form):
    channel_id = forms.ChoiceField(label=_("Channel"))
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=DESCRIPTION_MAX,
        required=False,
    )
    visibility = forms.ChoiceField(label=_("Visibility"), choices=VISIBILITY_CHOICES)
    size = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)
    content_type = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)

    def __init__(self, *args, channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel_id"].choices = [
            (c.channel_id, f"{c.name} (@{c.handle})") for c in channels
        ]


class VideoEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=DESCRIPTION_MAX,
        required=False,
    )
    visibility = forms.ChoiceField(label=_("Visibility"), choices=VISIBILITY_CHOICES)
