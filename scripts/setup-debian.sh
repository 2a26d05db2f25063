#!/usr/bin/env bash
# Installs what building, running and testing edgecost needs on Debian 12, skipping what is
# already there: system libraries for the desktop app, Xvfb and WebKit's WebDriver for the
# end-to-end tests, gnome-keyring for the OS keyring, PostgreSQL for the storage tests,
# tauri-driver, the Tauri CLI and desktop-file-utils for the .deb, schemathesis (in its own
# Python virtual environment) for the API's conformance to its OpenAPI document, and the UI's
# npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential pkg-config curl file
  libwebkit2gtk-4.1-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev libsoup-3.0-dev libxdo-dev libdbus-1-dev
  xvfb xauth webkit2gtk-driver dbus-x11 dbus-daemon dbus-bin imagemagick
  gnome-keyring libsecret-tools
  postgresql
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

if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --locked --quiet
fi

# The Tauri CLI bundles the app into its .deb and AppImage (`make package`), at the version
# of the workspace's tauri crates (Cargo.lock).
tauri_cli_version=2.12.4
if ! cargo tauri --version 2>/dev/null | grep -qF " $tauri_cli_version"; then
  echo "setup: installing tauri-cli $tauri_cli_version"
  cargo install tauri-cli --version "$tauri_cli_version" --locked --quiet
fi

# Schemathesis checks the running server against its OpenAPI document (crates/cli/tests/serve.rs).
schemathesis_version=4.32.5
venv="${XDG_DATA_HOME:-$HOME/.local/share}/edgecost-dev/venv"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$schemathesis_version"; then
  echo "setup: installing schemathesis $schemathesis_version"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi

# The UI's build tools (Vite 7) need Node.js 20.19 or newer.
node_version=$(node --version 2>/dev/null | tr -d v)
if ! printf '%s\n%s\n' 20.19.0 "$node_version" | sort -V -C; then
  echo "setup: Node.js $node_version is too old for the UI build; install Node.js 20.19 or newer" >&2
  exit 1
fi

if [ -f ui/package-lock.json ] && [ ! -d ui/node_modules ]; then
  echo "setup: installing the UI's npm packages"
  # `npm install --no-save` installs the locked versions and leaves the lock file as it is.
  # `npm ci` would refuse a lock that records other platforms' optional packages (rollup's
  # native builds) without their registry addresses, as lock files written here do.
  (cd ui && npm install --no-save --no-audit --no-fund --loglevel=error)
fi
echo "setup: ready"
