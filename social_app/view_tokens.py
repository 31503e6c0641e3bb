"""The signed token a watch page gives its player, so an anonymous view counts once per
page actually served, with no session written for it (a POST without one counts nothing).
"""

import secrets

from django.core import signing

SALT = "social_app.view"
# A page left open longer than this (a long video paused overnight) counts no view.
MAX_AGE_S = 12 * 3600


def view_token_issue(*, video_id: str) -> str:
    """A token for one page of ``video_id``: its nonce names the anonymous viewer."""
    return signing.dumps({"v": video_id, "n": secrets.token_urlsafe(12)}, salt=SALT)


def view_token_viewer(*, token: str, video_id: str) -> str | None:
    """The viewer a genuine, fresh token for this video names; None otherwise."""
    if not token or len(token) > 300:
        return None
    try:
        value = signing.loads(token, salt=SALT, max_age=MAX_AGE_S)
    except signing.BadSignature:  # tampered, or older than MAX_AGE_S
        return None
    if not isinstance(value, dict) or value.get("v") != video_id:
        return None
    nonce = value.get("n")
    return f"t:{nonce}" if isinstance(nonce, str) and nonce else None
