"""One synth of the whole app per test session (it takes about half a minute)."""

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.synth import REPO_ROOT, make_app


@pytest.fixture(scope="session", autouse=True)
def aws_stack():
    """These tests read templates only: no tables or buckets are needed (this replaces
    the root conftest's fixture of the same name for deploy/)."""


@dataclass
class Synthesized:
    outdir: Path
    assembly: object
    stacks: dict
    templates: dict  # stack key -> template dict


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> Synthesized:
    image_directory = REPO_ROOT
    if not (REPO_ROOT / "Dockerfile").is_file():
        # Only until the repository has its Dockerfile: a stand-in, never at the root.
        image_directory = tmp_path_factory.mktemp("image")
        (image_directory / "Dockerfile").write_text("FROM scratch\n")
    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stacks = make_app(
        outdir=str(outdir),
        image_directory=image_directory,
        # The image context is not copied into the assembly (it would be the whole repo).
        extra_context={"aws:cdk:disable-asset-staging": True},
    )
    assembly = app.synth()
    templates = {
        key: json.loads((outdir / f"{stack.stack_name}.template.json").read_text())
        for key, stack in stacks.items()
    }
    yield Synthesized(outdir=outdir, assembly=assembly, stacks=stacks, templates=templates)
    shutil.rmtree(outdir, ignore_errors=True)
