"""Student kernels in a bubblewrap sandbox while they are graded.

A submission is code from someone else, run by the grader. Inside ``bwrap`` (Debian's
``bubblewrap``) the kernel sees the machine read-only, minus what it must not see:

- hidden: the course folder (solutions, the autograder and its samples), the class folder
  (the gradebook, the other submissions, the reference records), the home folder and /run;
- visible again, read-only: Python and its packages, and the course library;
- writable: the submission's own folder, and a private folder that holds the kernel's
  connection file and sockets, the records file, its home folder and matplotlib's cache;
- no network (a network namespace of its own), no other processes (a PID namespace of its
  own), no capabilities, a /tmp of its own, and an environment with nothing but what the
  kernel needs (no database URL, no course paths).

The kernel talks with the grader over Unix sockets in the private folder (transport ``ipc``),
since a network namespace of its own has a loopback of its own too.
"""

import os
import shutil
import sys
from pathlib import Path

import matplotlib
from jupyter_client.manager import AsyncKernelManager
from traitlets import List, Unicode, default, observe

import trainlab

# The kernel's environment keeps these of the grader's, and nothing else: the numerical libraries'
# settings must stay, or the kernel computes otherwise than the grader's run of the reference
# (OPENBLAS_CORETYPE picks the kernels, and so the rounding, of numpy's matrix products).
KEPT = ("PATH", "LANG", "LC_ALL", "TZ", "PYTHONHASHSEED", "TRAINLAB_RECORD")
KEPT_PREFIXES = ("OMP_", "OPENBLAS_", "MKL_", "KMP_", "JPY_", "PYDEVD_")


def bwrap_command(cwd, private, hidden, visible, environment):
    """``bwrap`` arguments that run a command in ``cwd``, seeing what the module docstring says.

    cwd, private: writable folders; hidden: folders replaced by empty read-only ones; visible: folders
    inside the hidden ones that are shown again, read-only; environment: the kernel's variables.
    """
    command = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
               "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
               "--cap-drop", "ALL"]  # a root kernel could otherwise unmount what hides the course
    for folder in sorted(hidden, key=len):  # a folder before the folders inside it
        command += ["--tmpfs", folder]
    for folder in visible:
        command += ["--ro-bind", folder, folder]
    for folder in (cwd, private):
        command += ["--bind", folder, folder]
    for folder in hidden:  # empty and read-only, around what was bound inside
        command += ["--remount-ro", folder]
    command += ["--clearenv"]
    for name, value in environment.items():
        command += ["--setenv", name, value]
    return command + ["--chdir", cwd, "--"]


def kept(environment):
    """The variables of ``environment`` a graded kernel may see."""
    return {name: value for name, value in environment.items()
            if name in KEPT or name.startswith(KEPT_PREFIXES)}


def inside(folder, parents):
    """Whether ``folder`` lies inside one of ``parents``."""
    return any(Path(folder).is_relative_to(parent) for parent in parents)


class SandboxedKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel runs inside bubblewrap (see the module docstring)."""

    private = Unicode(help="the kernel's private folder: connection file, sockets, home, matplotlib's cache")
    hidden = List(Unicode(), help="folders the kernel must not see").tag(config=True)

    @default("transport")
    def _transport_default(self):
        return "ipc"

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None:  # SIGINT would stop bwrap, not the cell: the kernel is asked to interrupt itself
            spec.interrupt_mode = "message"
        return spec

    @observe("private")
    def _connect_through_private_folder(self, change):
        self.connection_file = str(Path(change.new) / "kernel.json")
        self.ip = str(Path(change.new) / "socket")  # the sockets are socket-1, socket-2, ...

    def format_kernel_cmd(self, extra_arguments=None):
        if not shutil.which("bwrap"):
            raise RuntimeError("the grader runs student code in bubblewrap, which is not installed: "
                               "apt-get install bubblewrap")
        if not self.private:
            raise RuntimeError("a sandboxed kernel needs its private folder: set SandboxedKernelManager.private")
        hidden = [str(Path(folder).resolve()) for folder in [*self.hidden, Path.home(), "/run"]
                  if Path(folder).exists()]
        python_and_library = {sys.prefix, sys.base_prefix, str(Path(trainlab.__file__).resolve().parents[1])}
        visible = sorted(folder for folder in python_and_library if inside(folder, hidden))
        home, cache = Path(self.private) / "home", Path(self.private) / "matplotlib"
        home.mkdir(exist_ok=True)
        cache.mkdir(exist_ok=True)
        for fonts in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):  # saves building it anew
            shutil.copy(fonts, cache)
        environment = kept(self._launch_args.get("env") or os.environ)
        environment |= {"HOME": str(home), "MPLCONFIGDIR": str(cache)}
        cwd = str(Path(self._launch_args.get("cwd") or os.getcwd()).resolve())
        return (bwrap_command(cwd, self.private, hidden, visible, environment)
                + super().format_kernel_cmd(extra_arguments))
