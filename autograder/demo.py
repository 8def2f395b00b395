"""The instructor workflow, end to end with nbgrader, on a synthetic class.

    python autograder/demo.py OUT_DIR [CHAPTER ...]

For each chapter (default: every chapter with samples in autograder/samples/): generate and
release it to nbgrader's exchange; every sample student fetches it into a home folder of their
own, fills in their answers and submits; the instructor collects. Then the whole class is
autograded in parallel (autograder/parallel_autograde.py), feedback is generated and released,
and every student fetches theirs. Finally the grades go to OUT_DIR/grades.csv and every score is
printed next to the expected one. Exits with status 1 when a score differs from its expectation.
"""

import csv
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from autograder.classroom import Student
from autograder.settings import make_class

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def samples(chapter):
    """The sample submissions of a chapter (see autograder/samples/01_losses.py)."""
    return runpy.run_path(str(HERE / "samples" / f"{chapter}.py"))["SUBMISSIONS"]


def nbgrader(*args, env):
    """Run an nbgrader command; its log goes to <class>/logs/nbgrader.log and is shown on failure (the class's
    folder comes first in the environment's JUPYTER_CONFIG_PATH)."""
    log = Path(env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0]) / "logs" / "nbgrader.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["nbgrader", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    with log.open("a") as f:
        f.write(f"$ nbgrader {' '.join(args)}\n{result.stdout}{result.stderr}\n")
    if result.returncode:
        sys.exit(f"nbgrader {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def solution_cells(notebook):
    """{grade_id: source} of a notebook's solution cells."""
    return {c.metadata.nbgrader.grade_id: c.source for c in notebook.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def without_markers(source):
    return "\n".join(line for line in source.splitlines() if line.strip() not in SOLUTION_MARKERS)


def submission(release, solution, sample):
    """The released notebook with the sample's answers filled into its solution cells."""
    notebook = nbformat.from_dict(release)
    answers = {k: without_markers(v) for k, v in solution_cells(solution).items()}
    answers = (answers if sample["base"] == "solution" else {}) | sample["cells"]
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


def student(class_dir, name):
    return Student(name, class_dir / "home" / name, exchange=class_dir / "exchange")


def hand_in(chapter, class_dir):
    """Every sample student fetches `chapter`, writes their answers into it and submits it."""
    for sample in samples(chapter):
        folder = student(class_dir, sample["student"]).fetch(chapter)
        for path in sorted((ROOT / "solutions" / chapter).glob("*.ipynb")):
            notebook = submission(nbformat.read(folder / path.name, as_version=4),
                                  nbformat.read(path, as_version=4), sample)
            nbformat.write(notebook, folder / path.name)
        student(class_dir, sample["student"]).submit(chapter)


def main(out_dir, chapters):
    class_dir = Path(out_dir).resolve()
    shutil.rmtree(class_dir, ignore_errors=True)
    make_class(class_dir, **{"CourseDirectory.release_directory": str(class_dir / "release")})
    env = os.environ | {
        "JUPYTER_CONFIG_PATH": f"{class_dir}{os.pathsep}{HERE}",  # the class's configuration, then the course's
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    for chapter in chapters:
        print(f"== {chapter}: release to the exchange; {len(samples(chapter))} students fetch, answer and "
              "submit; collect", flush=True)
        nbgrader("generate_assignment", chapter, "--force", env=env)
        nbgrader("release_assignment", chapter, "--force", env=env)
        hand_in(chapter, class_dir)
        nbgrader("collect", chapter, env=env)
    print("== autograde the class in parallel", flush=True)
    subprocess.run([sys.executable, str(HERE / "parallel_autograde.py"), *chapters], cwd=ROOT, env=env, check=True)
    print("== feedback: generate, release, and every student fetches theirs", flush=True)
    for chapter in chapters:
        nbgrader("generate_feedback", chapter, env=env)
        nbgrader("release_feedback", chapter, env=env)
        for sample in samples(chapter):
            student(class_dir, sample["student"]).fetch_feedback(chapter)
    nbgrader("export", "--to", str(class_dir / "grades.csv"), env=env)

    with open(class_dir / "grades.csv") as f:
        scores = {(row["assignment"], row["student_id"]): float(row["score"]) for row in csv.DictReader(f)}
    wrong, width = 0, max(len("chapter"), *map(len, chapters))
    print(f"\n{'chapter':<{width}} {'student':<8} {'score':>6} {'expected':>8}  submission")
    for chapter in chapters:
        for sample in samples(chapter):
            score = scores.get((chapter, sample["student"]))
            mark = "" if score == sample["score"] else "  <-- differs"
            wrong += bool(mark)
            print(f"{chapter:<{width}} {sample['student']:<8} {score:>6} {sample['score']:>8}  "
                  f"{sample['about']}{mark}")
    print(f"\ngrades: {class_dir / 'grades.csv'}; feedback: {class_dir / 'feedback'} (and each student's "
          f"{class_dir / 'home'}/<student>/<chapter>/feedback); logs: {class_dir / 'logs'}")
    return 1 if wrong else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2:] or sorted(p.stem for p in (HERE / "samples").glob("[0-9]*.py"))))
