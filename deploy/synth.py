"""``make synth``: synthesize every stack, then fail on any cdk-nag error or cfn-lint
error. Offline: no AWS call, no credentials (deploy/config.py placeholders)."""

import json
import logging
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = Path(__file__).resolve().parent / "cdk.json"
# The jsii runtime warns about the Node version on every start; the warning is noise here.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


def make_app(*, outdir: str, image_directory: Path, extra_context: dict | None = None):
    """The app with cdk.json's context (the CLI passes it too; ``python -m`` does not)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from aws_cdk import App

    from deploy.build import build_app

    context = json.loads(CDK_JSON.read_text())["context"]
    context.update(extra_context or {})
    app = App(outdir=outdir, context=context)
    stacks = build_app(app, image_directory=image_directory)
    return app, stacks


def nag_errors(assembly) -> list[str]:
    """Every error annotation (cdk-nag reports its findings as errors) in the assembly."""
    errors = []
    for stack in assembly.stacks:
        for message in stack.messages:
            if message.level.value == "error":
                errors.append(f"{message.id}: {str(message.entry.data)[:200]}")
    return errors


def _lint_one(template: str, region: str) -> list[str]:
    from cfnlint.api import ManualArgs, lint

    logging.getLogger("cfnlint").setLevel(logging.WARNING)

    matches = lint(Path(template).read_text(), config=ManualArgs(regions=[region]))
    # Errors only: warnings and notes are advice, not a broken template.
    return [f"{Path(template).name}: {m}" for m in matches if m.rule.id.startswith("E")]


def lint_templates(outdir: Path, region: str) -> list[str]:
    """cfn-lint errors in every synthesized template."""
    templates = sorted(Path(outdir).glob("*.template.json"))
    if not templates:
        return [f"no templates in {outdir}"]
    return [problem for template in templates for problem in _lint_one(str(template), region)]


def main() -> int:
    outdir = Path(os.environ.get("CDK_OUTDIR") or REPO_ROOT / "cdk.out")
    if not (REPO_ROOT / "Dockerfile").is_file():
        print(f"No Dockerfile at {REPO_ROOT}: the services' image is built from it.")
        return 1
    app, stacks = make_app(outdir=str(outdir), image_directory=REPO_ROOT)
    assembly = app.synth()
    errors = nag_errors(assembly)
    region = stacks["data"].region
    errors += lint_templates(outdir, region)
    for error in errors:
        print(error)
    names = ", ".join(s.stack_name for s in assembly.stacks)
    if errors:
        print(f"synth: {len(errors)} error(s) in {names}")
        return 1
    print(f"synth: {names} -> {outdir}; cdk-nag and cfn-lint clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
