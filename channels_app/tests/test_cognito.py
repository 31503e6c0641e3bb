"""Cognito protocol layer against a real local HTTP server posing as Cognito.

Plain pytest, no Django settings: run with `-p no:django`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from channels_app.auth import cognito
from channels_app.auth.cognito import (
    CognitoConfig,
    CognitoError,
    authorize_url,
    exchange_code,
    logout_url,
    new_pkce_pair,
    new_state,
    pkce_challenge,
    verify_id_token,
)

CLIENT_ID = "client-abc123"
CLIENT_SECRET = "s3cret-do-not-leak"
REDIRECT_URI = "http://testserver/auth/callback/"
LOGOUT_URI = "http://testserver/"
PRIMARY_KID = "primary-kid"


def make_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(private_key: rsa.RSAPrivateKey, kid: str) -> dict:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class FakeCognito:
    """State behind the local server; reset before every test."""

    def __init__(self, base_url: str, primary_key: rsa.RSAPrivateKey) -> None:
        self.base_url = base_url
        self.primary_key = primary_key
        self.reset()

    def reset(self) -> None:
        self.jwks = {"keys": [public_jwk(self.primary_key, PRIMARY_KID)]}
        self.jwks_fetches = 0
        self.token_status = 200
        self.token_body = {
            "id_token": "the-id-token",
            "access_token": "the-access-token",
            "refresh_token": "the-refresh-token",
            "expires_in": 3600,
            "token_type": "Bearer",
        }
        self.token_requests: list[dict] = []


def make_handler(fake: FakeCognito) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # keep pytest output clean
            pass

        def _send_json(self, status: int, body: dict) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self):
            if self.path.endswith("/.well-known/jwks.json"):
                fake.jwks_fetches += 1
                self._send_json(200, fake.jwks)
            else:
                self._send_json(404, {"error": "not_found"})

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            if self.path != "/oauth2/token":
                self._send_json(404, {"error": "not_found"})
                return
            fake.token_requests.append(
                {
                    "authorization": self.headers.get("Authorization"),
                    "content_type": self.headers.get("Content-Type"),
                    "form": {k: v[0] for k, v in parse_qs(body).items()},
                }
            )
            self._send_json(fake.token_status, fake.token_body)

    return Handler


@pytest.fixture(scope="module")
def primary_key():
    return make_rsa_key()


@pytest.fixture(scope="module")
def fake_server(primary_key):
    fake = FakeCognito("", primary_key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(fake))
    fake.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def fake(fake_server):
    fake_server.reset()
    cognito.clear_jwks_cache()
    yield fake_server
    cognito.clear_jwks_cache()


def make_config(fake: FakeCognito, **overrides) -> CognitoConfig:
    values = {
        "region": "eu-west-1",
        "user_pool_id": "eu-west-1_TestPool",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "domain": fake.base_url,
        "redirect_uri": REDIRECT_URI,
        "logout_redirect_uri": LOGOUT_URI,
        # jwks_url keeps its default, so the `{issuer}/.well-known/...` rule is used.
        "issuer": f"{fake.base_url}/eu-west-1_TestPool",
        "http_timeout": 5,
    }
    values.update(overrides)
    return CognitoConfig(**values)


def make_claims(config: CognitoConfig, **overrides) -> dict:
    now = int(time.time())
    claims = {
        "sub": "0b7f3c1e-1111-2222-3333-444455556666",
        "iss": config.issuer,
        "aud": config.client_id,
        "token_use": "id",
        "email": "ada@example.com",
        "email_verified": True,
        "name": "Ada Lovelace",
        "cognito:username": "ada",
        "cognito:groups": [],
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def sign(claims: dict, key: rsa.RSAPrivateKey, kid: str = PRIMARY_KID) -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


class TestPkce:
    def test_challenge_matches_rfc7636_example(self):
        """S256 challenge equals the RFC 7636 appendix B vector."""
        verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    def test_new_pair_is_64_unreserved_chars_and_consistent(self):
        """A fresh verifier is 64 URL-safe chars, random, and its challenge is its S256."""
        verifier, challenge = new_pkce_pair()
        assert len(verifier) == 64
        assert set(verifier) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
        )
        expected = b64url(hashlib.sha256(verifier.encode()).digest())
        assert challenge == expected
        assert new_pkce_pair()[0] != verifier
        assert new_state() != new_state()


class TestUrls:
    def test_authorize_url_carries_code_flow_and_pkce_params(self, fake):
        """The authorize URL targets /oauth2/authorize with every code+PKCE parameter."""
        config = make_config(fake)
        url = authorize_url(config, state="st-1", code_challenge="ch-1")
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == fake.base_url
        assert parts.path == "/oauth2/authorize"
        assert {k: v for k, v in parse_qs(parts.query).items()} == {
            "response_type": ["code"],
            "client_id": [CLIENT_ID],
            "redirect_uri": [REDIRECT_URI],
            "scope": ["openid email profile"],
            "state": ["st-1"],
            "code_challenge": ["ch-1"],
            "code_challenge_method": ["S256"],
        }

    def test_logout_url_names_client_and_logout_uri(self, fake):
        """The logout URL hits /logout with client_id and the allowed logout_uri."""
        parts = urlsplit(logout_url(make_config(fake)))
        assert parts.path == "/logout"
        assert parse_qs(parts.query) == {
            "client_id": [CLIENT_ID],
            "logout_uri": [LOGOUT_URI],
        }

    def test_config_defaults_follow_cognito_layout(self):
        """Issuer and JWKS URL default to the cognito-idp layout; the secret stays out of repr."""
        config = CognitoConfig(
            region="eu-west-1",
            user_pool_id="eu-west-1_Abc",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            domain="https://x.auth.eu-west-1.amazoncognito.com/",
            redirect_uri=REDIRECT_URI,
            logout_redirect_uri=LOGOUT_URI,
        )
        assert config.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc"
        assert config.jwks_url == f"{config.issuer}/.well-known/jwks.json"
        assert config.domain == "https://x.auth.eu-west-1.amazoncognito.com"
        assert CLIENT_SECRET not in repr(config)


class TestExchangeCode:
    def test_confidential_client_uses_basic_auth(self, fake):
        """A client with a secret posts a form with Basic auth, the verifier and redirect URI."""
        tokens = exchange_code(make_config(fake), code="auth-code-1", code_verifier="v" * 64)
        assert tokens["id_token"] == "the-id-token"
        assert tokens["refresh_token"] == "the-refresh-token"
        [sent] = fake.token_requests
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        assert sent["authorization"] == f"Basic {expected}"
        assert sent["content_type"] == "application/x-www-form-urlencoded"
        assert sent["form"] == {
            "grant_type": "authorization_code",
            "code": "auth-code-1",
            "code_verifier": "v" * 64,
            "redirect_uri": REDIRECT_URI,
        }

    def test_public_client_sends_client_id_in_body(self, fake):
        """Without a secret there is no Authorization header and client_id goes in the form."""
        exchange_code(make_config(fake, client_secret=""), code="c", code_verifier="v" * 64)
        [sent] = fake.token_requests
        assert sent["authorization"] is None
        assert sent["form"]["client_id"] == CLIENT_ID

    def test_invalid_grant_raises_readable_error_without_secrets(self, fake):
        """A 400 invalid_grant becomes a CognitoError naming the error but not code or secret."""
        fake.token_status = 400
        fake.token_body = {
            "error": "invalid_grant",
            "error_description": "code=auth-code-2",
        }
        with pytest.raises(CognitoError, match="invalid_grant") as excinfo:
            exchange_code(make_config(fake), code="auth-code-2", code_verifier="v" * 64)
        message = str(excinfo.value)
        assert "400" in message
        assert "auth-code-2" not in message and CLIENT_SECRET not in message

    def test_success_without_id_token_raises(self, fake):
        """A 200 response lacking id_token is refused rather than returned."""
        fake.token_body = {"access_token": "a", "expires_in": 3600}
        with pytest.raises(CognitoError, match="no id_token"):
            exchange_code(make_config(fake), code="c", code_verifier="v" * 64)


class TestVerifyIdToken:
    @pytest.mark.parametrize(
        ("groups", "is_admin", "is_moderator"),
        [
            (["admin"], True, False),
            (["moderator", "beta"], False, True),
            ([], False, False),
        ],
    )
    def test_valid_token_maps_claims_and_groups(
        self, fake, primary_key, groups, is_admin, is_moderator
    ):
        """A well-formed ID token yields the identity, with roles taken from cognito:groups."""
        config = make_config(fake)
        token = sign(make_claims(config, **{"cognito:groups": groups}), primary_key)
        identity = verify_id_token(config, token)
        assert identity.sub == "0b7f3c1e-1111-2222-3333-444455556666"
        assert identity.email == "ada@example.com"
        assert identity.email_verified is True
        assert identity.name == "Ada Lovelace"
        assert identity.groups == tuple(groups)
        assert (identity.is_admin, identity.is_moderator) == (is_admin, is_moderator)

    def test_expiry_allows_only_a_small_leeway(self, fake, primary_key):
        """A token seconds past exp still verifies; one past the leeway is expired."""
        config = make_config(fake)
        claims = make_claims(config)
        token = sign(claims, primary_key)
        verify_id_token(config, token, now=claims["exp"] + 5)
        with pytest.raises(CognitoError, match="token expired"):
            verify_id_token(config, token, now=claims["exp"] + cognito.CLOCK_LEEWAY_SECONDS + 1)

    def test_rotated_key_is_fetched_once_on_unknown_kid(self, fake, primary_key, monkeypatch):
        """A kid missing from the cached JWKS triggers exactly one refetch that finds it."""
        monkeypatch.setattr(cognito, "JWKS_REFRESH_COOLDOWN_SECONDS", 0)
        config = make_config(fake)
        verify_id_token(config, sign(make_claims(config), primary_key))
        assert fake.jwks_fetches == 1
        new_key = make_rsa_key()
        fake.jwks["keys"].append(public_jwk(new_key, "rotated-kid"))
        identity = verify_id_token(config, sign(make_claims(config), new_key, kid="rotated-kid"))
        assert identity.sub
        assert fake.jwks_fetches == 2


class TestVerifyIdTokenRejects:
    def test_wrong_issuer(self, fake, primary_key):
        """A token from another user pool is rejected as wrong issuer."""
        config = make_config(fake)
        token = sign(make_claims(config, iss=f"{fake.base_url}/eu-west-1_Other"), primary_key)
        with pytest.raises(CognitoError, match="wrong issuer"):
            verify_id_token(config, token)

    def test_wrong_audience(self, fake, primary_key):
        """A token minted for another app client is rejected as wrong audience."""
        config = make_config(fake)
        token = sign(make_claims(config, aud="some-other-client"), primary_key)
        with pytest.raises(CognitoError, match="wrong audience"):
            verify_id_token(config, token)

    def test_access_token(self, fake, primary_key):
        """An otherwise valid token with token_use=access is not accepted as an ID token."""
        config = make_config(fake)
        token = sign(make_claims(config, token_use="access"), primary_key)
        with pytest.raises(CognitoError, match="not an ID token"):
            verify_id_token(config, token)

    def test_expired(self, fake, primary_key):
        """A token whose exp passed an hour ago is rejected as expired."""
        config = make_config(fake)
        past = int(time.time()) - 7200
        token = sign(make_claims(config, iat=past, exp=past + 3600), primary_key)
        with pytest.raises(CognitoError, match="token expired"):
            verify_id_token(config, token)

    def test_unknown_kid(self, fake, primary_key):
        """A token signed by a key not in the JWKS is rejected as unknown signing key."""
        config = make_config(fake)
        verify_id_token(config, sign(make_claims(config), primary_key))
        token = sign(make_claims(config), make_rsa_key(), kid="attacker-kid")
        with pytest.raises(CognitoError, match="unknown signing key"):
            verify_id_token(config, token)

    def test_other_key_reusing_known_kid(self, fake):
        """A foreign key claiming the real kid fails signature verification."""
        config = make_config(fake)
        token = sign(make_claims(config), make_rsa_key(), kid=PRIMARY_KID)
        with pytest.raises(CognitoError, match="bad signature"):
            verify_id_token(config, token)

    def test_hs256_with_public_key_as_secret(self, fake, primary_key):
        """Algorithm confusion (HS256 keyed with the RSA public key) is refused."""
        config = make_config(fake)
        pem = primary_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": PRIMARY_KID}).encode())
        payload = b64url(json.dumps(make_claims(config)).encode())
        signing_input = f"{header}.{payload}".encode()
        signature = b64url(hmac.new(pem, signing_input, hashlib.sha256).digest())
        with pytest.raises(CognitoError, match="unsupported signing algorithm"):
            verify_id_token(config, f"{header}.{payload}.{signature}")

    def test_tampered_payload(self, fake, primary_key):
        """Swapping in a payload that grants admin breaks the signature."""
        config = make_config(fake)
        header, _, signature = sign(make_claims(config), primary_key).split(".")
        forged = b64url(json.dumps(make_claims(config, **{"cognito:groups": ["admin"]})).encode())
        with pytest.raises(CognitoError, match="bad signature"):
            verify_id_token(config, f"{header}.{forged}.{signature}")

    def test_missing_sub(self, fake, primary_key):
        """A correctly signed token without sub is rejected."""
        config = make_config(fake)
        token = sign(make_claims(config, sub=None), primary_key)
        with pytest.raises(CognitoError, match="missing claim sub"):
            verify_id_token(config, token)
