#!/usr/bin/env bash
# One command: install, create the SQLite database, generate the demo region and serve it on
# http://127.0.0.1:8000. Extra arguments go to `sunshine demo` (e.g. --households 5000 --no-serve).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/sunshine demo "$@"
