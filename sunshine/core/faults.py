"""Named points where a test can kill the process, to prove that an import or a run killed there leaves the
database unchanged or complete (tests/test_faults.py).

``fault_point(name)`` does nothing unless the environment variable ``SUNSHINE_FAULT_AT`` equals ``name``;
then the process sends itself SIGKILL (no ``finally``, no rollback by Python: only the database's own
atomicity protects the data, as when the kernel's OOM killer or a power cut stops a worker). Never set it
on a real instance. Every point is declared here, and the tests check that each is placed in the code
and covered.
"""

from __future__ import annotations

import os
import signal

ENV = "SUNSHINE_FAULT_AT"

POINTS: dict[str, str] = {
    "import.before_write": "registry import: files read and checked, before the write transaction",
    "import.mid_write": "registry import: inside the write transaction, after the first chunk of households",
    "import.after_write": "registry import: the write transaction committed, before the command reports",
    "compare.before_store": "comparison run: marked running, findings computed, before they are stored",
    "compare.mid_store": "comparison run: findings stored inside the transaction, before the run is marked done",
    "compare.after_store": "comparison run: findings and run committed, before the command reports",
    "monitor.before_store": "monitoring run: warnings computed, before the write transaction",
    "monitor.mid_store": "monitoring run: warnings stored inside the transaction, before it commits",
    "monitor.after_store": "monitoring run: committed, before the command reports",
}


def fault_point(name: str) -> None:
    """SIGKILL this process if ``SUNSHINE_FAULT_AT`` names this point (tests only); otherwise nothing."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
