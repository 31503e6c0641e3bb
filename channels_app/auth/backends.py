"""The sign-in backend chosen by ``AUTH_BACKEND``: local passwords or Cognito managed login."""

from functools import cache

from django.conf import settings

from channels_app.auth.cognito import CognitoConfig


@cache
def cognito_config() -> CognitoConfig:
    site = settings.SITE_URL.rstrip("/")
    return CognitoConfig(
        region=settings.COGNITO_REGION,
        user_pool_id=settings.COGNITO_USER_POOL_ID,
        client_id=settings.COGNITO_CLIENT_ID,
        client_secret=settings.COGNITO_CLIENT_SECRET,
        domain=settings.COGNITO_DOMAIN,
        redirect_uri=f"{site}/accounts/cognito/callback/",
        logout_redirect_uri=f"{site}/",
        issuer=settings.COGNITO_ISSUER,
        jwks_url=settings.COGNITO_JWKS_URL,
    )


def uses_cognito() -> bool:
    return settings.AUTH_BACKEND == "cognito"
