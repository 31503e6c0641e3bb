"""Cognito managed login: PKCE authorization-code flow and ID token checks.

Pure protocol code with no Django imports, so the views and the auth backend
can stay thin and this module can be tested against a local fake Cognito.
Tokens and secrets never appear in log lines or error messages.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlencode

import jwt
import requests

from videoplatform.errors import ApplicationError

logger = logging.getLogger(__name__)

# Cognito ID tokens are RS256 only; anything else in the header is refused
# before a key is even looked up (stops alg=none and HS256 key confusion).
ALLOWED_ALGORITHMS = ("RS256",)
CLOCK_LEEWAY_SECONDS = 30
# Cognito rotates its signing keys rarely; an unknown kid forces a refetch,
# but at most once per cooldown so random kids cannot hammer the endpoint.
JWKS_CACHE_SECONDS = 3600
JWKS_REFRESH_COOLDOWN_SECONDS = 30


class CognitoError(ApplicationError):
    """Login could not complete; the message is safe to log and show."""


@dataclass(frozen=True, kw_only=True)
class CognitoConfig:
    region: str
    user_pool_id: str
    client_id: str
    domain: str
    redirect_uri: str
    logout_redirect_uri: str
    client_secret: str = field(default="", repr=False)
    scopes: str = "openid email profile"
    issuer: str = ""
    jwks_url: str = ""
    admin_group: str = "admin"
    moderator_group: str = "moderator"
    http_timeout: float = 5.0

    def __post_init__(self) -> None:
        # Frozen, so derived defaults are filled in through object.__setattr__.
        object.__setattr__(self, "domain", self.domain.rstrip("/"))
        issuer = (
            self.issuer or f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"
        ).rstrip("/")
        object.__setattr__(self, "issuer", issuer)
        if not self.jwks_url:
            object.__setattr__(self, "jwks_url", f"{issuer}/.well-known/jwks.json")


@dataclass(frozen=True)
class CognitoIdentity:
    sub: str
    email: str
    email_verified: bool
    name: str
    groups: tuple[str, ...]
    is_admin: bool
    is_moderator: bool


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_challenge(code_verifier: str) -> str:
    """S256 code challenge for a verifier (RFC 7636 section 4.2)."""
    return _b64url(hashlib.sha256(code_verifier.encode("ascii")).digest())


def new_pkce_pair() -> tuple[str, str]:
    """Return (code_verifier, code_challenge); the verifier is 64 URL-safe chars."""
    verifier = secrets.token_urlsafe(48)  # 48 bytes -> 64 base64url characters
    return verifier, pkce_challenge(verifier)


def new_state() -> str:
    return secrets.token_urlsafe(32)


def authorize_url(config: CognitoConfig, *, state: str, code_challenge: str) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": config.client_id,
            "redirect_uri": config.redirect_uri,
            "scope": config.scopes,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{config.domain}/oauth2/authorize?{query}"


def logout_url(config: CognitoConfig) -> str:
    query = urlencode({"client_id": config.client_id, "logout_uri": config.logout_redirect_uri})
    return f"{config.domain}/logout?{query}"


def _oauth_error_code(response: requests.Response) -> str:
    # Only the RFC 6749 error code is echoed; error_description is free text
    # from the server and is left out of messages on purpose.
    try:
        code = response.json().get("error", "")
    except (ValueError, AttributeError):
        return ""
    return code if isinstance(code, str) and re.fullmatch(r"[a-z_]{1,64}", code) else ""


def exchange_code(config: CognitoConfig, *, code: str, code_verifier: str) -> dict:
    """Trade an authorization code for tokens at the Cognito token endpoint."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": config.redirect_uri,
        "code_verifier": code_verifier,
    }
    auth = None
    if config.client_secret:
        auth = (config.client_id, config.client_secret)
    else:
        data["client_id"] = config.client_id
    try:
        response = requests.post(
            f"{config.domain}/oauth2/token",
            data=data,
            auth=auth,
            headers={"Accept": "application/json"},
            timeout=config.http_timeout,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise CognitoError(f"token endpoint unreachable ({type(exc).__name__})") from None
    if response.status_code != 200:
        error = _oauth_error_code(response)
        logger.warning("Cognito token endpoint returned %s %s", response.status_code, error)
        detail = f": {error}" if error else ""
        raise CognitoError(f"token exchange failed (HTTP {response.status_code}{detail})")
    try:
        tokens = response.json()
    except ValueError:
        raise CognitoError("token endpoint returned invalid JSON") from None
    if not isinstance(tokens, dict) or not tokens.get("id_token"):
        raise CognitoError("token endpoint response has no id_token")
    return tokens


@lru_cache(maxsize=8)
def _jwks_client(url: str, timeout: float) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(
        url,
        lifespan=JWKS_CACHE_SECONDS,
        timeout=timeout,
        cooldown_duration=JWKS_REFRESH_COOLDOWN_SECONDS,
    )


def clear_jwks_cache() -> None:
    """Forget every cached key set (after a forced key rotation, or in tests)."""
    _jwks_client.cache_clear()


def _signing_key(config: CognitoConfig, kid: str):
    try:
        return _jwks_client(config.jwks_url, config.http_timeout).get_signing_key(kid).key
    except jwt.PyJWKClientConnectionError:
        raise CognitoError("signing keys unavailable") from None
    except jwt.PyJWKClientError:
        raise CognitoError("unknown signing key") from None
    except jwt.PyJWKSetError:
        raise CognitoError("signing key set is invalid") from None


def _timestamp(now: float | datetime | None) -> float:
    if now is None:
        return time.time()
    return now.timestamp() if isinstance(now, datetime) else float(now)


def _as_bool(value: object) -> bool:
    # Cognito sends email_verified as a JSON bool, some federated IdPs as "true".
    return value is True or (isinstance(value, str) and value.lower() == "true")


def verify_id_token(
    config: CognitoConfig, token: str, *, now: float | datetime | None = None
) -> CognitoIdentity:
    """Check a Cognito ID token's signature and claims and return who it names."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        raise CognitoError("malformed token") from None
    if header.get("alg") not in ALLOWED_ALGORITHMS:
        raise CognitoError("unsupported signing algorithm")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise CognitoError("token has no key id")
    key = _signing_key(config, kid)

    try:
        # Time claims are checked below against `now` so callers and tests
        # can pin the clock; pyjwt would always use the wall clock.
        claims = jwt.decode(
            token,
            key,
            algorithms=list(ALLOWED_ALGORITHMS),
            audience=config.client_id,
            issuer=config.issuer,
            options={
                "require": ["exp", "iss", "aud", "sub", "token_use"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise CognitoError("bad signature") from None
    except jwt.InvalidAudienceError:
        raise CognitoError("wrong audience") from None
    except jwt.InvalidIssuerError:
        raise CognitoError("wrong issuer") from None
    except jwt.MissingRequiredClaimError as exc:
        raise CognitoError(f"missing claim {exc.claim}") from None
    except jwt.InvalidAlgorithmError:
        raise CognitoError("unsupported signing algorithm") from None
    except jwt.DecodeError:
        raise CognitoError("malformed token") from None
    except jwt.InvalidTokenError as exc:
        raise CognitoError(f"invalid token ({type(exc).__name__})") from None

    if claims.get("token_use") != "id":
        raise CognitoError("not an ID token")
    current = _timestamp(now)
    exp = claims["exp"]
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise CognitoError("malformed exp claim")
    if current > exp + CLOCK_LEEWAY_SECONDS:
        raise CognitoError("token expired")
    iat = claims.get("iat")
    if isinstance(iat, (int, float)) and iat > current + CLOCK_LEEWAY_SECONDS:
        raise CognitoError("token issued in the future")
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub:
        raise CognitoError("missing claim sub")

    raw_groups = claims.get("cognito:groups") or []
    if not isinstance(raw_groups, list):
        raw_groups = []
    groups = tuple(g for g in raw_groups if isinstance(g, str))
    email = claims.get("email") or ""
    name = (
        claims.get("name")
        or claims.get("preferred_username")
        or claims.get("cognito:username")
        or email
    )
    return CognitoIdentity(
        sub=sub,
        email=email if isinstance(email, str) else "",
        email_verified=_as_bool(claims.get("email_verified")),
        name=name if isinstance(name, str) else "",
        groups=groups,
        is_admin=config.admin_group in groups,
        is_moderator=config.moderator_group in groups,
    )
