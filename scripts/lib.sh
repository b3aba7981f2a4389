# Shared by scripts/run and scripts/test: a virtualenv with pinned packages, and the broker and
# database servers the system needs, installed and started when they are missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_install() {
  # System packages on Debian when we are root (CI, fresh developer machine); otherwise say.
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing system packages: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    say "please install: ${missing[*]}"; return 1
  fi
}

ensure_system_packages() {
  # WeasyPrint needs Pango; fonts for PDFs and captcha images.
  command -v dpkg >/dev/null || return 0
  apt_install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils "$@"
}

ensure_chromium() {
  # Browser tests drive Debian's Chromium through Playwright; no browser is ever downloaded.
  [ -x /usr/bin/chromium ] || apt_install chromium
  # They audit the pages with axe-core, from the npm registry: the version and its checksum are
  # locked in tests/browser/axe/package-lock.json; node_modules there is git-ignored.
  local axe="$ROOT/tests/browser/axe" want
  want="$(sha256sum "$axe/package-lock.json" | cut -c1-16)"
  if [ "$(cat "$axe/node_modules/.installed" 2>/dev/null)" != "$want" ]; then
    command -v npm >/dev/null || apt_install npm
    say "installing axe-core for the accessibility audit (tests/browser/axe)"
    (cd "$axe" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$axe/node_modules/.installed"
  fi
}

ensure_venv() {
  local requirements="$1"
  local stamp="$VENV/.installed-$(basename "$requirements")"
  local want
  want="$(cat "$ROOT"/requirements*.txt "$ROOT"/constraints.txt "$ROOT"/shared/pyproject.toml "$ROOT"/services/*/pyproject.toml | sha256sum | cut -c1-16)"
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating the virtualenv in .venv"
    "$PY" -m venv "$VENV"
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing Python packages ($(basename "$requirements"))"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$requirements" -c "$ROOT/constraints.txt"
    "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e "$ROOT/shared" \
      $(for d in "$ROOT"/services/*/; do printf -- '-e %s ' "$d"; done)
    echo "$want" > "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

rabbitmq_answers() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
postgres_answers() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

wait_for() {
  local what="$1" check="$2" tries="${3:-60}"
  for _ in $(seq "$tries"); do "$check" && return 0; sleep 1; done
  say "$what did not start"; return 1
}

ensure_rabbitmq() {
  rabbitmq_answers && return 0
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  say "starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_for RabbitMQ rabbitmq_answers 90
  rabbitmqctl await_startup >/dev/null 2>&1 || true
}

ensure_postgres() {
  postgres_answers && return 0
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  say "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  wait_for PostgreSQL postgres_answers 60
}
