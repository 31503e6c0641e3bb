"""pytest plugin: one DynamoDB Local and one SeaweedFS per test session.

Loaded with ``-p`` (see pyproject.toml) so it runs before pytest-django imports the
settings: the servers get free ports, the tables a unique prefix and the buckets
unique names, and the environment tells the settings where they are. ``.data/``
is never touched.
"""

import os
import secrets

import pytest

from videoplatform.local_servers import EphemeralStack, start_ephemeral_stack

_STACK: list[EphemeralStack] = []


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    if os.environ.get("VP_TEST_SERVERS") == "external":
        return
    stack = start_ephemeral_stack(run_id=secrets.token_hex(3))
    _STACK.append(stack)
    os.environ.update(stack.env)


def pytest_unconfigure(config):
    while _STACK:
        _STACK.pop().stop()


def stack_server(name: str):
    """The running test server (``dynamodb`` or ``seaweedfs``), for fault drills."""
    return _STACK[0].servers[name]
