"""What `make release` adds to nbgrader's generate_assignment: student notebooks that open clean.

When a notebook's kernel starts, JupyterLab writes the kernel's ``language_info`` into the notebook's
metadata; a notebook whose metadata differs shows as unsaved before the student has typed anything.
``KernelLanguageInfo`` writes, at release, the ``language_info`` that the notebook's kernel reports.
"""

from functools import cache

from jupyter_client.manager import start_new_kernel
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float


@cache
def kernel_language_info(kernel_name, timeout):
    """The ``language_info`` of a kernel_info_reply of the kernel ``kernel_name``, started for the purpose."""
    manager, client = start_new_kernel(kernel_name=kernel_name, startup_timeout=timeout)
    try:
        return client.kernel_info(reply=True, timeout=timeout)["content"]["language_info"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


class KernelLanguageInfo(NbGraderPreprocessor):
    """Set the notebook's ``metadata.language_info`` to what its kernel (the kernelspec's) reports.

    The version is the full one (3.11.7): JupyterLab compares it whole, so a notebook opens clean in the
    course's environment; a student whose Python differs in its patch version sees the notebook change once.
    """

    timeout = Float(60, help="seconds the kernel may take to start and answer").tag(config=True)

    def preprocess(self, nb, resources):
        nb.metadata["language_info"] = kernel_language_info(nb.metadata["kernelspec"]["name"], self.timeout)
        return nb, resources
