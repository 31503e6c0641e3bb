"""Sign-ups through the form and the emailed link, as a person does them.

The link is read from the outbox that pytest-django's locmem email backend fills (the
browser tests' live server runs in the test process, so it fills the same outbox).
"""

import re

from django.core import mail

CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/accounts/signup/confirm/([^/\s]+)/)")


def mails_to(email: str) -> list:
    return [message for message in mail.outbox if email in message.to]


def _last_link(email: str) -> re.Match:
    for message in reversed(mails_to(email)):
        match = CONFIRM_LINK.search(message.body)
        if match:
            return match
    raise AssertionError(f"no sign-up link was mailed to {email}")


def signup_link(email: str) -> str:
    """The path of the confirmation link last mailed to ``email``."""
    return _last_link(email).group(1)


def signup_token(email: str) -> str:
    """The token in the confirmation link last mailed to ``email``."""
    return _last_link(email).group(2)


def sign_up_and_confirm(client, data: dict, **confirm_data):
    """Fill in the sign-up form, then press the button behind the emailed link.

    Returns the confirming POST's response.
    """
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 200, response.content[:500]
    assert "Check your inbox" in response.content.decode()
    email = data["email"].strip().lower()
    return client.post(signup_link(email), confirm_data)
