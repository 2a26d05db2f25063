#!/usr/bin/env bash
# Installs what building, running and testing edgecost needs on Debian 12, skipping what is
# already there: system libraries for the desktop app, Xvfb and WebKit's WebDriver for the
# end-to-end tests, gnome-keyring for the OS keyring, PostgreSQL for the storage tests and
# pg_auto_failover for the failover test (crates/cli/tests/failover.rs),
# tauri-driver, cargo-machete, desktop-file-utils for the .deb, Python test
# tools (schemathesis, the OpenTelemetry and CloudEvents SDKs; in their own virtual
# environment), and the UI's npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential pkg-config curl file
  libwebkit2gtk-4.1-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev libsoup-3.0-dev libxdo-dev libdbus-1-dev
  xvfb xauth webkit2gtk-driver dbus-x11 dbus-daemon dbus-bin imagemagick
  gnome-keyring libsecret-tools
  postgresql
  pg-auto-failover-cli postgresql-15-auto-failover
  python3-venv
  fonts-dejavu-core
  poppler-utils
  desktop-file-utils
)
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo is missing; install Rust with rustup first" >&2
  exit 1
fi

if ! command -v cargo-machete >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo-machete" ]; then
  echo "setup: installing cargo-machete"
  cargo install cargo-machete --version 0.9.2 --locked --quiet
fi

if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --locked --quiet
fi

# Test tools in their own Python virtual environment: schemathesis checks the running server
# against its OpenAPI document (crates/cli/tests/serve.rs); the official OpenTelemetry and
# CloudEvents SDKs send it usage (crates/cli/tests/otel.rs).
python_tools=(schemathesis==4.32.5 opentelemetry-sdk==1.45.2 opentelemetry-exporter-otlp-proto-http==1.45.2 cloudevents==2.2.0)
venv="${XDG_DATA_HOME:-$HOME/.local/share}/edgecost-dev/venv"
installed=$("$venv/bin/pip" freeze --disable-pip-version-check 2>/dev/null || true)
for tool in "${python_tools[@]}"; do
  if ! grep -qix "$tool" <<<"$installed"; then
    echo "setup: installing the Python test tools (${python_tools[*]})"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${python_tools[@]}"
    break
  fi
done

# The UI's build tools (Vite 7) need Node.js 20.19 or newer.
node_version=$(node --version 2>/dev/null | tr -d v)
if ! printf '%s\n%s\n' 20.19.0 "$node_version" | sort -V -C; then
  echo "setup: Node.js $node_version is too old for the UI build; install Node.js 20.19 or newer" >&2
  exit 1
fi

# Also when ui/node_modules predates a package added to the lock (npm records what it
# installed in node_modules/.package-lock.json).
# The UI's packages include the Tauri CLI that bundles the .deb (`make package`).
if [ -f ui/package-lock.json ] && { [ ! -d ui/node_modules ] ||
  [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; }; then
  echo "setup: installing the UI's npm packages"
  # `npm install --no-save` installs the locked versions and leaves the lock file as it is.
  # `npm ci` would refuse a lock that records other platforms' optional packages (rollup's
  # native builds) without their registry addresses, as lock files written here do.
  (cd ui && npm install --no-save --no-audit --no-fund --loglevel=error)
fi
echo "setup: ready"
