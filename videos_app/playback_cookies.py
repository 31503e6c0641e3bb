"""CloudFront signed cookies for a video's folder: how production plays videos.

With ``PLAYBACK_SIGNED_COOKIES`` the watch page sets ``CloudFront-Policy``,
``CloudFront-Signature`` and ``CloudFront-Key-Pair-Id``: a custom policy for
``https://<CLOUDFRONT_DOMAIN>/<folder>/*``, the master playlist's folder (renditions,
segments, poster). The player then reads playlists and segments from the CDN with
credentials, as plain URLs the CDN caches; the app signs nothing per segment or request.

The cookies' path is the folder, so two videos open in two tabs keep a grant each and
the site itself never receives them. Their domain is ``PLAYBACK_COOKIE_DOMAIN``, the
parent of the site and the CDN (``.example.com`` for ``media.example.com``): cookies
cannot be set for ``*.cloudfront.net``, so the CDN needs a name on the site's domain.
Same-site, so ``SameSite=Lax`` reaches it.
"""

import base64

from django.conf import settings
from django.utils.encoding import filepath_to_uri

from videoplatform.storage import (
    cloudfront_signer,
    media_storage,
    media_url_window_s,
    signing_time,
    utc,
)

COOKIE_NAMES = ("CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id")
_CLOUDFRONT_B64 = str.maketrans("+=/", "-_~")


def enabled() -> bool:
    return bool(settings.PLAYBACK_SIGNED_COOKIES)


def cdn_url(key: str) -> str:
    return f"https://{settings.CLOUDFRONT_DOMAIN}/{filepath_to_uri(key)}"


def refresh_every_s() -> int:
    """How often the player renews its cookies; each grant is good for a window more."""
    return max(1, media_url_window_s() // 2)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").translate(_CLOUDFRONT_B64)


def signed_cookies(folder: str) -> tuple[dict[str, str], int]:
    """The cookie values that grant ``folder`` and when they expire (Unix seconds), valid
    for at least one window more. Signed once per window and process: every viewer of
    the video in the window gets the same."""
    window = media_url_window_s()
    index = int(signing_time() // window)
    memo = media_storage().signed
    grant = memo.get(("cookies", folder, index))
    if grant is None:
        expires_at = (index + 2) * window
        signer = cloudfront_signer()
        policy = signer.build_policy(cdn_url(folder) + "/*", utc(expires_at)).encode()
        values = {
            "CloudFront-Policy": _b64(policy),
            "CloudFront-Signature": _b64(signer.rsa_signer(policy)),
            "CloudFront-Key-Pair-Id": signer.key_id,
        }
        grant = (values, expires_at)
        memo.put(("cookies", folder, index), grant)
    return grant


def set_cookies(response, *, folder: str) -> None:
    values, expires_at = signed_cookies(folder)
    max_age = max(1, int(expires_at - signing_time()))
    for name, value in values.items():
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=f"/{filepath_to_uri(folder)}/",
            domain=settings.PLAYBACK_COOKIE_DOMAIN,
            secure=True,
            httponly=True,
            samesite="Lax",
        )
