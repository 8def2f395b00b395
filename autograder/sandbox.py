"""Student kernels in a bubblewrap sandbox, with caps on what they may use.

``SandboxProvisioner`` is a jupyter_client kernel provisioner (registered as ``trainlab-sandbox``
under the ``jupyter_client.kernel_provisioners`` entry point) that starts the kernel inside ``bwrap``
(Debian's ``bubblewrap``). The sandbox is built from an allowlist:

- read-only: the system (/usr and its links /bin, /lib, ...), a few files of /etc (the loader's
  cache, the time zone, fonts), Python, the virtual environment, the course library, the folders of
  ``show``, and in the grader's run of the instructor notebooks only, ``solutions`` at
  ``/run/trainlab/solutions`` (the root's own folders are read-only: no kernel can make that folder);
- writable: file systems in memory of ``disk`` bytes each: /tmp, /dev/shm, and the kernel's home with its
  working folder, a copy of the regular files next to the graded notebook (never the notebooks: the
  grader's copy holds the hidden tests); and a private folder on the host with the connection file,
  the sockets and the channel (``/run/trainlab/records.jsonl`` inside, see trainlab.records);
- nothing else: no network, no other processes, no /etc/passwd of the machine, no home folder of
  anyone, no course, no class.

The kernel runs as an unprivileged user of its own: uid ``first_uid + n`` for the n-th kernel that
runs at once (so RLIMIT_NPROC, which the kernel counts per uid, counts one kernel), with no
capabilities and no way to gain any. The caps are enforced by the kernel (Linux): setrlimit (CPU
time, processes, open files, file size, memory per process), a memory cgroup and a pids cgroup for
the kernel's processes together where the machine has them (cgroup v1, or v2 with both controllers
delegated), and the size of the file system in memory. Memory per process is RLIMIT_DATA (what a
process allocates, not the libraries it maps, which RLIMIT_AS would count: a kernel that imports torch
maps about 1 GB): one process asking for too much gets a MemoryError at once, where the cgroup alone
lets it thrash for seconds before the Linux kernel kills it. ``cap_hit`` says afterwards which cap a dead or failing kernel hit.

The grader must run as root to switch to the sandbox's users; otherwise the kernel runs as the
grader's user inside a user namespace (bubblewrap's unprivileged mode), with the same allowlist.

With ``zygote`` (root only), bubblewrap makes the same sandbox around a placeholder process, and the
zygote (autograder/zygote.py) forks the kernel into it with its imports done: same namespaces, cgroups,
limits, user and environment, without the seconds of CPU time a new Python spends importing torch.
"""

import asyncio
import errno
import fcntl
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
from pathlib import Path

import trainlab
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Bool, Integer, List, Unicode

from autograder.zygote import NAMESPACES, ZygoteKernel
from autograder.zygote import request as zygote_request
from trainlab import records

# The kernel's environment keeps these of the grader's, and nothing else: the numerical libraries'
# settings must stay, or the kernel computes otherwise than the grader's run of the reference
# (OPENBLAS_CORETYPE picks the kernels, and so the rounding, of numpy's matrix products).
KEPT = ("PATH", "LANG", "LC_ALL", "TZ", "PYTHONHASHSEED")
KEPT_PREFIXES = ("OMP_", "OPENBLAS_", "MKL_", "KMP_", "JPY_", "PYDEVD_")
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC = ("/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives", "/etc/fonts")
HOME = "/home/student"
PREFIX = "trainlab-kernel-"  # of the private folders
CHANNEL_INSIDE = str(records.CHANNEL)
SOLUTIONS_INSIDE = str(records.SOLUTIONS)


def kept(environment):
    """The variables of ``environment`` a graded kernel may see. Not JPY_PARENT_PID: in its PID namespace
    the kernel's parent is bubblewrap's init, and bubblewrap stops the kernel when the grader dies."""
    return {name: value for name, value in environment.items()
            if (name in KEPT or name.startswith(KEPT_PREFIXES)) and name != "JPY_PARENT_PID"}


