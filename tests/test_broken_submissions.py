"""The grader against what real classes hand in (autograder/broken.py), all in one parallel batch:
every submission earns its expected score, and its feedback says what went wrong; code that tries to
get out of the sandbox leaves no trace; no feedback page holds a line of the hidden tests or script a
student wrote."""

import html
import re
import socketserver
import threading
from html.parser import HTMLParser

import nbformat
import pytest

from autograder.broken import CASES, SOLUTION_SERVER
from batch_grading import answer_sheet, grade, hand_in
from conftest import ROOT, class_environment

CHAPTER = "01_losses"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    class_dir = tmp_path_factory.mktemp("broken")
    # Low caps, which the cases in broken.py go just past (see its docstring); the infinite loop costs 10 s,
    # not a minute.
    env = class_environment(class_dir, **{"SandboxProvisioner.memory": 10**9, "SandboxProvisioner.processes": 64,
                                          "SandboxProvisioner.disk": 20 * 10**6, "Execute.timeout": 10})
    answers = answer_sheet(env, CHAPTER)
    for case in CASES:
        hand_in(class_dir, CHAPTER, case["student"], case["files"](answers))
    with RightMseServer() as callers:
        run, scores = grade(class_dir, env, [CHAPTER])
    return class_dir, run, {student: score for (_, student), score in scores.items()}, callers


class RightMseServer(socketserver.TCPServer):
    """A server on loopback that hands a right mse to whoever connects, and counts them."""

    allow_reuse_address = True

    def __init__(self):
        self.callers = []
        super().__init__(SOLUTION_SERVER, self.Handler)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            self.server.callers.append(self.client_address)
            self.request.sendall(b"def mse(y_pred, y):\n    return np.mean((y_pred - y) ** 2)\n")

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self.callers

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


def test_one_batch_grades_everyone_and_names_what_it_could_not_grade(graded):
    class_dir, run, scores, callers = graded
    assert set(scores) == {case["student"] for case in CASES}
    not_graded = re.findall(r"^  01_losses (\w+): failed", run.stdout, re.MULTILINE)
    assert sorted(not_graded) == sorted(case["student"] for case in CASES if case.get("ungradable", case["score"] == 0))


@pytest.mark.parametrize("case", CASES, ids=[case["student"] for case in CASES])
def test_each_submission_earns_its_score_and_is_told_why(case, graded):
    class_dir, run, scores, callers = graded
    assert scores[case["student"]] == case["score"], case["about"]
    page = class_dir / "feedback" / case["student"] / CHAPTER / "losses.html"
    text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
    assert case["says"] in text, f"{case['about']}: the feedback does not say {case['says']!r}"


def test_code_trying_to_leave_the_sandbox_leaves_no_trace(graded):
    class_dir, run, scores, callers = graded
    assert callers == [], "a graded kernel reached the network"
    written = [path for path in [*class_dir.rglob("*"), *ROOT.glob("*")]
               if path.is_file() and path.stat().st_size < 10_000 and b"vandal was here" in path.read_bytes()]
    assert written == [], "a graded kernel wrote outside its own folder"


def test_links_left_by_a_kernel_are_never_followed(graded):
    class_dir, run, scores, callers = graded
    links = [path for path in class_dir.rglob("*") if path.is_symlink()]
    assert links == [], "the grader copied a link a kernel made"
    ada = class_dir / "submitted" / "ada" / CHAPTER / "losses.ipynb"
    assert nbformat.read(ada, as_version=4).cells and ada.stat().st_mode & 0o200, "a classmate's submission changed"
    solution = (ROOT / "solutions" / CHAPTER / "losses.ipynb").read_text()
    assert all(path.read_text(errors="replace") != solution for path in (class_dir / "feedback").rglob("*")
               if path.is_file()), "the instructor notebook reached feedback"


def hidden_test_lines():
    """The lines of chapter 1's hidden tests that could only come from them (not blank, not a bracket)."""
    lines = set()
    for cell in nbformat.read(ROOT / "solutions" / CHAPTER / "losses.ipynb", as_version=4).cells:
        inside = False
        for line in cell.source.splitlines():
            inside = (inside or "BEGIN HIDDEN TESTS" in line) and "END HIDDEN TESTS" not in line
            if inside and "HIDDEN TESTS" not in line and len(line.strip()) > 8:
                lines.add(line.strip())
    return lines


def test_no_feedback_page_holds_a_line_of_the_hidden_tests(graded):
    class_dir, run, scores, callers = graded
    lines = hidden_test_lines()
    assert len(lines) > 20
    leaked = {}
    for page in (class_dir / "feedback").glob(f"*/{CHAPTER}/*.html"):
        text = html.unescape(page.read_text())
        leaked[page.parts[-3]] = sum(line in text for line in lines)
    assert set(leaked) == {case["student"] for case in CASES}
    assert leaked == dict.fromkeys(leaked, 0)


class ScriptFinder(HTMLParser):
    """The script a browser would run from a page: <script> elements and on... attributes."""

    def __init__(self):
        super().__init__()
        self.scripts, self.in_script = [], False

    def handle_starttag(self, tag, attrs):
        self.in_script = tag == "script"
        self.scripts += [f"{tag} {name}={value}" for name, value in attrs if name.startswith("on")]

    def handle_data(self, data):
        if self.in_script:
            self.scripts.append(data)

    def handle_endtag(self, tag):
        self.in_script = False


def test_script_a_student_wrote_does_not_run_in_their_feedback(graded):
    class_dir, run, scores, callers = graded
    finder = ScriptFinder()
    finder.feed((class_dir / "feedback" / "scripter" / CHAPTER / "losses.html").read_text())
    assert not [script for script in finder.scripts if "pwned" in script]
