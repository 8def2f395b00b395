"""The chapter 4 reference solution, which grades every student, agrees with torch everywhere.

Hypothesis draws shapes, points, directions and graphs; the reference's layers, traces, dual numbers,
Value engine and Jacobians run side by side with torch.autograd and torch's forward mode, in float64.
"""

import inspect
import math
import sys

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as fwAD
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from trainlab.checks import check_close
from trainlab.grading import reference

# torch's forward mode compiles its decompositions with torch.jit.script on first use, which warns
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
FAST = settings(max_examples=40, deadline=None)
coordinates = st.floats(-2.5, 2.5)
positive = st.floats(0.2, 3.0)
directions = st.tuples(st.floats(-3, 3), st.floats(-3, 3))


def ref(name):
    return reference("04_backprop", name)


def arrays(shape):
    return hnp.arrays(np.float64, shape, elements=st.floats(-3, 3))


# functions of (x, y) written with operators and the methods Dual, Value and torch tensors share;
# y stays positive (log, fractional powers)
FUNCTIONS = {
    "sum": lambda x, y: x + y, "difference": lambda x, y: x - y, "product": lambda x, y: x * y,
    "quotient": lambda x, y: x / y, "cube": lambda x, y: x**3, "root": lambda x, y: y**0.5,
    "inverse root": lambda x, y: y**-1.5, "power of 2": lambda x, y: 2**x, "reversed": lambda x, y: 3 - x + 2 / y,
    "negation": lambda x, y: -x * 4, "exp": lambda x, y: x.exp(), "log": lambda x, y: y.log(),
    "sin": lambda x, y: x.sin(), "cos": lambda x, y: x.cos(), "tanh": lambda x, y: x.tanh(),
    "sigmoid": lambda x, y: (3 * x).sigmoid(), "relu": lambda x, y: (x - 0.5).relu() * y,
    "trace": lambda x, y: x * y + (x * y).exp() - y.sin(),
    "nested": lambda x, y: ((x * y).sin() + y.log()).tanh() * (x - y).cos() / (1 + x * x),
    "shared": lambda x, y: (lambda a: a * a + a * x + a.exp())(x * y),
}


def torch_jvp(f, point, direction):
    with fwAD.dual_level():
        inputs = [fwAD.make_dual(torch.tensor(p, dtype=torch.float64), torch.tensor(d, dtype=torch.float64))
                  for p, d in zip(point, direction)]
        value, tangent = fwAD.unpack_dual(f(*inputs))
    return [value.item(), 0.0 if tangent is None else tangent.item()]


def torch_gradient(f, point):
    inputs = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in point]
    out = f(*inputs)
    out.backward()
    return [out.item()] + [0.0 if x.grad is None else x.grad.item() for x in inputs]


