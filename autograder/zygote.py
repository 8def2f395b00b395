"""A fork server for graded kernels: Python with the course's imports done, forked into each new sandbox.

A graded kernel spends seconds of CPU time importing torch, scikit-learn, matplotlib and ipykernel
before it runs a cell. The zygote is one long-lived, single-threaded Python that has done those
imports once (:data:`PRELOADED`) and forks every kernel from that state. bubblewrap still makes each
sandbox exactly as for a kernel started afresh (autograder/sandbox.py), around a placeholder process;
the provisioner then asks the zygote for a kernel there, passing the placeholder's namespaces.

The zygote forks a helper per kernel, which enters the sandbox's namespaces (ipc, uts, net, pid,
mount) and forks the kernel inside its PID namespace; the helper reports the kernel's pid and, once
it ends, its exit status. The kernel joins its cgroups and the cgroup namespace, takes the sandbox's
limits (setrlimit), its working folder, its environment, a new session, and the sandbox's user with
no capabilities and no way to gain any (like setpriv), then runs ``python -m ipykernel_launcher``'s
code with the kernel spec's arguments. Each kernel is a fresh fork: nothing of another kernel is in
it, and nothing a kernel does reaches the zygote.

The zygote runs as root (it enters namespaces and switches users), is started from a clean
interpreter with the environment of a graded kernel (what ``/proc/self/environ`` shows in every
kernel), reads nothing of the course but the modules it imports, never runs a computation (thread
pools are not fork-safe once started), answers only processes of its own user, and dies with the
process that started it. It listens at once and imports at a higher priority (every kernel waits for
those imports); its kernels run at the grader's priority. Modules that register with the running
IPython shell when imported (ipywidgets, matplotlib's inline backend, trainlab.checks) are not
preloaded: the kernel imports them.

    with zygote.running(environment) as socket_path:   # in the grader, before it forks
        ...  # SandboxProvisioner.zygote = socket_path
"""

import contextlib
import ctypes
import gc
import json
import os
import resource
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# What every graded kernel imports, torch before trainlab.records (which keeps torch's functions once imported).
# torch._dynamo: torch.optim's first optimizer imports it, about 1 CPU-s in a kernel (chapters 2 to 6 use optimizers).
PRELOADED = ("ipykernel.kernelapp", "IPython", "numpy", "numpy.testing", "torch", "torch.nn.functional",
             "torch.testing", "torch._dynamo", "matplotlib", "matplotlib.pyplot", "sklearn.datasets",
             "sklearn.linear_model", "sklearn.metrics", "trainlab", "trainlab.records", "trainlab.data",
             "trainlab.gradcheck")
NAMESPACES = ("ipc", "uts", "net", "pid", "mnt")  # entered by the helper, the mount namespace last
INLINE = "module://matplotlib_inline.backend_inline"  # what ipykernel sets before any cell imports matplotlib
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 1, 4, 24, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
CAPABILITY_VERSION_3 = 0x20080522
MESSAGE = 1 << 20  # bytes of a request or an answer, at most

libc = ctypes.CDLL(None, use_errno=True)


def checked(result):
    """Raise OSError for a libc call's -1."""
    if result == -1:
        number = ctypes.get_errno()
        raise OSError(number, os.strerror(number))
    return result


def prctl(option, *arguments):
    return checked(libc.prctl(option, *[ctypes.c_ulong(argument) for argument in arguments]))


# The zygote's side ---------------------------------------------------------------------------------------------


