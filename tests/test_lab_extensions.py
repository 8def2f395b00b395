"""nbgrader's JupyterLab extensions are installed and enabled, and Validate works on the course."""

import re
import subprocess
import sys

from conftest import ROOT


def jupyter(*args):
    return subprocess.run([sys.executable, "-m", "jupyter", *args], cwd=ROOT, capture_output=True,
                          text=True, check=True)


def test_nbgrader_server_and_lab_extensions_are_enabled():
    server = jupyter("server", "extension", "list")
    out = server.stdout + server.stderr
    for extension in ("formgrader", "validate_assignment", "assignment_list", "course_list"):
        for state in ("enabled", "OK"):  # \S* skips the colour codes
            assert re.search(rf"nbgrader\.server_extensions\.{extension}\s+\S*{state}", out), (
                f"nbgrader's {extension} server extension is not {state}:\n{out}")
    lab = jupyter("labextension", "list")
    assert re.search(r"@jupyter/nbgrader v\S+ \S*enabled\S* \S*OK", lab.stdout + lab.stderr)


def validate(path):
    return subprocess.run(["nbgrader", "validate", str(path)], cwd=ROOT, capture_output=True, text=True)


def test_validate_passes_the_solution_and_fails_the_student_notebook():
    solution = validate(ROOT / "solutions/01_losses/losses.ipynb")
    assert "Success! Your notebook passes all the tests." in solution.stdout, solution.stdout[-2000:]
    student = validate(ROOT / "notebooks/01_losses/losses.ipynb")
    assert "NotImplementedError" in student.stdout and "Success!" not in student.stdout
