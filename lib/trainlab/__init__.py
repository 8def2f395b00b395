"""trainlab: the shared numerics of the course on how neural networks are trained.

One module per concern:

- ``trainlab.data``      offline data sets (bundled with scikit-learn or generated)
- ``trainlab.gradcheck`` numerical gradients by central differences
- ``trainlab.checks``    the comparisons that test cells run, with readable reports
- ``trainlab.grading``   hidden tests: compare a student's function with the reference solution
- ``trainlab.records``   what checks record for the grader, which judges them outside the kernel
- ``trainlab.quiz``      self-check quizzes with hashed answers (``trainlab.quiz_widget``: their answer controls)
- ``trainlab.trajectories`` run any ``update(w, dw, config) -> (w, config)``; torch.optim in that signature
- ``trainlab.landscapes`` 2-D test functions (Rosenbrock, Beale, saddle, ...) with gradients and minima
- ``trainlab.canvas``    an ipympl canvas widget for a figure, leaving pyplot's backend alone
- ``trainlab.race``      the widget: optimizers racing on a landscape, and its static HTML export
- ``trainlab.trace``     the widget: stepping through an evaluation trace (primal, tangent, adjoint)
- ``trainlab.deepnet``   activation and gradient spread per layer of a deep MLP, and its widget
- ``trainlab.livecurves`` loss and accuracy curves that grow while a model trains
- ``trainlab.loopcheck`` checks of a training epoch and an evaluation, step by step
- ``trainlab.seeded``    loaders and dropout whose randomness a test controls (chapter 6's same-seed tests)
- ``trainlab.progressbar`` tqdm's progress bar, which leaves what it wraps alone (chapter 6)
- ``trainlab.yours``     a student's own functions from an earlier chapter's notebook
- ``trainlab.exercises`` each exercise of a notebook: pass / fail / not yet (``trainlab.progress()``)

Importing ``trainlab`` is cheap: it imports none of these (and never torch).
"""

__version__ = "0.1.0"


def progress(notebook=None):
    """Each exercise of this chapter's notebook with pass / fail / not yet, as a short table
    (see :mod:`trainlab.exercises`)."""
    from trainlab.exercises import progress

    return progress(notebook)