@FAST
@given(st.integers(1, 6), st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_affine_layer_matches_torch(N, D, M, seed):
    rng = np.random.default_rng(seed)
    x, W, b, dout = rng.normal(size=(N, D)), rng.normal(size=(D, M)), rng.normal(size=M), rng.normal(size=(N, M))
    out, cache = ref("affine_forward")(x, W, b)
    tensors = [torch.tensor(a, requires_grad=True) for a in (x, W, b)]
    expected = tensors[0] @ tensors[1] + tensors[2]
    expected.backward(torch.tensor(dout))
    check_close(out, expected, name="out", quiet=True)
    for got, tensor in zip(ref("affine_backward")(dout, cache), tensors):
        check_close(got, tensor.grad, name="gradient", quiet=True)


@FAST
@given(st.integers(1, 6), st.integers(1, 4), st.integers(1, 8), st.integers(1, 3), st.floats(0.1, 10),
       st.integers(0, 2**32 - 1))
def test_two_layer_network_matches_torch(N, D, H, C, scale, seed):
    rng = np.random.default_rng(seed)
    X, dout = rng.normal(size=(N, D)), rng.normal(size=(N, C))
    params = {"W1": scale * rng.normal(size=(D, H)), "b1": rng.normal(size=H),
              "W2": rng.normal(size=(H, C)), "b2": rng.normal(size=C)}
    out, cache = ref("two_layer_forward")(X, params)
    grads = ref("two_layer_backward")(dout, cache)
    p = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    expected = torch.tanh(torch.tensor(X) @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    expected.backward(torch.tensor(dout))
    check_close(out, expected, name="out", quiet=True)
    assert set(grads) == set(params)
    for name in params:
        assert grads[name].shape == params[name].shape
        check_close(grads[name], p[name].grad, name=name, quiet=True)


def torch_trace(x1, x2, dx1, dx2):
    """The seven nodes of the trace: primals and tangents by forward mode, adjoints by reverse mode."""
    with fwAD.dual_level():
        a = fwAD.make_dual(torch.tensor(x1, dtype=torch.float64), torch.tensor(dx1, dtype=torch.float64))
        b = fwAD.make_dual(torch.tensor(x2, dtype=torch.float64), torch.tensor(dx2, dtype=torch.float64))
        nodes = [a, b, a * b, torch.sin(b)]
        nodes += [torch.exp(nodes[2]), nodes[2] - nodes[3]]
        nodes.append(nodes[4] + nodes[5])
        primals, tangents = zip(*((u.primal.item(), u.tangent.item()) for u in map(fwAD.unpack_dual, nodes)))
    v = [torch.tensor(x1, dtype=torch.float64, requires_grad=True), torch.tensor(x2, dtype=torch.float64, requires_grad=True)]
    v += [v[0] * v[1], torch.sin(v[1])]
    v += [torch.exp(v[2]), v[2] - v[3]]
    v.append(v[4] + v[5])
    for node in v[2:]:
        node.retain_grad()
    v[-1].backward()
    return np.array(primals), np.array(tangents), np.array([node.grad.item() for node in v])


@FAST
@given(coordinates, coordinates, directions)
def test_forward_and_reverse_traces_match_torch(x1, x2, direction):
    primals, tangents, adjoints = torch_trace(x1, x2, *direction)
    got_primals, got_tangents = ref("forward_trace")(x1, x2, *direction)
    check_close(got_primals, primals, name="primals", quiet=True)
    check_close(got_tangents, tangents, name="tangents", atol=1e-12, quiet=True)
    check_close(ref("reverse_trace")(x1, x2), adjoints, name="adjoints", atol=1e-12, quiet=True)


@FAST
@given(coordinates, coordinates, directions)
def test_one_reverse_sweep_gives_every_directional_derivative(x1, x2, direction):
    """tangent of f along d = gradient . d, with the gradient = the adjoints of the inputs."""
    tangent = ref("forward_trace")(x1, x2, *direction)[1][-1]
    gradient = ref("reverse_trace")(x1, x2)[:2]
    check_close(tangent, gradient @ np.array(direction), name="jvp", atol=1e-10, quiet=True)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_dual_numbers_match_torch_forward_mode(name):
    f, Dual = FUNCTIONS[name], ref("Dual")

    @FAST
    @given(coordinates, positive, directions)
    def check(x, y, direction):
        out = f(Dual(x, direction[0]), Dual(y, direction[1]))
        check_close([out.primal, out.tangent], torch_jvp(f, (x, y), direction), name=name, atol=1e-12, quiet=True)

    check()


@pytest.mark.parametrize("name", FUNCTIONS)
def test_value_engine_matches_torch_autograd(name):
    f, Value = FUNCTIONS[name], ref("Value")

    @FAST
    @given(coordinates, positive)
    def check(x, y):
        inputs = [Value(x), Value(y)]
        out = f(*inputs)
        out.backward()
        check_close([out.data] + [v.grad for v in inputs], torch_gradient(f, (x, y)), name=name,
                    atol=1e-12, quiet=True)

    check()


def test_relu_at_zero_passes_no_derivative_as_in_torch():
    Dual, Value = ref("Dual"), ref("Value")
    assert Dual(0.0, 1.0).relu().tangent == 0.0
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0 == torch_gradient(lambda t: t.relu(), (0.0,))[1]


def test_a_chain_of_10000_operations_needs_no_recursion():
    Value = ref("Value")

    def chain(x):
        y = x
        for _ in range(5_000):
            y = (y + x).tanh()
        return y

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 100)  # far below the graph's depth
    try:
        x = Value(0.5)
        out = chain(x)
        out.backward()
    finally:
        sys.setrecursionlimit(limit)
    check_close([out.data, x.grad], torch_gradient(chain, (0.5,)), name="chain", quiet=True)


def test_backward_twice_accumulates_in_the_inputs_only_like_torch():
    Value = ref("Value")
    f = lambda x: (x * x).sin() * x + x.exp()
    x = Value(0.7)
    out = f(x)
    out.backward()
    out.backward()
    x_t = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    out_t = f(x_t)
    out_t.backward(retain_graph=True)
    out_t.backward()
    check_close(x.grad, x_t.grad, name="x.grad after two sweeps", quiet=True)


class Vertex:
    def __init__(self, *parents):
        self.parents = parents


@FAST
@given(st.lists(st.lists(st.integers(0, 10**6), max_size=4), min_size=1, max_size=60))
def test_topological_order_puts_every_reachable_node_once_after_its_parents(parent_choices):
    nodes = []
    for k, choices in enumerate(parent_choices):
        nodes.append(Vertex(*(nodes[c % k] for c in choices)) if k else Vertex())
    root = nodes[-1]
    order = ref("topological_order")(root)
    reachable, stack = {id(root)}, [root]
    while stack:
        for parent in stack.pop().parents:
            if id(parent) not in reachable:
                reachable.add(id(parent))
                stack.append(parent)
    ids = [id(node) for node in order]
    assert len(ids) == len(set(ids)) and set(ids) == reachable and order[-1] is root
    position = {i: k for k, i in enumerate(ids)}
    assert all(position[id(p)] < position[id(node)] for node in order for p in node.parents)


@FAST
@given(st.integers(1, 6), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_jacobians_both_ways_match_torch(n, m, seed):
    rng = np.random.default_rng(seed)
    weights, x = rng.normal(size=(m, n)).tolist(), rng.normal(size=n).tolist()  # Python floats

    def f(inputs):
        mixed = [sum((w * xi for w, xi in zip(row, inputs[1:])), inputs[0] * row[0]) for row in weights]
        return [(u * inputs[-1]).tanh() + u.sin() for u in mixed]

    x_t = torch.tensor(x, dtype=torch.float64)
    expected = torch.autograd.functional.jacobian(lambda t: torch.stack(f(list(t))), x_t).numpy()
    check_close(ref("jacobian_forward")(f, x), expected, name="forward", atol=1e-12, quiet=True)
    check_close(ref("jacobian_reverse")(f, x), expected, name="reverse", atol=1e-12, quiet=True)
    check_close(ref("jacobian_rows")(lambda t: torch.stack(f(list(t))), x_t), expected,
                name="rows", atol=1e-12, quiet=True)


@FAST
@given(st.integers(1, 80), st.integers(1, 100), st.integers(0, 2**32 - 1))
def test_accumulated_gradients_equal_the_full_batch_gradient(n, micro_batch, seed):
    generator = torch.Generator().manual_seed(seed)
    X, y = torch.randn(n, 3, generator=generator, dtype=torch.float64), torch.randn(n, 2, generator=generator, dtype=torch.float64)

    def model():
        torch.manual_seed(seed)
        return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()

    full, accumulated = model(), model()
    torch.nn.functional.mse_loss(full(X), y).backward()
    accumulated(X).sum().backward()  # stale gradients the function must clear
    ref("accumulated_gradients")(accumulated, torch.nn.functional.mse_loss, X, y, micro_batch)
    for p, q in zip(accumulated.parameters(), full.parameters()):
        check_close(p.grad, q.grad, name="gradient", atol=1e-12, quiet=True)


def test_jacobian_rows_leaves_the_callers_tensor_alone():
    x = torch.tensor([0.5, -1.0], dtype=torch.float64)
    J = ref("jacobian_rows")(lambda v: torch.stack([v[0] * v[1], torch.exp(v[1])]), x)
    assert not x.requires_grad and x.grad is None
    check_close(J, [[-1.0, 0.5], [0.0, math.exp(-1.0)]], name="J", quiet=True)
