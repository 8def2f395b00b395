"""The graded kernel's sandbox (autograder/sandbox.py), from inside a kernel started in it."""

import json
import os
import sys
from types import SimpleNamespace

import pytest
from jupyter_core.utils import run_sync

from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
from sandbox import SandboxedKernelManager  # noqa: E402


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A sandboxed kernel for <class>/autograded/ada/01_losses; its run(code) -> (reply, stdout)."""
    class_dir, private = tmp_path_factory.mktemp("class"), tmp_path_factory.mktemp("private")
    (class_dir / "gradebook.db").write_text("grades")
    folder = class_dir / "autograded" / "ada" / "01_losses"
    folder.mkdir(parents=True)
    km = SandboxedKernelManager(kernel_name="python3", hidden=[str(ROOT), str(class_dir)])
    km.private = str(private)
    secrets = {"TRAINLAB_DB_URL": "postgresql://grader:secret@localhost"}
    run_sync(km.start_kernel)(cwd=str(folder), env=os.environ | secrets)
    client = km.client()
    client.start_channels()
    run_sync(client.wait_for_ready)(timeout=60)

    def run(code, timeout=30):
        out = []
        reply = run_sync(client.execute_interactive)(code, timeout=timeout, output_hook=lambda message: out.append(
            message["content"].get("text", "")) if message["msg_type"] == "stream" else None)
        return reply["content"], "".join(out)

    yield SimpleNamespace(run=run, class_dir=class_dir, folder=folder, manager=km, client=client)
    client.stop_channels()
    run_sync(km.shutdown_kernel)(now=True)


def test_the_course_shows_only_the_library_and_python(kernel):
    run = kernel.run
    _, out = run(f"import os, json; print(json.dumps(sorted(os.listdir({str(ROOT)!r}))))")
    assert set(json.loads(out)) <= {"lib", ".venv"}, "the kernel sees the course's solutions or autograder"
    reply, _ = run(f"open({str(ROOT / 'solutions' / '01_losses' / 'losses.ipynb')!r})")
    assert reply["ename"] == "FileNotFoundError"
    _, out = run("import trainlab.checks, numpy, torch; print('imports work')")
    assert out == "imports work\n"


def test_the_class_shows_only_the_submission_s_own_folder(kernel):
    run, class_dir, folder = kernel.run, kernel.class_dir, kernel.folder
    reply, _ = run(f"open({str(class_dir / 'gradebook.db')!r})")
    assert reply["ename"] == "FileNotFoundError"
    _, out = run(f"import os; print(os.getcwd(), os.listdir({str(class_dir)!r}))")
    assert out == f"{folder} ['autograded']\n"


def test_writes_reach_the_submission_s_folder_and_nothing_else(kernel):
    run, class_dir, folder = kernel.run, kernel.class_dir, kernel.folder
    _, out = run("from pathlib import Path\nPath('answer.txt').write_text('mine')\n"
                 f"for p in [{str(class_dir / 'x.txt')!r}, {str(ROOT / 'x.txt')!r}, '/etc/x.txt']:\n"
                 "    try:\n        Path(p).write_text('x')\n    except OSError as e:\n        print(e.strerror)")
    assert out == "Read-only file system\n" * 3
    assert (folder / "answer.txt").read_text() == "mine"


def test_no_network_no_secrets_no_other_processes(kernel):
    run = kernel.run
    _, out = run("import socket\ntry:\n    socket.create_connection(('127.0.0.1', 22), timeout=2)\n"
                 "except OSError as e:\n    print(type(e).__name__)")
    assert out in ("ConnectionRefusedError\n", "OSError\n")  # an empty network namespace: nobody listens
    _, out = run("import os; print('TRAINLAB_DB_URL' in os.environ, sorted(int(p) for p in os.listdir('/proc') "
                 "if p.isdigit()))")
    assert out.startswith("False [1, 2")  # bubblewrap and the kernel, nothing of the grader's
    _, out = run("print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])")
    assert out == "0000000000000000\n"


def test_an_endless_cell_can_be_interrupted(kernel):
    run = kernel.run
    with pytest.raises(TimeoutError):
        run("while True:\n    pass", timeout=2)
    run_sync(kernel.manager.interrupt_kernel)()
    reply = run_sync(kernel.client.get_shell_msg)(timeout=10)["content"]
    assert reply["ename"] == "KeyboardInterrupt"
    assert run("print('still alive')")[1] == "still alive\n"
