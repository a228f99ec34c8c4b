"""core.apart: a function run in a Python process of its own, its result or its exception brought back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sunshine.core.apart import Apart, apart


def pid_and_sum(*numbers: int) -> tuple[int, int]:
    return os.getpid(), sum(numbers)


def refuse(message: str) -> None:
    raise ValueError(message)


def crash() -> None:
    os._exit(3)


def wait_for(path: str) -> None:
    import time

    while not Path(path).exists():
        time.sleep(0.05)


def test_the_result_comes_from_another_process() -> None:
    pid, total = Apart(pid_and_sum, 1, 2, 3).result()
    assert total == 6 and pid != os.getpid()


def test_an_exception_is_raised_in_the_caller() -> None:
    with pytest.raises(ValueError, match="文件无法读取"):
        Apart(refuse, "文件无法读取").result()


def test_a_process_that_dies_is_an_error_not_a_result() -> None:
    with pytest.raises(RuntimeError, match="退出码 3"):
        Apart(crash).result()


def test_leaving_the_block_stops_the_process_and_leaves_no_file(tmp_path) -> None:
    with apart(wait_for, str(tmp_path / "never")) as running:
        assert running.process.poll() is None
    assert running.process.returncode is not None and not running.path.exists()
