#!/usr/bin/env bash
# One command: install, create the SQLite database, generate the demo region and serve it on
# http://127.0.0.1:8000. Extra arguments go to `sunshine demo` (e.g. --households 5000 --no-serve).
set -euo pipefail
cd "$(dirname "$0")/.."
# Printing benefits statements (PDF) needs Pango and the Noto CJK fonts; install them when missing and possible.
need_apt=()
[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need_apt+=(fonts-noto-cjk)
ldconfig -p | grep -q libpangoft2-1.0 || need_apt+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "== apt-get install ${need_apt[*]} (for PDF statements)"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null; } \
    || echo "   could not install them: everything but PDF printing works" >&2
fi
bash scripts/bootstrap.sh
exec .venv/bin/sunshine demo "$@"
