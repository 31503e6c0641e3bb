from django import forms
from django.utils.translation import gettext_lazy as _

from channels_app.accounts import DISPLAY_NAME_MAX
from channels_app.services import CHANNEL_NAME_MAX, DESCRIPTION_MAX


class SignUpForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    display_name = forms.CharField(label=_("Display name"), max_length=DISPLAY_NAME_MAX)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=256)


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=256)


class ChannelCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=CHANNEL_NAME_MAX)
    handle = forms.CharField(
        label=_("Handle"), max_length=31, help_text=_("3-30 characters: a-z, 0-9, '-' and '_'.")
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=DESCRIPTION_MAX,
        required=False,
    )


class ChannelEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=CHANNEL_NAME_MAX)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=DESCRIPTION_MAX,
        required=False,
    )
