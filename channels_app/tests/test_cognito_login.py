"""Cognito managed login through the views: PKCE redirect, callback, user upsert by sub,
admin role from groups, and refusal of a forged state — against a local JWKS/token server."""

from urllib.parse import parse_qs, urlsplit

import pytest

from channels_app.auth import backends
from channels_app.selectors import user_get
from channels_app.tests.test_cognito import (  # the local Cognito stand-in and key
    fake,  # noqa: F401 - fixture
    fake_server,  # noqa: F401 - fixture
    make_claims,
    primary_key,  # noqa: F401 - fixture
    sign,
)


@pytest.fixture
def cognito_settings(settings, fake):  # noqa: F811
    settings.AUTH_BACKEND = "cognito"
    settings.COGNITO_REGION = "eu-west-1"
    settings.COGNITO_USER_POOL_ID = "eu-west-1_TestPool"
    settings.COGNITO_CLIENT_ID = "client-abc123"
    settings.COGNITO_CLIENT_SECRET = "s3cret-do-not-leak"
    settings.COGNITO_DOMAIN = fake.base_url
    settings.COGNITO_ISSUER = f"{fake.base_url}/eu-west-1_TestPool"
    settings.COGNITO_JWKS_URL = ""
    backends.cognito_config.cache_clear()
    yield fake
    backends.cognito_config.cache_clear()


def start_login(client):
    response = client.get("/accounts/login/?next=/studio/")
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    return query


class TestCognitoLogin:
    def test_login_redirects_with_pkce(self, client, cognito_settings):
        """/accounts/login/ sends the browser to managed login with S256 PKCE and a state."""
        query = start_login(client)
        assert query["response_type"] == ["code"] and query["code_challenge_method"] == ["S256"]
        assert query["client_id"] == ["client-abc123"] and query["state"][0]

    def test_callback_signs_in_and_maps_groups(self, client, cognito_settings, primary_key):  # noqa: F811
        """The callback exchanges the code, verifies the ID token, upserts the user by sub
        with the admin role from cognito:groups, and signs them in."""
        query = start_login(client)
        config = backends.cognito_config()
        sub = "sub-" + query["state"][0][:8]
        cognito_settings.token_body["id_token"] = sign(
            make_claims(
                config, sub=sub, email=f"{sub}@example.com", **{"cognito:groups": ["admin"]}
            ),
            primary_key,
        )
        response = client.get(f"/accounts/cognito/callback/?code=abc&state={query['state'][0]}")
        assert response.status_code == 302 and response["Location"] == "/studio/"
        sent = cognito_settings.token_requests[-1]["form"]
        assert sent["code_verifier"] and sent["grant_type"] == "authorization_code"
        user = user_get(f"cognito-{sub}")
        assert user is not None and user.is_admin and user.password_hash is None
        assert client.get("/studio/").status_code == 200

    def test_forged_state_is_refused(self, client, cognito_settings):
        """A callback whose state does not match the session signs nobody in."""
        start_login(client)
        response = client.get("/accounts/cognito/callback/?code=abc&state=forged")
        assert response.status_code == 302 and response["Location"] == "/"
        assert client.get("/studio/").status_code == 302
        assert cognito_settings.token_requests == []

    def test_bad_token_is_refused(self, client, cognito_settings, primary_key):  # noqa: F811
        """An expired ID token from the token endpoint signs nobody in and says why."""
        query = start_login(client)
        config = backends.cognito_config()
        cognito_settings.token_body["id_token"] = sign(
            make_claims(config, exp=1, iat=0), primary_key
        )
        response = client.get(
            f"/accounts/cognito/callback/?code=abc&state={query['state'][0]}", follow=True
        )
        assert b"Sign-in failed" in response.content
        assert client.get("/studio/").status_code == 302
