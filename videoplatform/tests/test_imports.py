"""No import circle among the project's modules: each is imported first thing in a fresh
interpreter, in alphabetical order and in reverse, so a module that only loads when
something else happened to be imported first fails here."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("videoplatform", "channels_app", "videos_app", "social_app", "live_app")


def project_modules() -> list[str]:
    modules = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT).with_suffix("")
            if "tests" in relative.parts or "migrations" in relative.parts:
                continue
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules.append(".".join(parts))
    return sorted(modules)


IMPORT_ONE_BY_ONE = """
import importlib, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "videoplatform.settings")
import django
django.setup()
failed = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception as error:
        failed.append(f"{name}: {type(error).__name__}: {error}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""

IMPORT_FIRST = """
import importlib, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "videoplatform.settings")
importlib.import_module(sys.argv[1])
"""


class TestImports:
    def test_there_are_modules_to_import(self):
        """The walk finds the project's modules (an empty list would prove nothing)."""
        modules = project_modules()
        assert "videos_app.services" in modules and "social_app.fanout" in modules
        assert not any(".tests" in name for name in modules)

    @pytest.mark.parametrize("order", ["alphabetical", "reverse"])
    def test_every_module_imports_in_either_order(self, order):
        """Every module imports in one interpreter, whichever comes first."""
        modules = project_modules()
        if order == "reverse":
            modules.reverse()
        result = subprocess.run(
            [sys.executable, "-c", IMPORT_ONE_BY_ONE, *modules],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def test_each_service_module_imports_first(self):
        """The modules that used to lean on import order (services, selectors, the
        transcoders, the worker) each import first thing in a fresh interpreter,
        before Django's app registry has imported anything else."""
        firsts = [
            "videos_app.services",
            "videos_app.selectors",
            "videos_app.worker",
            "videos_app.transcoding.backends",
            "social_app.services",
            "social_app.moderation",
            "live_app.services",
        ]
        for name in firsts:
            result = subprocess.run(
                [sys.executable, "-c", IMPORT_FIRST, name],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 0, f"{name}: {result.stderr[-2000:]}"
