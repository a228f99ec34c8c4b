#!/usr/bin/env bash
# Creates .venv and installs the locked dependencies and Sunshine itself. Safe to run again:
# it reinstalls only when requirements.lock or pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.sunshine-installed
want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock 2>&1 | grep -v "is ignored" || true
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e . 2>&1 | grep -v "is ignored" || true
  # Fail here, not later, if the install did not work.
  DJANGO_SETTINGS_MODULE=sunshine.config.settings SUNSHINE_DATA_DIR=$(mktemp -d) \
    .venv/bin/python -c "import django; django.setup(); import ninja, simple_history, axes, playwright"
  echo "$want" > "$stamp"
fi
