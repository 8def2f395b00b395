"""The chapter 1 reference solution, which grades every student, agrees with torch everywhere.

Hypothesis draws float64 and float32 logits from the whole range a student's code may meet
(up to ±1e4), labels, probabilities and shapes of every kind; torch.nn.functional is the oracle.
"""

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from trainlab.checks import check_close
from trainlab.grading import reference

FAST = settings(max_examples=60, deadline=None)
shapes = hnp.array_shapes(min_dims=1, max_dims=3, max_side=6)
logits = st.one_of(hnp.arrays(np.float64, shapes, elements=st.floats(-1e4, 1e4)),
                   hnp.arrays(np.float32, shapes, elements=st.floats(-1e4, 1e4, width=32)))


def ref(name):
    return reference("01_losses", name)


def t(a):
    """The oracle's input: torch computes in float64, so float32 cases meet an exact answer.

    (torch's own float32 BCE-with-logits loses digits to cancellation, e.g. at z = -6, y = 1e-5.)
    """
    a = np.asarray(a)
    return torch.from_numpy(a.astype(np.float64) if a.dtype.kind == "f" else a)


def expected(result, like):
    return result.numpy().astype(np.asarray(like).dtype)


@FAST
@given(logits)
def test_sigmoid_matches_torch(z):
    check_close(ref("sigmoid")(z), expected(torch.sigmoid(t(z)), z), name="sigmoid", quiet=True, check_dtype=True)


@FAST
@given(logits, st.data())
def test_bce_with_logits_matches_torch(z, data):
    y = data.draw(hnp.arrays(z.dtype, z.shape, elements=st.floats(0, 1, width=8 * z.itemsize)))
    check_close(ref("bce_with_logits")(z, y), expected(F.binary_cross_entropy_with_logits(t(z), t(y)), z),
                name="bce_with_logits", quiet=True)


@FAST
@given(hnp.arrays(np.float64, shapes, elements=st.floats(0, 1)), st.data())
def test_bce_on_probabilities_matches_torch_including_its_clamp(p, data):
    y = data.draw(hnp.arrays(np.float64, p.shape, elements=st.sampled_from([0.0, 1.0])))
    check_close(ref("bce")(p, y), F.binary_cross_entropy(t(p), t(y)), name="bce", quiet=True)


@FAST
@given(logits)
def test_log_softmax_matches_torch(z):
    check_close(ref("log_softmax")(z), expected(F.log_softmax(t(z), dim=-1), z), name="log_softmax", quiet=True,
                check_dtype=True)


@FAST
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=8),
                  elements=st.floats(-1e4, 1e4)), st.data())
def test_cross_entropy_matches_torch(z, data):
    target = data.draw(hnp.arrays(np.int64, z.shape[:1], elements=st.integers(0, z.shape[1] - 1)))
    check_close(ref("cross_entropy")(z, target), F.cross_entropy(t(z), t(target)),
                name="cross_entropy", quiet=True)


@FAST
@given(logits.filter(lambda z: z.ndim == 2), st.data())
def test_cross_entropy_grad_matches_torch_autograd(z, data):
    target = data.draw(hnp.arrays(np.int64, z.shape[:1], elements=st.integers(0, z.shape[1] - 1)))
    logits64 = t(z).requires_grad_()
    F.cross_entropy(logits64, t(target)).backward()
    with np.errstate(over="raise", invalid="raise"):
        gradient = ref("cross_entropy_grad")(z, target)
    check_close(gradient, expected(logits64.grad, z), name="cross_entropy_grad", quiet=True, check_dtype=True)


@FAST
@given(logits)
def test_sigmoid_never_overflows(z):
    with np.errstate(over="raise", invalid="raise"):  # what the chapter's tests demand of students
        ref("sigmoid")(z)


@FAST
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 10), st.just(4)), elements=st.floats(-50, 50)),
       st.data())
def test_sequence_nll_is_the_summed_cross_entropy_of_a_causal_model(table, data):
    tokens = data.draw(hnp.arrays(np.int64, (len(table),), elements=st.integers(0, 3)))

    def position_model(prefix):  # the logits depend on the position only
        return table[len(prefix)]

    check_close(ref("sequence_nll")(position_model, tokens),
                F.cross_entropy(t(table), t(tokens), reduction="sum"), name="sequence_nll", quiet=True)
