"""Importing trainlab's modules is cheap: none of them imports the heavy libraries."""

import json
import subprocess
import sys

HEAVY = ["torch", "sklearn", "matplotlib", "ipywidgets"]


def test_importing_trainlab_leaves_heavy_libraries_unimported():
    code = (
        "import json, sys\n"
        "import trainlab, trainlab.checks, trainlab.data, trainlab.gradcheck, trainlab.grading, trainlab.quiz\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert imported == [], f"importing trainlab pulled in {imported}"


def test_the_subprocess_would_see_a_heavy_import():
    """The probe itself works: importing sklearn.datasets is noticed."""
    code = f"import json, sys, sklearn.datasets\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "sklearn" in json.loads(done.stdout.strip().splitlines()[-1])