def serve(path):
    """Listen on the unix socket ``path``, import :data:`PRELOADED`, then fork a helper per request; forever.
    Requests that come during the imports wait in the socket's queue."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # dies with the grader
    if os.getppid() == 1:
        sys.exit("the process that started the zygote is gone")
    prctl(PR_SET_DUMPABLE, 0)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(256)
    print("listening", flush=True)
    environment = dict(os.environ)
    priority = os.getpriority(os.PRIO_PROCESS, 0)
    os.setpriority(os.PRIO_PROCESS, 0, priority - 5)  # every kernel waits for these imports: first in line
    with tempfile.TemporaryDirectory(prefix="trainlab-zygote-") as folder:  # not the kernels' home on this machine
        os.environ.update(MPLCONFIGDIR=folder, MPLBACKEND=INLINE, TORCHINDUCTOR_CACHE_DIR=folder)
        for name in PRELOADED:
            __import__(name)
    os.environ.clear()
    os.environ.update(environment)
    os.setpriority(os.PRIO_PROCESS, 0, priority)  # which the kernels inherit
    gc.collect()
    gc.freeze()  # a kernel's garbage collector leaves the imported objects alone: no scans, no copied pages
    assert len(os.listdir("/proc/self/task")) == 1, "a preloaded module started a thread: forks are not safe"
    last_capability = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # helpers are reaped by the Linux kernel
    while True:
        connection, _ = listener.accept()
        pid, uid, _ = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                                   struct.calcsize("3i")))
        if uid == os.getuid() and os.fork() == 0:
            os.close(listener.detach())
            try:
                helper(connection, environment, last_capability)
            finally:
                os._exit(1)
        connection.close()


def helper(connection, environment, last_capability):
    """Enter the sandbox's namespaces, fork the kernel there, report its pid and then its exit status."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    data, fds, _, _ = socket.recv_fds(connection, MESSAGE, 16)
    request = json.loads(data)
    if not environment.items() <= request["env"].items():  # /proc/self/environ shows the zygote's: start afresh
        connection.send(json.dumps({"error": "the kernel's environment is not the zygote's"}).encode())
        return
    stdout, stderr, cgroup_namespace, *rest = fds
    spaces, procs = rest[:len(NAMESPACES)], rest[len(NAMESPACES):]
    for fd in spaces:
        checked(libc.setns(fd, 0))
    ready, done = os.pipe()
    kernel = os.fork()
    if kernel == 0:
        os.close(connection.detach())
        become_kernel(request, stdout, stderr, cgroup_namespace, procs, last_capability, done)
    for fd in (*fds, done):
        os.close(fd)
    if os.read(ready, 1) != b"1":  # the kernel could not take the sandbox's place: the grader starts one afresh
        os.waitpid(kernel, 0)
        connection.send(json.dumps({"error": "the kernel could not enter its sandbox"}).encode())
        return
    connection.send(json.dumps({"pid": kernel}).encode())
    _, status = os.waitpid(kernel, 0)
    code = os.waitstatus_to_exitcode(status)
    connection.send(json.dumps({"status": 128 - code if code < 0 else code}).encode())  # as bubblewrap says it
    os._exit(0)


def become_kernel(request, stdout, stderr, cgroup_namespace, procs, last_capability, done):
    """In the fork inside the sandbox: take the kernel's cgroups, limits, folder, files, user; say so on ``done``;
    run ipykernel."""
    code = 1
    try:
        os.setsid()
        for fd in procs:  # "0": the writing process; before the cgroup namespace, whose root is the kernel's cgroup
            os.write(fd, b"0")
        checked(libc.setns(cgroup_namespace, 0))
        os.chdir(request["cwd"])
        null = os.open("/dev/null", os.O_RDONLY)  # the sandbox's
        for fd, number in ((null, 0), (stdout, 1), (stderr, 2)):
            os.dup2(fd, number)
        os.closerange(3, done)
        os.closerange(done + 1, os.sysconf("SC_OPEN_MAX"))
        for name, (soft, hard) in request["limits"].items():
            resource.setrlimit(getattr(resource, f"RLIMIT_{name}"), (soft, hard))
        uid = request["uid"]
        for capability in range(last_capability + 1):
            prctl(PR_CAPBSET_DROP, capability)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # clears the permitted and effective capabilities
        header, data = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0), (ctypes.c_uint32 * 6)()
        checked(libc.capset(header, data))  # and the inheritable ones
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        prctl(PR_SET_DUMPABLE, 1)  # as a program started afresh by this user
        for number in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(request["env"])
        import numpy

        numpy.random.seed()  # its own entropy, as a new process draws (Python's random reseeds at fork)
        for name in [name for name in sys.modules if name == "autograder" or name.startswith("autograder.")]:
            del sys.modules[name]
        os.write(done, b"1")
        os.close(done)
        code = launch(request["argv"])
    except BaseException as error:  # noqa: BLE001  (nothing may return into the zygote's code)
        print(f"the zygote could not start the kernel: {type(error).__name__}: {error}", file=sys.stderr)
    finally:
        os._exit(code)


