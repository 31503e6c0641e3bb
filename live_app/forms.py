from django import forms

from live_app.services import TITLE_MAX


class GoLiveForm(forms.Form):
    channel_id = forms.ChoiceField(label="Channel")
    title = forms.CharField(label="Title", max_length=TITLE_MAX)

    def __init__(self, *args, channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel_id"].choices = [
            (c.channel_id, f"{c.name} (@{c.handle})") for c in channels
        ]
