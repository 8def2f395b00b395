"""The graded kernel's sandbox (autograder/sandbox.py), from inside kernels started in it: kernels that start
Python afresh, and kernels the zygote forks (autograder/zygote.py), each test for both."""

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from autograder import zygote
from autograder.sandbox import Cgroups, kernel_environment
from autograder.zygote import ZygoteKernel
from conftest import ROOT

MODES = ["fresh", "zygote"]

# Files of the machine outside the allowlist, planted for the tests (as root: the suite runs as root).
PLANTED = [Path("/etc/trainlab-planted.txt"), Path("/var/trainlab-planted.txt"), Path("/srv/trainlab-planted.txt"),
           Path.home() / "trainlab-planted.txt"]


@pytest.fixture(scope="module")
def zygote_socket():
    with zygote.running(kernel_environment(os.environ)) as path:
        assert path, "the zygote did not start"
        yield path


@pytest.fixture(params=MODES)
def mode(request):
    """{} for kernels that start afresh, or the configuration that has the zygote fork them."""
    return {"zygote": request.getfixturevalue("zygote_socket")} if request.param == "zygote" else {}


def start(folder, config=None, env=None):
    """A kernel under the trainlab-sandbox provisioner in ``folder``; its run(code) -> (reply, stdout).
    With ``zygote`` in ``config``, the kernel must have come from the zygote."""
    km = AsyncKernelManager(kernel_name="python3")
    km.kernel_spec.interrupt_mode = "message"
    km.kernel_spec.metadata["kernel_provisioner"] = {"provisioner_name": "trainlab-sandbox", "config": config or {}}
    run_sync(km.start_kernel)(cwd=str(folder), env=os.environ | (env or {}))
    client = km.client()
    client.start_channels()
    run_sync(client.wait_for_ready)(timeout=60)
    if Path((config or {}).get("zygote") or "/nonexistent").exists() and "threads" not in (config or {}):
        assert isinstance(km.provisioner.process, ZygoteKernel), "the zygote did not start the kernel"

    def run(code, timeout=30):
        out = []
        reply = run_sync(client.execute_interactive)(code, timeout=timeout, output_hook=lambda message: out.append(
            message["content"].get("text", "")) if message["msg_type"] == "stream" else None)
        return reply["content"], "".join(out)

    def stop():
        client.stop_channels()
        run_sync(km.shutdown_kernel)(now=True)

    return SimpleNamespace(run=run, manager=km, client=client, stop=stop)


@pytest.fixture(scope="module", params=MODES)
def kernel(request, tmp_path_factory):
    """A sandboxed kernel for <class>/autograded/ada/01_losses, next to a planted trainlab/ and numpy.py; started
    afresh, or forked by the zygote (its ``mode``: the configuration that says which)."""
    mode = {"zygote": request.getfixturevalue("zygote_socket")} if request.param == "zygote" else {}
    class_dir = tmp_path_factory.mktemp("class")
    (class_dir / "gradebook.db").write_text("grades")
    folder = class_dir / "autograded" / "ada" / "01_losses"
    (folder / "trainlab").mkdir(parents=True)
    (folder / "trainlab" / "__init__.py").write_text("print('the submission's trainlab')\n")
    (folder / "numpy.py").write_text("print('the submission's numpy')\n")
    (folder / "data.txt").write_text("handed in")
    (folder / "losses.ipynb").write_text("{}")
    os.symlink(class_dir / "gradebook.db", folder / "gradebook-link.txt")
    for path in PLANTED:
        path.write_text("secret")
    kernel = start(folder, mode, env={"TRAINLAB_DB_URL": "postgresql://grader:secret@localhost"})
    kernel.class_dir, kernel.folder, kernel.mode = class_dir, folder, mode
    yield kernel
    kernel.stop()
    for path in PLANTED:
        path.unlink()


