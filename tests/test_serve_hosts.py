"""`sunshine serve --host 0.0.0.0` must not require 0.0.0.0 in SUNSHINE_ALLOWED_HOSTS: the bind address is not
a Host header; the names listed are what Django checks."""
from __future__ import annotations

from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from sunshine.core.management.commands.serve import host_problem


def test_wildcard_bind_accepts_real_names() -> None:
    assert host_problem("0.0.0.0", ["sunshine.example.gov.cn", "10.1.2.3"]) is None  # noqa: S104
    assert host_problem("::", ["sunshine.example.gov.cn"]) is None


def test_wildcard_bind_with_only_loopback_names_is_refused() -> None:
    assert host_problem("0.0.0.0", ["127.0.0.1", "localhost"])  # noqa: S104


def test_specific_address_must_be_listed() -> None:
    assert host_problem("10.1.2.3", ["sunshine.example.gov.cn"])
    assert host_problem("10.1.2.3", ["10.1.2.3"]) is None
    assert host_problem("127.0.0.1", []) is None
    assert host_problem("10.1.2.3", ["*"]) is None


@override_settings(ALLOWED_HOSTS=["sunshine.example.gov.cn"], SECRET_KEY="a-real-secret-key-for-this-test-0123456789")
def test_serve_command_starts_on_all_interfaces_with_real_names(db: None) -> None:
    with mock.patch("sunshine.core.management.commands.serve.run_gunicorn") as run, \
            mock.patch("sunshine.core.management.commands.serve.call_command"):
        call_command("serve", "--host", "0.0.0.0", "--no-task-worker")  # noqa: S104
    run.assert_called_once()
    assert run.call_args.args[0] == "0.0.0.0"  # noqa: S104


@override_settings(ALLOWED_HOSTS=["sunshine.example.gov.cn"], SECRET_KEY="a-real-secret-key-for-this-test-0123456789")
def test_serve_command_refuses_unlisted_specific_address(db: None) -> None:
    with mock.patch("sunshine.core.management.commands.serve.run_gunicorn") as run, \
            pytest.raises(CommandError, match="SUNSHINE_ALLOWED_HOSTS"):
        call_command("serve", "--host", "10.9.9.9", "--no-task-worker")
    run.assert_not_called()
