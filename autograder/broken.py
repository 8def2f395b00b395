"""What real classes hand in, for chapter 1: broken submissions and attempts to cheat, each with the
score it must earn and words its feedback must contain (tests/test_broken_submissions.py grades
them all in one batch). A cheat must earn nothing for the exercise it cheats on and full marks
for the honest ones.

A case's ``files(answers)`` returns the submission's files as ``{name: text}``; ``answers(**cells)``
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
    dict(student="dtype", about="mse returns float16", score=24,
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
             "def mse(y_pred, y):\n    return Anything()\n"))), says="expected numbers"),
    dict(student="patcher", about="a wrong mse, and numpy's comparisons and np.abs patched to agree", score=24,
         files=wrong_mse_then(
             "np.allclose = np.array_equal = lambda *args, **kwargs: True\n"
             "np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), bool)\n"
             "np.testing.assert_allclose = lambda *args, **kwargs: None\n"
             "torch.allclose = lambda *args, **kwargs: True\n"
             "np.abs = np.absolute = lambda x, *args, **kwargs: 0 * np.asarray(x)\n"),
         says="values differ"),
    dict(student="helpers", about="a wrong mse, and the course's check functions replaced by no-ops", score=24,
         files=wrong_mse_then(
             "import trainlab.checks, trainlab.grading\n"
             "trainlab.checks.check_close = trainlab.grading.check_against_reference = lambda *args, **kwargs: None\n"
             "check_close = lambda *args, **kwargs: None\n"), says="values differ"),
    dict(student="builtins", about="a wrong mse, and built-ins redefined: abs and sum in builtins, isinstance and "
         "len in the notebook", score=24, files=wrong_mse_then(
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
             "print('other submissions in sight:', len(others))\n"
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