def kernel_environment(environment, threads=1):
    """The environment of a graded kernel that the grader starts with ``environment``."""
    return kept(environment) | {"HOME": HOME, "MPLCONFIGDIR": f"{HOME}/.matplotlib", "OMP_NUM_THREADS": str(threads),
                                "JPY_PARENT_PID": "1",  # bwrap's init: not polled
                                "PYTHONDONTWRITEBYTECODE": "1"}


def human(size):
    """2000000000 -> '2 GB'."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


def private_parent():
    """Where the kernels' private folders are made: in memory where the machine has /dev/shm."""
    return Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())


def grader_gone(name):
    """Whether the grader whose pid a private folder's or cgroup's ``name`` carries (PREFIX<pid>-...) has exited."""
    try:
        os.kill(int(name.removeprefix(PREFIX).split("-", 1)[0]), 0)
    except ProcessLookupError:
        return True
    except (ValueError, PermissionError):  # not such a name; another user's live grader
        pass
    return False


def sweep():
    """Remove the private folders and cgroups of kernels whose grader was killed before its cleanup ran (a budget
    stops a grader with SIGKILL): each name carries its grader's pid. A grader sweeps before each new kernel."""
    for folder in private_parent().glob(f"{PREFIX}*"):
        if grader_gone(folder.name):
            shutil.rmtree(folder, ignore_errors=True)
    for parent in set(Cgroups.parents().values()):
        for folder in parent.glob(f"{PREFIX}*"):
            if grader_gone(folder.name):
                Cgroups.remove_folder(folder)


class Cgroups:
    """A memory and a pids cgroup of the kernel's own, where the grader may make them (else empty)."""

    def __init__(self, name, memory, processes):
        self.folders = {controller: parent / name for controller, parent in self.parents().items()}
        try:
            for folder in set(self.folders.values()):
                folder.mkdir()
            if self.folders["memory"] == self.folders["pids"]:  # v2
                (self.folders["memory"] / "memory.max").write_text(str(memory))
                (self.folders["memory"] / "memory.swap.max").write_text("0")
            else:  # v1
                (self.folders["memory"] / "memory.limit_in_bytes").write_text(str(memory))
                swap = self.folders["memory"] / "memory.memsw.limit_in_bytes"
                if swap.exists():
                    swap.write_text(str(memory))
            (self.folders["pids"] / "pids.max").write_text(str(processes))
        except (OSError, KeyError):
            self.remove()

    @staticmethod
    def parents():
        """{controller: the cgroup folder the kernels' cgroups are made in} for memory and pids: the grader's own
        cgroup (cgroup v1, or v2 with both controllers delegated); {} where there is none to use."""
        try:
            own = dict(line.split(":", 2)[1:] for line in Path("/proc/self/cgroup").read_text().splitlines())
            if Path("/sys/fs/cgroup/cgroup.controllers").exists():  # v2: one hierarchy
                parent = Path("/sys/fs/cgroup") / own[""].lstrip("/")
                delegated = {"memory", "pids"} <= set((parent / "cgroup.subtree_control").read_text().split())
                return {"memory": parent, "pids": parent} if delegated else {}
            return {controller: Path("/sys/fs/cgroup") / controller / own[controller].lstrip("/")
                    for controller in ("memory", "pids")}  # v1: one hierarchy per controller
        except (OSError, KeyError):
            return {}

    def join(self):
        """Put the calling process into the cgroups (run in the child, before exec)."""
        for folder in set(self.folders.values()):
            with open(folder / "cgroup.procs", "w") as procs:
                procs.write(str(os.getpid()))

    def count(self, controller, filename, key):
        """A counter of the cgroup's events file, e.g. ("memory", "memory.events", "oom_kill")."""
        try:
            text = (self.folders[controller] / filename).read_text()
        except (KeyError, OSError):
            return 0
        return int(dict(line.split() for line in text.splitlines() if len(line.split()) == 2).get(key, 0))

    def memory_events(self):
        """(kernel processes killed for memory, times the memory limit was reached)."""
        if self.folders.get("memory") and self.folders["memory"] == self.folders.get("pids"):  # v2
            return self.count("memory", "memory.events", "oom_kill"), self.count("memory", "memory.events", "max")
        try:
            reached = int((self.folders["memory"] / "memory.failcnt").read_text())
        except (KeyError, OSError, ValueError):
            reached = 0
        return self.count("memory", "memory.oom_control", "oom_kill"), reached

    def out_of_processes(self):
        return self.count("pids", "pids.events", "max") > 0

    def remove(self):
        """Kill what is left in the cgroups and remove them, once the killed processes are gone."""
        for folder in set(self.folders.values()):
            self.remove_folder(folder)
        self.folders = {}

    @staticmethod
    def remove_folder(folder):
        """Kill the processes of the cgroup ``folder`` and remove it, once they are gone."""
        for _ in range(100):
            try:
                for pid in (folder / "cgroup.procs").read_text().split():
                    os.kill(int(pid), signal.SIGKILL)
                folder.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:  # EBUSY: a process is still exiting
                time.sleep(0.02)


