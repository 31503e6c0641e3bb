"""A sign-up link's token never reaches a log line, even when Django logs the path."""

import logging

from django.test import Client

from videoplatform.log_filters import HideSecretsInPaths


def test_a_refused_sign_up_link_is_logged_without_its_token(caplog):
    token = "tok-" + "s3cr3t" * 6
    handler_filter = HideSecretsInPaths()
    caplog.handler.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.WARNING, logger="django.request"):
            response = Client().post(f"/accounts/signup/confirm/{token}/extra/")
    finally:
        caplog.handler.removeFilter(handler_filter)
    assert response.status_code == 404
    assert "/accounts/signup/confirm/[hidden]" in caplog.text
    assert token not in caplog.text


def test_the_console_handler_of_the_settings_masks_tokens():
    from django.conf import settings

    assert "hide_secrets" in settings.LOGGING["handlers"]["console"]["filters"]
    record = logging.LogRecord(
        "django.security.csrf",
        logging.WARNING,
        __file__,
        1,
        "Forbidden (%s): %s",
        ("CSRF token missing.", "/accounts/signup/confirm/abc123/"),
        None,
    )
    HideSecretsInPaths().filter(record)
    assert (
        record.getMessage() == "Forbidden (CSRF token missing.): /accounts/signup/confirm/[hidden]/"
    )
