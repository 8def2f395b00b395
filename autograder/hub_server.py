"""A server of the hub (a person's JupyterLab, formgrader) that stops at JupyterHub's first signal.

JupyterHub stops a server with SIGINT, then with SIGTERM ten seconds later (``interrupt_timeout``, which
a service's spawner takes from no configuration). Jupyter Server stops at once, cleanly, on SIGTERM; on
SIGINT without a terminal it only raises KeyboardInterrupt wherever the main thread is, and stays up
until the SIGTERM. Here a SIGINT is a SIGTERM. Kernels and terminals get the usual SIGINT back (a
handler does not outlive exec), so their interrupts and Ctrl-C work as ever.

    python -m autograder.hub_server [the arguments of jupyterhub.singleuser]
"""

import os
import signal
import sys

from jupyterhub.singleuser import main

if __name__ == "__main__":
    signal.signal(signal.SIGINT, lambda number, frame: os.kill(os.getpid(), signal.SIGTERM))
    sys.exit(main())