def launch(argv):
    """``python -m ipykernel_launcher *argv`` in this process; its exit status."""
    import atexit
    import runpy
    import threading

    sys.argv = ["ipykernel_launcher", *argv]  # run_module puts the module's path first, as python -m does
    code = 0
    try:
        runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    threading._shutdown()  # what Python does at exit: wait for the threads that are not daemons
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    return code


# The grader's side ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def running(environment, timeout=60):
    """A zygote for the graded kernels of this process and its children: yields its socket's path as soon as
    it listens (kernels asked for meanwhile wait for its imports), or "" where there is none (the grader is
    not root, or the zygote did not start): kernels then start afresh."""
    if os.geteuid() != 0:
        yield ""
        return
    with tempfile.TemporaryDirectory(prefix="trainlab-zygote-") as folder:  # 0700: the grader's alone
        path = str(Path(folder) / "socket")
        process = subprocess.Popen([sys.executable, "-P", "-m", "autograder.zygote"], env=environment, cwd="/",
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        try:
            process.stdin.write(path.encode())  # not on its command line, which every kernel shows as its own
            process.stdin.close()
            ready, _, _ = select.select([process.stdout], [], [], timeout)
            started = ready and process.stdout.readline().strip() == b"listening"
            if not started:
                print("the zygote did not start: graded kernels start afresh", file=sys.stderr)
            yield path if started else ""
        finally:
            process.kill()
            process.wait()
            process.stdout.close()


def request(path, message, fds, timeout=30):
    """Send a kernel's request to the zygote at ``path``; the connection, and the kernel's pid (host's)."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        connection.settimeout(timeout)
        connection.connect(path)
        socket.send_fds(connection, [json.dumps(message).encode()], fds)
        answer = json.loads(connection.recv(MESSAGE) or b'{"error": "the zygote hung up"}')
        if "error" in answer:
            raise OSError(answer["error"])
        return connection, answer["pid"]
    except BaseException:
        connection.close()
        raise


class ZygoteKernel:
    """A kernel the zygote forked into the sandbox ``sandbox`` (bubblewrap's Popen), with Popen's methods.

    Its exit status is the one bubblewrap would give (128 + the signal that killed it), or -9 when the
    grader killed it: killing it kills the sandbox, whose PID namespace takes the kernel with it.
    """

    stdin = stdout = stderr = None

    def __init__(self, sandbox, connection, pid):
        self.sandbox, self.connection, self.pid = sandbox, connection, pid
        self.returncode, self.killed = None, False

    def poll(self):
        return self.wait(timeout=0) if self.returncode is None else self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self.connection], [], [], left)[0]:
                if self.sandbox.poll() is None:
                    return None
                left = 5  # the sandbox is gone, and the kernel with it: its status is on its way
                if not select.select([self.connection], [], [], left)[0]:
                    self.finish(-signal.SIGKILL)
                    break
            try:
                answer = json.loads(self.connection.recv(MESSAGE) or b"{}")
            except (OSError, ValueError):
                answer = {}
            self.finish(-signal.SIGKILL if self.killed or "status" not in answer else answer["status"])
        return self.returncode

    def finish(self, code):
        self.returncode = code
        self.connection.close()
        self.stop_sandbox()

    def stop_sandbox(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.sandbox.pid, signal.SIGKILL)
        self.sandbox.wait()

    def send_signal(self, signum):
        if signum == signal.SIGKILL:
            self.kill()
        elif self.returncode is None:
            os.kill(self.pid, signum)

    def terminate(self):
        self.send_signal(signal.SIGTERM)

    def kill(self):
        self.killed = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.sandbox.pid, signal.SIGKILL)


if __name__ == "__main__":
    serve(sys.stdin.read())
