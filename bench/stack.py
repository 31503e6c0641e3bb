"""Benchmarks that need the app run it against their own ephemeral local stack."""

from __future__ import annotations

import atexit
import io
import os
import secrets

_stack = None


def django_with_stack() -> None:
    """Start DynamoDB Local + SeaweedFS once, point the settings at them, set up Django."""
    global _stack
    if _stack is not None:
        return
    from videoplatform.local_servers import start_ephemeral_stack, wait_for_s3

    _stack = start_ephemeral_stack(run_id="b" + secrets.token_hex(3))
    atexit.register(_stack.stop)
    os.environ.update(_stack.env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "videoplatform.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from videoplatform.aws import s3_client

    wait_for_s3(s3_client())
    call_command("ensure_tables", stdout=io.StringIO())
    call_command("ensure_buckets", stdout=io.StringIO())
