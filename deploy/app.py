"""CDK entry point for the cdk CLI (make deploy; deploy/cdk.json). ``make synth`` runs
deploy/synth.py, which builds the same app and checks it."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deploy.synth import REPO_ROOT, make_app  # noqa: E402

if __name__ == "__main__":
    if not (REPO_ROOT / "Dockerfile").is_file():
        sys.exit(f"No Dockerfile at {REPO_ROOT}: the services' image is built from it.")
    app, _ = make_app(
        outdir=os.environ.get("CDK_OUTDIR") or str(REPO_ROOT / "cdk.out"),
        image_directory=REPO_ROOT,
    )
    app.synth()
