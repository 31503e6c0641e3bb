"""Production mode: refuses to start without its required values; check --deploy is clean.
DEBUG: off unless DJANGO_DEBUG turns it on."""

import json
import os
import secrets
import subprocess
import sys

import pytest
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


def read_settings(*names, env):
    """The named settings as a process started with ``env`` (and no DJANGO_* variables
    of this one) loads them; pytest-django's DEBUG override does not reach it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    script = (
        "import json, sys, django; django.setup(); from django.conf import settings;"
        "print(json.dumps({n: getattr(settings, n) for n in sys.argv[1:]}, default=str))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *names],
        env={**clean, "DJANGO_SETTINGS_MODULE": "videoplatform.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


class TestDebugSetting:
    def test_off_by_default_locally(self):
        """`make run`'s settings (DJANGO_ENV=local, DJANGO_DEBUG unset) have DEBUG off, and
        what DEBUG used to provide locally is set on its own: the local hosts, static
        files found by whitenoise and looked up again on each request."""
        values = read_settings(
            "DEBUG",
            "ALLOWED_HOSTS",
            "WHITENOISE_USE_FINDERS",
            "WHITENOISE_AUTOREFRESH",
            "WHITENOISE_MAX_AGE",
            env={"DJANGO_ENV": "local"},
        )
        assert values == {
            "DEBUG": False,
            "ALLOWED_HOSTS": ["127.0.0.1", "localhost"],
            "WHITENOISE_USE_FINDERS": True,
            "WHITENOISE_AUTOREFRESH": True,
            "WHITENOISE_MAX_AGE": 0,
        }

    @pytest.mark.parametrize("value", ["1", "true", "on"])
    def test_django_debug_turns_it_on(self, value):
        """DJANGO_DEBUG=1 (or true/on) turns Django's debug pages on locally."""
        assert read_settings("DEBUG", env={"DJANGO_ENV": "local", "DJANGO_DEBUG": value}) == {
            "DEBUG": True
        }

    def test_django_debug_0_keeps_it_off(self):
        """DJANGO_DEBUG=0 is off, as unset is."""
        values = read_settings("DEBUG", env={"DJANGO_ENV": "local", "DJANGO_DEBUG": "0"})
        assert values == {"DEBUG": False}

    def test_off_in_production(self):
        """Production has DEBUG off and whitenoise serving only the collected files."""
        values = read_settings(
            "DEBUG", "WHITENOISE_USE_FINDERS", "WHITENOISE_AUTOREFRESH", env=PRODUCTION_ENV
        )
        assert values == {
            "DEBUG": False,
            "WHITENOISE_USE_FINDERS": False,
            "WHITENOISE_AUTOREFRESH": False,
        }

    def test_tests_run_with_debug_off(self):
        """pytest-django runs the suite with DEBUG off, whatever the environment says."""
        assert settings.DEBUG is False
