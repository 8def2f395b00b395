"""What the grader does with a submission before and after nbgrader: repairs and explanations.

- :func:`adopt_renamed_notebooks`: a notebook handed in under another name (``losses-Copy1.ipynb``)
  is graded as the one it stands for, with a note at its top saying so.
- :func:`explain_failure` and :func:`write_failure_feedback`: when nbgrader cannot grade a
  submission at all, the student still gets a feedback page that says what went wrong and what
  to do, in place of the one nbgrader would have written.
"""

import html
import json
import shutil
from pathlib import Path

import nbformat

GRADER_NOTE = "**Note from the grader:** "


def expected_notebooks(source):
    """The notebook names of an assignment: those of its instructor folder ``source``."""
    return sorted(path.name for path in Path(source).glob("*.ipynb"))


def adopt_renamed_notebooks(folder, expected):
    """If exactly one expected notebook is missing and exactly one other notebook is there, copy
    that one to the expected name with a note at its top. Returns [(handed-in name, name)]."""
    folder = Path(folder)
    present = {path.name for path in folder.glob("*.ipynb")}
    missing, extra = sorted(set(expected) - present), sorted(present - set(expected))
    if len(missing) != 1 or len(extra) != 1:
        return []
    (name,), (renamed,) = missing, extra
    try:
        notebook = nbformat.read(folder / renamed, as_version=4)
    except Exception:  # not a notebook: copied as it is, and explained if nbgrader fails on it
        shutil.copyfile(folder / renamed, folder / name)
    else:
        notebook.cells.insert(0, nbformat.v4.new_markdown_cell(
            f"{GRADER_NOTE}this notebook was handed in as `{renamed}` and graded as `{name}`, the name "
            "the assignment gave it. Keep the name next time."))
        nbformat.write(notebook, folder / name)
    return [(renamed, name)]


def explain_failure(folder, expected, status, seconds, log_tail):
    """What to tell a student whose submission in ``folder`` nbgrader could not grade."""
    folder = Path(folder)
    present = sorted(path.name for path in folder.glob("*.ipynb"))
    for name in expected:
        if name not in present:
            return (f"No notebook named {name} was handed in (the submission holds: "
                    f"{', '.join(present) or 'no notebook'}). Hand in the assignment's notebook under its own name.")
        try:
            json.loads((folder / name).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            where = f" (line {error.lineno}, column {error.colno})" if hasattr(error, "lineno") else ""
            return (f"{name} is not a notebook Jupyter can read: it is not valid JSON{where}. This happens when "
                    "a notebook is edited outside Jupyter or saved only in part. Open it in JupyterLab; if it "
                    "does not open, fetch the assignment again, copy your answers into it and hand it in again.")
    if status == "over budget":
        return (f"Grading stopped after {seconds:.0f} seconds: the notebook as a whole ran longer than the "
                "grader allows. Look for a loop that never ends or work that takes minutes, and check that "
                "Restart Kernel and Run All Cells finishes quickly on your computer.")
    return (f"The grader could not run this notebook ({log_tail}). This says nothing about your work: your "
            "instructor has the details and will tell you if you need to do anything.")


def write_failure_feedback(submission, feedback_folder, expected, assignment, student, message):
    """A feedback page per expected notebook in ``feedback_folder`` that explains ``message``.

    The submission's timestamp and secret go along, as nbgrader's own feedback has them: nbgrader's
    release_feedback needs both, and the secret is how the student's fetch_feedback finds the page.
    """
    feedback_folder = Path(feedback_folder)
    feedback_folder.mkdir(parents=True, exist_ok=True)
    for name in ("timestamp.txt", "submission_secret.txt"):
        if (Path(submission) / name).exists():
            shutil.copyfile(Path(submission) / name, feedback_folder / name)
    for name in expected:
        title = html.escape(f"{assignment} / {Path(name).stem}: not graded")
        (feedback_folder / f"{Path(name).stem}.html").write_text(
            f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>\n'
            f"<body><h1>{title}</h1>\n<p>Student: {html.escape(student)}. Score: 0</p>\n"
            f"<p>{html.escape(message)}</p>\n</body></html>\n", encoding="utf-8")
