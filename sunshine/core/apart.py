"""Run one function in a Python process of its own, beside this one, and collect its result later.

For Python work that would otherwise wait its turn on one core while the other core idles (an import reads and
types its household file while it reads and types the member file). The process is a fresh interpreter started
with ``python -m sunshine.core.apart`` (not a fork: a fork of a process with threads may copy a lock another
thread holds, and multiprocessing's spawn would run the caller's main script again); it sets Django up from the
environment, calls ``module:function(*args)`` and leaves its pickled result (or exception) in a file. The
function must not use the database: the caller's transaction is not the child's, and a test's database
settings are not seen there."""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

R = TypeVar("R")


class Apart(Generic[R]):
    """A function running in another process; ``result()`` waits for it and returns what it returned (or raises
    what it raised)."""

    def __init__(self, function: Callable[..., R], *args: Any) -> None:
        handle, path = tempfile.mkstemp(prefix="sunshine-apart-", suffix=".pickle")
        os.close(handle)
        self.path = Path(path)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        env.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.config.settings")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "sunshine.core.apart", str(self.path)], stdin=subprocess.PIPE, env=env)
        assert self.process.stdin is not None
        self.process.stdin.write(pickle.dumps((function.__module__, function.__qualname__, args)))
        self.process.stdin.close()

    def result(self) -> R:
        try:
            code = self.process.wait()
            if code != 0:
                raise RuntimeError(f"子进程异常退出(退出码 {code})")
            ok, value = pickle.loads(self.path.read_bytes())  # noqa: S301 - written by our own child process
        finally:
            self.path.unlink(missing_ok=True)
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.path.unlink(missing_ok=True)


@contextlib.contextmanager
def apart(function: Callable[..., R], *args: Any) -> Iterator[Apart[R]]:
    """``Apart(function, *args)``, stopped when the block is left without having taken its result."""
    running = Apart(function, *args)
    try:
        yield running
    finally:
        running.cancel()


def _main(path: str) -> None:
    import django

    module, name, args = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - sent by our own parent
    django.setup()
    function: Any = importlib.import_module(module)
    for part in name.split("."):
        function = getattr(function, part)
    try:
        outcome = (True, function(*args))
    except Exception as error:  # noqa: BLE001 - handed to the parent, who raises it
        outcome = (False, error)
    data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)   # whole, then written: the parent reads it
    Path(path).write_bytes(data)


if __name__ == "__main__":
    _main(sys.argv[1])
