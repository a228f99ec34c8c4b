"""The demo printed Splink's English underflow message as a warning ("EM blocked on name_pinyin stopped: …") when
one EM estimation stopped early; the fallback is handled, so it is logged at INFO in Chinese, and any other
error still raises."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from sunshine.engine.linkage import model


def _linker(error: Exception) -> Any:
    def em(*args: Any, **kwargs: Any) -> None:
        raise error

    training = SimpleNamespace(estimate_u_using_random_sampling=lambda **kwargs: None,
                               estimate_parameters_using_expectation_maximisation=em)
    return SimpleNamespace(training=training, misc=SimpleNamespace(save_model_to_json=lambda: {"comparisons": []}))


UNDERFLOW = ValueError("m_probability value 5e-324 is below the minimum allowed value of 1e-300. Values this small "
                       "cannot be represented accurately as float64 and will underflow to 0.0.")


def test_an_em_underflow_is_no_warning(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(model, "pair_count", lambda *args: 10)
    caplog.set_level(logging.INFO, logger=model.__name__)
    model.train(_linker(UNDERFLOW), None, None, seed=1, max_pairs=10)  # type: ignore[arg-type]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("EM 估计提前停止" in r.getMessage() for r in caplog.records)


def test_other_errors_still_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "pair_count", lambda *args: 10)
    with pytest.raises(ValueError, match="something else"):
        model.train(_linker(ValueError("something else")), None, None, seed=1, max_pairs=10)  # type: ignore[arg-type]
