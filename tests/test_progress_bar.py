"""Chapter 6's progress bar leaves a DataLoader's random state alone, and the same-seed hidden tests grade a
right training loop the same whatever progress bar it wraps around its loops (tqdm.auto's included).

The student's loops are the reference solution's with every loop over a loader or the epochs wrapped in a
bar; each runs the notebook's own hidden tests (their cells, run as the grader runs them: the checks
compare the student's values with the reference's).
"""

import json
import re

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm as auto_tqdm

from conftest import ROOT
from trainlab.checks import CheckFailed
from trainlab.grading import _reference_namespace
from trainlab.progressbar import tqdm as course_tqdm
from trainlab.seeded import SeededDropout, shuffled_loader

NOTEBOOK = ROOT / "solutions" / "06_training_loop" / "training_loop.ipynb"


def batches(loader, wrap):
    return [x.tolist() for (x,) in wrap(loader)]


def test_tqdm_auto_shifts_a_shuffled_loader_and_the_course_bar_does_not():
    data = TensorDataset(torch.arange(40.0))

    def two_epochs(wrap):
        loader = DataLoader(data, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0))
        return batches(loader, wrap) + batches(loader, wrap)

    plain = two_epochs(lambda loader: loader)
    assert two_epochs(lambda loader: course_tqdm(loader, disable=True)) == plain
    assert two_epochs(lambda loader: course_tqdm(loader, leave=False)) == plain
    assert two_epochs(lambda loader: auto_tqdm(loader, disable=True)) != plain  # why the course has its own


def test_a_shuffled_loader_serves_the_same_epochs_however_many_iterators_were_left_unused():
    data = TensorDataset(torch.arange(40.0))
    plain = shuffled_loader(data, 8, seed=3)
    expected = batches(plain, list) + batches(plain, list)
    wrapped = shuffled_loader(data, 8, seed=3)
    torch.manual_seed(0)
    state = torch.get_rng_state()
    assert batches(wrapped, auto_tqdm) + batches(wrapped, auto_tqdm) == expected
    assert torch.equal(torch.get_rng_state(), state), "the loader drew from torch's global generator"
    assert sorted(sum(expected[:5], [])) == list(range(40)) and expected[:5] != expected[5:]


def test_seeded_dropout_draws_its_masks_from_its_own_generator():
    x = torch.ones(1000, 10)
    first, second = SeededDropout(0.3, seed=1), SeededDropout(0.3, seed=1)
    torch.manual_seed(0)
    a = first(x)
    torch.rand(17)  # other code drawing from the global generator changes nothing
    assert torch.equal(a, second(x))
    assert abs((a == 0).float().mean().item() - 0.3) < 0.02 and torch.allclose(a[a != 0], torch.tensor(1 / 0.7))
    assert not torch.equal(first(x), a)  # a new mask every pass
    assert torch.equal(first.eval()(x), x)


def hidden_test(grade_id):
    """The source of a hidden-test cell of chapter 6."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return next("".join(cell["source"]) for cell in cells
                if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


def solution(name):
    """The reference solution's source of the function ``name``, without the solution markers."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    source = next("".join(cell["source"]) for cell in cells
                  if "".join(cell["source"]).startswith(f"def {name}("))
    return "\n".join(line for line in source.splitlines() if "### " not in line)


def with_bars(source):
    """The loops over a loader wrapped in ``tqdm`` (fit's loop over the epochs already is)."""
    return re.sub(r"for (x, y) in (\w+):", r"for \1 in tqdm(\2, leave=False):", source)


@pytest.mark.parametrize("bar", [course_tqdm, auto_tqdm], ids=["the course's tqdm", "tqdm.auto"])
def test_a_right_loop_with_a_progress_bar_passes_the_same_seed_hidden_tests(bar):
    student = dict(_reference_namespace("06_training_loop"), tqdm=bar)
    for name in ("train_one_epoch", "evaluate", "fit"):
        code = with_bars(solution(name))
        assert "tqdm(loader, leave=False)" in code or "tqdm(range(epochs)" in code
        exec(code, student)
    for test in ("hidden_train_one_epoch", "hidden_evaluate", "hidden_fit"):
        exec(hidden_test(test), dict(student))  # raises CheckFailed if a value differs from the reference's


def test_the_hidden_tests_still_fail_a_wrong_loop():
    student = dict(_reference_namespace("06_training_loop"))
    exec(solution("train_one_epoch").replace("optimizer.zero_grad()", "pass"), student)
    with pytest.raises(CheckFailed, match="train_one_epoch"):
        exec(hidden_test("hidden_train_one_epoch"), student)
