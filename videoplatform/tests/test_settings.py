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
