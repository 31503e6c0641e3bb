"""Production mode: refuses to start without its required values; check --deploy is clean."""

import os
import secrets
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "tube.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://tube.example.com",
    "AWS_REGION": "eu-west-1",
    "DYNAMODB_TABLE_PREFIX": "prod_",
    "S3_RAW_BUCKET": "tube-raw",
    "S3_MEDIA_BUCKET": "tube-media",
    "EVENTS_WEBHOOK_SECRET": secrets.token_urlsafe(32),
    "SITE_URL": "https://tube.example.com",
    "DEFAULT_FROM_EMAIL": "Tube <no-reply@tube.example.com>",
    "EMAIL_HOST_USER": "ses-smtp-user",
    "EMAIL_HOST_PASSWORD": secrets.token_urlsafe(32),
}


def run_manage(*args, env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "S3_", "DYNAMODB_", "EVENTS_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**clean, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


class TestProductionSettings:
    def test_check_deploy_is_clean(self):
        """With every required value set, `check --deploy` reports no issues."""
        result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "no issues" in result.stdout

    def test_refuses_to_start_without_required_values(self):
        """A missing secret key stops production start-up with a message naming it."""
        env = dict(PRODUCTION_ENV)
        del env["DJANGO_SECRET_KEY"]
        result = run_manage("check", env=env)
        assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr

    def test_every_page_has_a_content_security_policy(self, client):
        """Pages carry a CSP allowing only self and the media origin; no inline script."""
        policy = client.get("/")["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "'unsafe-inline'" not in policy
        assert settings.S3_PUBLIC_ENDPOINT_URL in policy


class TestIvsSettings:
    def test_allowed_values_are_the_ivs_api_s(self):
        """The accepted channel types and latency modes are exactly the enums of IVS
        CreateChannel in the pinned botocore's service model."""
        import botocore.session

        members = (
            botocore.session.get_session()
            .get_service_model("ivs")
            .operation_model("CreateChannel")
            .input_shape.members
        )
        assert set(settings.IVS_CHANNEL_TYPES) == set(members["type"].enum)
        assert set(settings.IVS_LATENCY_MODES) == set(members["latencyMode"].enum)

    def test_unknown_channel_type_stops_start_up(self):
        """IVS_CHANNEL_TYPE=PREMIUM stops the process with a message naming the variable,
        the value and the allowed ones."""
        env = {**PRODUCTION_ENV, "LIVE_BACKEND": "ivs", "IVS_CHANNEL_TYPE": "PREMIUM"}
        result = run_manage("check", env=env)
        assert result.returncode != 0
        assert "IVS_CHANNEL_TYPE='PREMIUM' is not one of: BASIC, STANDARD" in result.stderr

    def test_unknown_latency_mode_stops_start_up(self):
        """A lower-case latency mode is refused too: the API's values are case-sensitive."""
        env = {**PRODUCTION_ENV, "LIVE_BACKEND": "ivs", "IVS_LATENCY_MODE": "low"}
        result = run_manage("check", env=env)
        assert result.returncode != 0
        assert "IVS_LATENCY_MODE='low' is not one of: NORMAL, LOW" in result.stderr

    def test_valid_values_start(self):
        """The IVS backend with an advanced channel type and normal latency starts."""
        env = {
            **PRODUCTION_ENV,
            "LIVE_BACKEND": "ivs",
            "IVS_CHANNEL_TYPE": "ADVANCED_HD",
            "IVS_LATENCY_MODE": "NORMAL",
        }
        result = run_manage("check", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