class SandboxProvisioner(LocalProvisioner):
    """A LocalProvisioner whose kernel runs inside bubblewrap, capped (see the module docstring)."""

    memory = Integer(2 * 10**9, help="Bytes of memory a graded kernel may use, its processes together "
                     "(a cgroup; where the machine has none, RLIMIT_DATA: per process).").tag(config=True)
    processes = Integer(256, help="Processes and threads a graded kernel may run at once.").tag(config=True)
    disk = Integer(100 * 10**6, help="Bytes a graded kernel may write to each of its file systems in memory: "
                   "home (with its folder), /tmp and /dev/shm.").tag(config=True)
    cpu_time = Integer(600, help="Seconds of CPU time a graded kernel may use in all.").tag(config=True)
    open_files = Integer(256, help="Files a graded kernel may hold open at once.").tag(config=True)
    first_uid = Integer(3_000_000_000, help="The sandbox's users are first_uid, first_uid + 1, ... (one per "
                        "kernel running at once): uids no account of the machine has.").tag(config=True)
    users = Integer(1000, help="How many sandbox users there are: kernels the machine may run at once.").tag(
        config=True)
    threads = Integer(1, help="Threads of a graded kernel's numerical libraries (OMP_NUM_THREADS): the course's "
                      "models are tiny, and one thread is fastest while kernels share the cores.").tag(config=True)
    show = List(Unicode(), help="Folders shown read-only besides Python, the environment and the course "
                "library.").tag(config=True)
    # Not configuration: the grader's code passes it for its own run of the instructor notebooks only.
    solutions = Unicode("", help="The instructor notebooks' folder, for the grader's run of them: shown "
                        "read-only at /run/trainlab/solutions, which tells the kernel it is that run "
                        "(trainlab.records.reference_run).")
    figures = Bool(False, help="Whether a graded kernel draws its matplotlib figures (PNG, in the graded notebook "
                   "and its feedback). Off, a figure is shown as its text ('<Figure size 640x480 with 1 Axes>') "
                   "and never drawn, which saves CPU time that judges nothing.").tag(config=True)
    # Set by the grader's code (dask_grading.py) on nbgrader's command line, while it runs a zygote: not
    # a setting of the README's table.
    zygote = Unicode("", help="The socket of a zygote (autograder/zygote.py) that forks graded kernels with their "
                     "imports done, in the same sandbox (root only); empty, or when the zygote fails: each kernel "
                     "starts Python afresh.").tag(config=True)

    async def pre_launch(self, **kwargs):
        if not shutil.which("bwrap"):
            raise RuntimeError("the grader runs student code in bubblewrap, which is not installed: "
                               "apt-get install bubblewrap")
        km = self.parent
        previous = Path(km.connection_file).parent if km.connection_file else None
        if previous and previous.name.startswith(PREFIX) and previous.is_dir():  # a restart: the client stays
            self.private = previous
        else:
            sweep()
            self.private = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=private_parent()))
            self.private.chmod(0o711)  # the grader's: the kernel cannot put a link in place of its files
            (self.private / "sockets").mkdir()
            (self.private / "records.jsonl").touch(mode=0o600)
        self.uid = self.claim_uid()
        for path in (self.private / "sockets", self.private / "records.jsonl"):
            if self.uid is not None:
                os.chown(path, self.uid, self.uid)
        km.transport, km.cache_ports = "ipc", False  # the kernel has a network (and a loopback) of its own
        km.ip = str(self.private / "sockets" / "socket")  # the sockets are socket-1, socket-2, ...
        km.connection_file = str(self.private / "kernel.json")
        # Read through this descriptor only, from where the last kernel stopped writing.
        self.channel = os.open(self.private / "records.jsonl", os.O_RDONLY | os.O_NOFOLLOW)
        self.channel_offset = os.fstat(self.channel).st_size
        kwargs = await super().pre_launch(**kwargs)
        if self.uid is not None:
            os.chown(km.connection_file, self.uid, self.uid)
        return kwargs

    def claim_uid(self):
        """A sandbox uid no other kernel uses now (held by a lock until cleanup), or None if not root."""
        self.uid_lock = None
        if os.geteuid() != 0:
            return None
        locks = Path(tempfile.gettempdir()) / "trainlab-sandbox-uids"
        locks.mkdir(mode=0o700, exist_ok=True)
        for uid in range(self.first_uid, self.first_uid + self.users):
            lock = os.open(locks / str(uid), os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(lock)
                continue
            self.uid_lock = lock
            return uid
        raise RuntimeError(f"all {self.users} sandbox users are busy: raise SandboxProvisioner.users")

    async def launch_kernel(self, cmd, **kwargs):
        cwd = Path(kwargs.pop("cwd", None) or os.getcwd())
        inside = f"{HOME}/{cwd.name}"
        environment = kernel_environment(kwargs.get("env") or os.environ, self.threads)
        kwargs["env"] = {}  # bwrap starts from nothing but what --setenv gives
        self.cgroups = Cgroups(self.private.name, self.memory, self.processes) if self.uid is not None else None
        limits = {"CPU": (self.cpu_time, self.cpu_time + 5), "NOFILE": (self.open_files,) * 2,
                  "FSIZE": (self.disk,) * 2, "NPROC": (self.processes,) * 2, "DATA": (self.memory,) * 2,
                  "CORE": (0, 0)}
        arguments = cmd[1:] if self.figures else [*cmd[1:], "--InlineBackend.figure_formats=set()"]
        # (the inline backend then formats a figure as text only)
        forkable = cmd[0] == sys.executable and cmd[1:3] == ["-m", "ipykernel_launcher"]  # what the zygote runs
        if self.zygote and self.uid is not None and forkable:
            try:
                return await self.launch_from_zygote(inside, cwd, environment, limits, arguments[2:], kwargs)
            except (OSError, ValueError, KeyError, asyncio.TimeoutError) as error:
                self.log.warning("the zygote did not start the kernel (%s): it starts afresh", error)
        prlimit = ["prlimit", *(f"--{name.lower()}={soft}:{hard}" for name, (soft, hard) in limits.items())]
        python = [cmd[0], "-P", *arguments]  # -P: neither the working folder nor '' on sys.path
        if self.uid is not None:
            user = ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups", "--inh-caps=-all",
                    "--bounding-set=-all", "--no-new-privs", "--"]
        else:
            user = []
        return await self.launch_sandboxed([*user, *prlimit, "--", *python], inside, cwd, environment, kwargs)

    async def launch_sandboxed(self, command, inside, cwd, environment, kwargs, extra=(), pass_fds=()):
        """Start ``command`` in a new sandbox (bwrap with ``extra`` options) as LocalProvisioner starts a kernel."""
        files = self.open_regular_files(cwd)
        cgroups = self.cgroups

        def enter_cgroups():
            if cgroups:
                cgroups.join()

        sandbox = self.bwrap(inside, files, environment)
        try:
            return await super().launch_kernel([*sandbox[:-1], *extra, "--", *command], cwd="/",
                                               pass_fds=[*(fd for fd, _ in files), *pass_fds],
                                               preexec_fn=enter_cgroups, **kwargs)
        finally:
            for fd, _ in files:
                os.close(fd)

    async def launch_from_zygote(self, inside, cwd, environment, limits, arguments, kwargs, timeout=30):
        """The kernel forked by the zygote into a sandbox made around a placeholder process (autograder/zygote.py)."""
        ready, ready_end = os.pipe()
        info, info_end = os.pipe()
        placeholder = ["/bin/sh", "-c", f"echo ready >/dev/fd/{ready_end}; exec sleep infinity"]  # bwrap is done
        opened = []
        try:
            await self.launch_sandboxed(placeholder, inside, cwd, environment, kwargs,
                                        extra=["--info-fd", str(info_end)], pass_fds=[ready_end, info_end])
        finally:
            os.close(ready_end)
            os.close(info_end)
        sandbox = self.process
        try:
            said = await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, os.read, ready, 16), timeout)
            if said != b"ready\n":
                raise OSError("bubblewrap did not make the sandbox")
            init = json.loads(os.read(info, 4096))["child-pid"]  # bubblewrap's init, pid 1 in the sandbox
            placeholder_pid = int(Path(f"/proc/{init}/task/{init}/children").read_text().split()[0])
            for name in ("cgroup", *NAMESPACES):
                opened.append(os.open(f"/proc/{placeholder_pid}/ns/{name}", os.O_RDONLY))
            for folder in sorted(set(self.cgroups.folders.values()) if self.cgroups else ()):
                opened.append(os.open(folder / "cgroup.procs", os.O_WRONLY))
            message = {"argv": arguments, "env": environment | {"PWD": inside}, "cwd": inside, "uid": self.uid,
                       "limits": limits}
            connection, pid = zygote_request(self.zygote, message, [1, 2, *opened], timeout)
        except BaseException:
            ZygoteKernel(sandbox, None, None).stop_sandbox()
            self.process = None
            raise
        finally:
            for fd in (ready, info, *opened):
                os.close(fd)
        self.process = ZygoteKernel(sandbox, connection, pid)
        self.log.info("the zygote forked the kernel into its sandbox")
        return self.connection_info

    async def send_signal(self, signum):
        if isinstance(self.process, ZygoteKernel):  # to the kernel; SIGKILL: to the sandbox, which takes the kernel
            self.process.send_signal(signum)
        else:
            await super().send_signal(signum)

    def open_regular_files(self, folder, limit=100):
        """[(fd, relative path)] of the regular files under ``folder`` but notebooks, opened without
        following links (at most ``limit``: a submission is a notebook and a few files)."""
        found = []
        for root, folders, names in os.walk(folder):
            folders[:] = sorted(name for name in folders if not os.path.islink(os.path.join(root, name)))
            for name in sorted(names):
                if name.endswith(".ipynb") or len(found) >= limit:
                    continue
                try:
                    fd = os.open(os.path.join(root, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                except OSError:
                    continue
                status = os.fstat(fd)
                if stat.S_ISREG(status.st_mode) and status.st_size <= self.disk:
                    found.append((fd, os.path.relpath(os.path.join(root, name), folder)))
                else:
                    os.close(fd)
        return found

    def bwrap(self, cwd, files, environment):
        """The ``bwrap`` command up to its ``--``: the allowlist of the module docstring."""
        command = [shutil.which("bwrap"), "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                   "--unshare-cgroup-try", "--die-with-parent", "--new-session"]
        if self.uid is None:  # and no user namespace of its own, where it could mount over /run/trainlab
            command += ["--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
        shown = {sys.prefix, os.path.realpath(sys.prefix), sys.base_prefix, os.path.realpath(sys.base_prefix),
                 str(Path(trainlab.__file__).resolve().parents[1]), *self.show}
        shown = sorted(folder for folder in shown if not folder.startswith(SYSTEM) and Path(folder).is_dir())
        parents = sorted({str(parent) for folder in shown for parent in Path(folder).parents if str(parent) != "/"},
                         key=lambda path: (path.count("/"), path))
        # /tmp first: the course may live under it (a clone in /tmp), and its folders are shown inside
        command += ["--size", str(self.disk), "--perms", "1777", "--tmpfs", "/tmp"]
        for folder in parents:  # bwrap would make them 0700, out of the kernel's reach
            if folder != "/tmp":
                command += ["--perms", "0755", "--dir", folder]
        for path in SYSTEM:
            if os.path.islink(path):
                command += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                command += ["--ro-bind", path, path]
        command += ["--perms", "0755", "--dir", "/etc"]
        for path in ETC:
            if os.path.exists(path):
                command += ["--ro-bind", path, path]
        for folder in shown:
            command += ["--ro-bind", folder, folder]
        command += ["--dev", "/dev", "--proc", "/proc",
                    # made by root, for the kernel's user: the sticky bit keeps /tmp's meaning
                    "--size", str(self.disk), "--perms", "1777", "--tmpfs", HOME,
                    "--size", str(self.disk), "--perms", "1777", "--tmpfs", "/dev/shm",
                    "--perms", "1777", "--dir", cwd, "--ro-bind", str(self.private), str(self.private),
                    "--bind", str(self.private / "sockets"), str(self.private / "sockets"),
                    "--perms", "0755", "--dir", str(Path(CHANNEL_INSIDE).parent.parent),
                    "--perms", "0755", "--dir", str(Path(CHANNEL_INSIDE).parent),
                    "--bind", str(self.private / "records.jsonl"), CHANNEL_INSIDE]
        if self.solutions:
            command += ["--ro-bind", self.solutions, SOLUTIONS_INSIDE]
        for fd, relative in files:
            for parent in reversed(Path(relative).parents[:-1]):
                command += ["--perms", "1777", "--dir", f"{cwd}/{parent}"]
            command += ["--perms", "0666", "--file", str(fd), f"{cwd}/{relative}"]
        command += ["--clearenv"]
        for name, value in environment.items():
            command += ["--setenv", name, value]
        # the root (/run/trainlab among its folders) read-only: the kernel cannot make itself the reference run
        return [*command, "--remount-ro", "/", "--chdir", cwd, "--"]

    def read_records(self, limit=50 * 10**6):
        """The entries the kernel appended to the channel since the last call (at most ``limit`` bytes
        in all: past that, one entry that says so)."""
        size = os.fstat(self.channel).st_size
        if size > limit:
            return [{"garbled": f"the kernel wrote more than {human(limit)} of records"}]
        data = os.pread(self.channel, size - self.channel_offset, self.channel_offset)
        self.channel_offset += len(data)
        return records.parse(data)

    def cell_starts(self):
        """Note the memory events so far: cap_hit counts those of the cell that runs now."""
        self.memory_events = self.cgroups.memory_events() if self.cgroups else (0, 0)

    def cap_hit(self, error=None):
        """Which cap the kernel hit, in words ('used more than 2 GB of memory'), or None.

        error: the (ename, evalue) of the cell's error, if it raised one. A cell that reached the memory
        limit and was then stopped for another reason (the kernel may thrash for a while before the
        Linux kernel kills it) counts as one that hit the memory cap.
        """
        ename, evalue = error or ("", "")
        code = self.process.poll() if self.process else None
        before = getattr(self, "memory_events", (0, 0))
        now = self.cgroups.memory_events() if self.cgroups else (0, 0)
        if now[0] > 0 or now[1] > before[1] or ename.endswith("MemoryError"):
            return f"used more than {human(self.memory)} of memory"
        if (self.cgroups and self.cgroups.out_of_processes()) or ename == "BlockingIOError" or (
                "can't start new thread" in evalue):
            return f"started more than {self.processes} processes or threads"
        if code in (128 + signal.SIGXCPU, 128 + signal.SIGKILL):
            return f"used more than {self.cpu_time} s of CPU time"
        if f"[Errno {errno.ENOSPC}]" in evalue or f"[Errno {errno.EFBIG}]" in evalue:
            return f"wrote more than {human(self.disk)}"
        if f"[Errno {errno.EMFILE}]" in evalue:
            return f"opened more than {self.open_files} files at once"
        return None

    async def cleanup(self, restart=False):
        if isinstance(self.process, ZygoteKernel):
            self.process.kill()
            self.process.wait()
        await super().cleanup(restart)
        if getattr(self, "cgroups", None):
            self.cgroups.remove()
        if getattr(self, "channel", None) is not None:
            os.close(self.channel)
            self.channel = None
        if getattr(self, "uid_lock", None) is not None:
            os.close(self.uid_lock)
            self.uid_lock = None
        if not restart:
            shutil.rmtree(self.private, ignore_errors=True)