def test_the_kernel_runs_as_an_unprivileged_user_of_its_own(kernel):
    _, out = kernel.run("import os; print(os.getuid(), os.geteuid(), os.getgid(), len(os.getgroups()))\n"
                        "print(open('/proc/self/status').read())")
    uid, euid, gid, groups, *_ = out.split()
    assert uid == euid != "0" and gid != "0" and groups == "0"
    status = dict(line.split(":\t", 1) for line in out.splitlines()[1:] if ":\t" in line)
    assert {status[name] for name in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")} == {"0000000000000000"}
    assert status["NoNewPrivs"] == "1" and status["Uid"].split() == [uid] * 4


def test_the_kernel_runs_in_its_cgroups_with_its_limits(kernel):
    _, out = kernel.run("import os, json, resource\nprint(json.dumps([os.getpid(), [resource.getrlimit(getattr("
                        "resource, 'RLIMIT_' + name)) for name in ('CPU', 'NOFILE', 'FSIZE', 'NPROC', 'DATA', "
                        "'CORE')], os.getpriority(os.PRIO_PROCESS, 0)]))")
    pid, limits, priority = json.loads(out)
    assert priority == os.getpriority(os.PRIO_PROCESS, 0)  # the grader's, not the zygote's while it imports
    sandbox = kernel.manager.provisioner
    assert limits == [[sandbox.cpu_time, sandbox.cpu_time + 5], [sandbox.open_files] * 2, [sandbox.disk] * 2,
                      [sandbox.processes] * 2, [sandbox.memory] * 2, [0, 0]]
    folders = set(sandbox.cgroups.folders.values())
    assert folders, "this machine gives the grader no cgroups"
    for folder in folders:  # the kernel's pid as the machine sees it, among the cgroup's processes
        inside = [Path(f"/proc/{host}/status").read_text().split("NSpid:")[1].split("\n")[0].split()[-1]
                  for host in (folder / "cgroup.procs").read_text().split()]
        assert str(pid) in inside, f"the kernel is not in {folder}"


def test_the_kernel_sees_the_variables_it_is_given_and_no_other(kernel):
    _, out = kernel.run("print(open('/proc/self/environ').read().replace(chr(0), chr(10)))\n"
                        "import os; print('TRAINLAB_DB_URL' in os.environ)")
    *variables, secret = out.split()
    assert secret == "False" and variables
    assert {line.split("=")[0] for line in variables} <= {*kernel_environment(os.environ), "PWD"}


def test_no_descriptor_leads_outside_the_sandbox(kernel):
    """Each file the kernel holds open is in the sandbox, or a socket or pipe that neither the grader nor the
    zygote holds, or an event (eventfd, epoll: nameless); but the output the grader gives every kernel (its own)."""
    _, out = kernel.run("import os, json\nfds = {}\nfor fd in os.listdir('/proc/self/fd'):\n    try:\n"
                        "        fds[fd] = os.readlink(f'/proc/self/fd/{fd}')\n    except OSError:\n        pass\n"
                        "print(json.dumps([[target, os.path.exists(target)] for target in fds.values()]))")
    graders = {_target(Path(f"/proc/self/fd/{fd}")) for fd in (1, 2)}
    outside = {_target(fd) for process in Path("/proc").iterdir() if process.name.isdigit() and (
        process.name == str(os.getpid()) or b"autograder.zygote" in _cmdline(process) and process.stat().st_uid == 0)
        for fd in _fds(process)}  # the grader, the zygote and its helpers (a kernel is of its own user)
    for target, exists in json.loads(out):
        if target.startswith(("socket:", "pipe:")):  # named by their inode: the same as nobody's outside
            assert target in graders or target not in outside, f"the kernel holds the grader's or zygote's {target}"
        elif not target.startswith("anon_inode:"):
            assert target in graders or exists, f"the kernel holds {target}, outside the sandbox"


def _fds(process):
    try:
        return list((process / "fd").iterdir())
    except OSError:
        return []


def _target(fd):
    try:
        return os.readlink(fd)
    except OSError:
        return None


def test_consecutive_kernels_share_nothing(mode, tmp_path):
    """What a kernel leaves (files, a process, a module changed) is gone for the next one in the same folder."""
    seconds = f"{secrets.randbelow(10**9) + 10**9}"  # a sleep no other process on the machine runs
    first = start(tmp_path, mode)
    try:
        first.run("import os, subprocess, numpy\nfrom pathlib import Path\nfor path in ('/tmp/left', '/dev/shm/left', "
                  "os.path.expanduser('~/left'), 'left'):\n    Path(path).write_text('mine')\n"
                  f"subprocess.Popen(['sleep', '{seconds}'], start_new_session=True)\nnumpy.left = 'mine'")
    finally:
        first.stop()
    second = start(tmp_path, mode)
    try:
        _, out = second.run("import os, numpy\nprint([path for path in ('/tmp/left', '/dev/shm/left', "
                            "os.path.expanduser('~/left'), 'left') if os.path.exists(path)], hasattr(numpy, 'left'))\n"
                            "print([open(f'/proc/{p}/cmdline').read() for p in os.listdir('/proc') if p.isdigit()])")
    finally:
        second.stop()
    left, processes = out.splitlines()
    assert left == "[] False"
    assert seconds not in processes
    leftover = f"sleep\0{seconds}\0".encode()
    assert not [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline(p) == leftover]


def _cmdline(process):
    try:
        return (process / "cmdline").read_bytes()
    except OSError:
        return b""


GRADER = """import sys
from jupyter_client.manager import KernelManager
km = KernelManager(kernel_name="python3")
km.kernel_spec.metadata["kernel_provisioner"] = {"provisioner_name": "trainlab-sandbox", "config": {}}
km.start_kernel(cwd=sys.argv[1])
print(km.provisioner.private, *sorted(set(km.provisioner.cgroups.folders.values())), flush=True)
sys.stdin.read()
"""


def test_what_a_killed_grader_left_is_removed_when_the_next_kernel_starts(tmp_path):
    """A grader killed by its budget (SIGKILL) never cleans up: its kernel's private folder and cgroups go when any
    grader starts its next kernel."""
    grader = subprocess.Popen([sys.executable, "-c", GRADER, str(tmp_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    left = [Path(path) for path in grader.stdout.readline().split()]
    grader.kill()
    grader.wait()
    assert len(left) == 1 + len(set(Cgroups.parents().values())), left  # the private folder and the cgroups
    assert all(path.is_dir() for path in left), left
    start(tmp_path).stop()
    assert not [path for path in left if path.exists()]


@pytest.mark.parametrize("why", ["gone", "another environment"])
def test_kernels_the_zygote_cannot_start_start_afresh(why, zygote_socket, tmp_path):
    """A zygote that is gone, or whose environment is not the kernel's (/proc/self/environ would show its own)."""
    config = {"zygote": str(tmp_path / "gone")} if why == "gone" else {"zygote": zygote_socket, "threads": 2}
    kernel = start(tmp_path, config)
    try:
        assert not isinstance(kernel.manager.provisioner.process, ZygoteKernel)
        assert kernel.run("import os; print(os.environ['OMP_NUM_THREADS'])")[1] == f"{config.get('threads', 1)}\n"
    finally:
        kernel.stop()


def test_kernels_running_at_once_have_users_of_their_own(kernel, tmp_path):
    """RLIMIT_NPROC counts per user: kernels graded in parallel must not share one."""
    other = start(tmp_path, kernel.mode)
    try:
        uids = [k.run("import os; print(os.getuid())")[1] for k in (kernel, other)]
    finally:
        other.stop()
    assert uids[0] != uids[1]


def test_files_outside_the_allowlist_are_neither_listed_nor_read(kernel):
    for path in PLANTED:
        reply, out = kernel.run(f"import os\ntry:\n    print(os.listdir({str(path.parent)!r}))\n"
                                f"except OSError as e:\n    print('no folder')\nopen({str(path)!r}).read()")
        assert path.name not in out, f"{path.parent} is listed"
        assert reply["ename"] in ("FileNotFoundError", "PermissionError"), f"{path} is read"
    reply, _ = kernel.run("open('/etc/shadow')")
    assert reply["ename"] == "FileNotFoundError"
    _, out = kernel.run("import os; print(sorted(os.listdir('/etc')))")
    assert set(json.loads(out.replace("'", '"'))) <= {"ld.so.cache", "localtime", "alternatives", "fonts"}


def test_the_course_shows_only_the_library_and_python(kernel):
    _, out = kernel.run(f"import os, json; print(json.dumps(sorted(os.listdir({str(ROOT)!r}))))")
    assert set(json.loads(out)) <= {"lib", ".venv"}, "the kernel sees the course's solutions or autograder"
    reply, _ = kernel.run(f"open({str(ROOT / 'solutions' / '01_losses' / 'losses.ipynb')!r})")
    assert reply["ename"] == "FileNotFoundError"


def test_a_trainlab_or_numpy_handed_in_is_not_imported(kernel):
    _, out = kernel.run("import trainlab.checks, numpy, torch; print(trainlab.__file__, numpy.__file__)")
    library, numpy = out.split()
    assert library == str(ROOT / "lib" / "trainlab" / "__init__.py") and "site-packages" in numpy


def test_the_kernel_works_in_a_copy_of_the_regular_files_but_notebooks(kernel):
    _, out = kernel.run("import os; print(os.getcwd(), sorted(os.listdir('.')), open('data.txt').read())")
    assert out == "/home/student/01_losses ['data.txt', 'numpy.py', 'trainlab'] handed in\n"
    _, out = kernel.run(f"import os; print(os.path.exists({str(kernel.class_dir)!r}))")
    assert out == "False\n", "the kernel sees the class folder"


def test_writes_stay_in_the_sandbox(kernel):
    _, out = kernel.run("from pathlib import Path\nPath('answer.txt').write_text('mine')\n"
                        "Path('/tmp/x.txt').write_text('tmp')\n"
                        f"for p in [{str(ROOT / 'x.txt')!r}, '/etc/x.txt', '/usr/x.txt']:\n"
                        "    try:\n        Path(p).write_text('x')\n    except OSError as e:\n        print(e.strerror)")
    assert set(out.splitlines()) <= {"Read-only file system", "Permission denied"} and len(out.splitlines()) == 3
    assert not (ROOT / "x.txt").exists() and not Path("/etc/x.txt").exists()
    assert not (kernel.folder / "answer.txt").exists(), "the kernel wrote into the graded folder"


def test_checks_reach_the_grader_through_a_channel_the_kernel_cannot_replace(kernel):
    """The private folder is the grader's: the kernel can neither remove the channel nor put a link there."""
    private = kernel.manager.provisioner.private
    kernel.run("from trainlab.checks import check_close\ncheck_close(1.0, 1.0, name='one', quiet=True)")
    _, out = kernel.run(f"import os\nfor name in ['records.jsonl', 'kernel.json', 'link']:\n    try:\n"
                        f"        os.remove({str(private)!r} + '/' + name)\n    except OSError as e:\n"
                        "        print(e.strerror)\n"
                        f"    try:\n        os.symlink('/etc/ld.so.cache', {str(private)!r} + '/' + name)\n"
                        "    except OSError as e:\n        print(e.strerror)\n"
                        "check_close(2.0, 2.0, name='two', quiet=True)")
    assert "Read-only file system" in out and not any(path.is_symlink() for path in private.iterdir())
    assert [entry["name"] for entry in kernel.manager.provisioner.read_records()] == ["one", "two"]


def test_only_the_grader_makes_a_kernel_its_run_of_the_instructor_notebook(kernel, tmp_path):
    """A student's kernel cannot make the folder that marks the reference run (the sandbox's root is
    read-only); the kernel the grader gives the solutions to sees them there, and no other."""
    _, out = kernel.run("import os, trainlab.records as records\ntry:\n    os.makedirs('/run/trainlab/solutions')\n"
                        "except OSError as e:\n    print(e.strerror)\nprint(records.reference_run(), records.graded())")
    assert out.splitlines() == ["Read-only file system", "False True"]
    (tmp_path / "solutions" / "01_losses").mkdir(parents=True)
    reference = start(tmp_path, config={"solutions": str(tmp_path / "solutions"), **kernel.mode})
    try:
        _, out = reference.run("import os, trainlab.records as records\n"
                               "print(records.reference_run(), records.graded(), os.listdir(records.solutions_dir()))")
    finally:
        reference.stop()
    assert out.strip() == "True False ['01_losses']"


def test_no_network_no_secrets_no_other_processes(kernel):
    _, out = kernel.run("import socket\ntry:\n    socket.create_connection(('127.0.0.1', 22), timeout=2)\n"
                        "except OSError as e:\n    print(type(e).__name__)")
    assert out in ("ConnectionRefusedError\n", "OSError\n")  # an empty network namespace: nobody listens
    _, out = kernel.run("import os; print('TRAINLAB_DB_URL' in os.environ, len([p for p in os.listdir('/proc') "
                        "if p.isdigit()]))")
    # bubblewrap's init and the kernel (and the zygote's placeholder: a process of root's), nothing of the grader's
    assert out == f"False {3 if kernel.mode else 2}\n"
    if kernel.mode:
        assert kernel.run(f"import os; print(os.path.exists({kernel.mode['zygote']!r}))")[1] == "False\n"


def test_an_endless_cell_can_be_interrupted(kernel):
    request = kernel.client.execute("while True:\n    pass")
    with pytest.raises(TimeoutError):
        kernel.run("print('queued')", timeout=2)
    run_sync(kernel.manager.interrupt_kernel)()
    replies = [run_sync(kernel.client.get_shell_msg)(timeout=10) for _ in range(2)]  # the loop's and the queued
    reply = next(reply["content"] for reply in replies if reply["parent_header"]["msg_id"] == request)
    assert reply["ename"] == "KeyboardInterrupt"
    assert kernel.run("print('still alive')")[1] == "still alive\n"


def test_figures_are_shown_as_text_never_drawn(kernel):
    """SandboxProvisioner.figures is off: the inline backend sends a figure's text, and no picture."""
    sent = []
    run_sync(kernel.client.execute_interactive)(
        "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()", timeout=60,
        output_hook=lambda message: sent.append(message["content"].get("data", {}))
        if message["msg_type"] == "display_data" else None)
    assert [sorted(data) for data in sent] == [["text/plain"]]
    assert sent[0]["text/plain"].startswith("<Figure size")


# Each cap, low, against code that goes past it; the kernel enforces it, the provisioner names it.
CAPS = {
    "memory": ({"memory": 10**9},  # above the ~420 MB of data a kernel has once torch is imported (every graded one)
               "import numpy as np\nheap = []\nfor _ in range(100):\n    heap.append(np.ones(10**7))",
               "used more than 1 GB of memory"),
    "processes": ({"processes": 64},
                  "import os, time\nfor _ in range(200):\n    if os.fork() == 0:\n        time.sleep(60)\n"
                  "        os._exit(0)", "started more than 64 processes or threads"),
    "disk": ({"disk": 20 * 10**6},
             "for n in range(100):\n    open(f'filler-{n}', 'wb').write(bytes(10**6))", "wrote more than 20 MB"),
    "cpu": ({"cpu_time": 3}, "while True:\n    pass", "used more than 3 s of CPU time"),
    "files": ({"open_files": 64}, "files = [open('/proc/self/status') for _ in range(100)]",
              "opened more than 64 files at once"),
}


@pytest.mark.parametrize("cap", CAPS)
def test_each_cap_is_enforced_and_named(cap, mode, tmp_path):
    config, code, words = CAPS[cap]
    kernel = start(tmp_path, config | mode)
    try:
        started = time.perf_counter()
        request = kernel.client.execute(code)
        error, process = None, kernel.manager.provisioner.process
        while time.perf_counter() - started < 60 and process.poll() is None:
            try:
                reply = run_sync(kernel.client.get_shell_msg)(timeout=0.1)
            except Exception:  # queue.Empty: no reply yet
                continue
            if reply["parent_header"].get("msg_id") == request:
                error = (reply["content"].get("ename", ""), reply["content"].get("evalue", ""))
                break
        print(f"{cap}: stopped after {time.perf_counter() - started:.1f} s")
        assert kernel.manager.provisioner.cap_hit(error) == words
    finally:
        cgroups = list(kernel.manager.provisioner.cgroups.folders.values())
        kernel.stop()
    assert not any(folder.exists() for folder in cgroups), "the kernel's cgroups are left behind"
