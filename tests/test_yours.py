"""your_functions hands back a student's own functions, and says clearly what is not finished yet."""

import nbformat
import numpy as np
import pytest

from conftest import ROOT
from trainlab.yours import NotFinished, what_to_finish, your_functions


def nbgrader(grade_id, solution):
    return {"nbgrader": {"grade": False, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
                         "solution": solution, "task": False}}


def write_notebook(folder, cells):
    """A notebook of (grade_id or None, solution?, source) code cells in folder/losses.ipynb."""
    folder.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(source, metadata=nbgrader(grade_id, solution) if grade_id else {})
        for grade_id, solution, source in cells])
    nbformat.write(notebook, folder / "losses.ipynb")
    return folder / "losses.ipynb"


@pytest.fixture
def chapter_one(tmp_path):
    return write_notebook(tmp_path / "01_losses", [
        ("setup", False, "import numpy as np\nSCALE = 2.0"),
        ("double", True, "def double(x):\n    return SCALE * np.asarray(x)"),
        (None, False, "raise RuntimeError('a picture cell: must not run')"),
        ("log_softmax", True, "def log_softmax(z):\n    # YOUR CODE HERE\n    raise NotImplementedError()"),
        ("cross_entropy", True, "def cross_entropy(z, y):\n    return -log_softmax(z)[np.arange(len(y)), y].mean()"),
        ("broken", True, "def broken(x)\n    return x"),
        ("test_double", False, "assert double(1) == 3, 'a failing test cell: must not run'"),
    ])


def test_finished_functions_work_with_the_notebooks_imports(chapter_one):
    mine = your_functions(chapter_one, "double")
    assert np.array_equal(mine["double"]([1, 2]), [2.0, 4.0])


def test_an_unfinished_function_names_itself_and_its_chapter(chapter_one):
    with pytest.raises(NotFinished, match=r"log_softmax in chapter 1 \(.*losses.ipynb\) is not written yet"):
        your_functions(chapter_one, "log_softmax")["log_softmax"](np.zeros((2, 3)))


def test_a_function_that_calls_an_unfinished_one_names_the_unfinished_one(chapter_one):
    with pytest.raises(NotFinished, match="^log_softmax in chapter 1"):
        your_functions(chapter_one, "cross_entropy")["cross_entropy"](np.zeros((2, 3)), np.array([0, 1]))


def test_a_cell_with_a_syntax_error_spoils_only_its_own_function(chapter_one):
    mine = your_functions(chapter_one, "broken", "double")
    with pytest.raises(NotFinished, match=r"does not define it \(cell broken raised SyntaxError"):
        mine["broken"](1)
    assert mine["double"](3) == 6.0


def test_a_missing_notebook_raises_only_when_called(tmp_path):
    mine = your_functions(tmp_path / "02_gradient_descent" / "gradient_descent.ipynb", "minibatches")
    with pytest.raises(NotFinished, match="minibatches: could not read your notebook of chapter 2"):
        mine["minibatches"](10, 3, np.random.default_rng(0))
    assert issubclass(NotFinished, NotImplementedError)


def test_the_released_notebooks_give_unfinished_functions_and_the_solutions_finished_ones():
    released = your_functions(ROOT / "notebooks/01_losses/losses.ipynb", "cross_entropy")["cross_entropy"]
    with pytest.raises(NotFinished, match="cross_entropy in chapter 1"):
        released(np.zeros((2, 3)), np.array([0, 1]))
    solved = your_functions(ROOT / "solutions/01_losses/losses.ipynb", "cross_entropy")["cross_entropy"]
    assert np.isclose(solved(np.zeros((2, 3)), np.array([0, 1])), np.log(3))


def unfinished_function():
    raise NotImplementedError()


class Unfinished:
    def method(self):
        raise NotImplementedError()


@pytest.mark.parametrize("call, name", [(unfinished_function, "unfinished_function"),
                                        (lambda: Unfinished().method(), "Unfinished.method")])
def test_what_to_finish_names_the_function_that_raised(call, name):
    with pytest.raises(NotImplementedError) as raised:
        call()
    assert what_to_finish(raised.value).startswith(f"{name} in this notebook is not written yet")


def test_what_to_finish_keeps_a_message():
    assert what_to_finish(NotFinished("finish chapter 2 first")) == "finish chapter 2 first"
