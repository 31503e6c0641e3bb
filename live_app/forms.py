from django import forms
from django.utils.translation import gettext_lazy as _

from live_app.services import TITLE_MAX


class GoLiveForm(forms.Form):
    channel_id = forms.ChoiceField(label=_("Channel"))
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)

    def __init__(self, *args, channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel_id"].choices = [
            (c.channel_id, f"{c.name} (@{c.handle})") for c in channels
        ]
