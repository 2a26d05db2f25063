#!/usr/bin/env bash
# Tests the .deb that scripts/package.sh built: its metadata and contents (dpkg-deb), then
# installs it (dpkg -i), checks that both commands are on the PATH, launches the installed app
# on a virtual display and sees its first screen, removes it (dpkg -r) and checks that none of
# its files is left. The package is removed also when a check fails.
# Usage: scripts/package-test.sh [release|debug]. Needs root, or sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${1:-release}
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
started=$(date +%s)

fail() {
  echo "package-test: FAILED: $*" >&2
  exit 1
}
has_line() { grep -qxF -- "$2" <<<"$1" || fail "$3: no '$2' in:"$'\n'"$1"; }

metadata=$(cargo metadata --locked --format-version 1 --no-deps)
target_dir=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' <<<"$metadata")
version=$(python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "edgecost-app"))' <<<"$metadata")
debs=("$target_dir/$profile"/bundle/deb/*.deb)
[ -f "${debs[0]}" ] || fail "no .deb in $target_dir/$profile/bundle/deb: run make package first"
[ ${#debs[@]} -eq 1 ] || fail "more than one .deb in $target_dir/$profile/bundle/deb"
deb=${debs[0]}
echo "package-test: $deb"

# --- What the package says of itself ---
dpkg-deb --info "$deb"
field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = edgecost ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version $(field Version), the workspace's is $version"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture: $(field Architecture)"
depends=$(field Depends | tr ',' '\n' | sed 's/^ *//; s/ *$//')
for dep in libwebkit2gtk-4.1-0 libgtk-3-0 libdbus-1-3 "gnome-keyring | libkf5wallet-bin (>= 5.97) | keepassxc"; do
  has_line "$depends" "$dep" "Depends"
done
# (Matched in the shell: `grep -q` would stop reading early, and pipefail would count the
# writer's broken pipe as a failure.)
description=$(field Description)
[[ "$description" == *"edge traffic"* ]] || fail "Description: $description"

# --- What it installs ---
contents=$(dpkg-deb --contents "$deb" | awk '{print $6}' | sed 's|^\./||; s|^|/|; s|/$||' | grep -vx /)
for path in /usr/bin/edgecost-app /usr/bin/edgecost /usr/share/applications/edgecost.desktop; do
  has_line "$contents" "$path" "contents"
done
# Every icon in icons/, in the folder of its size (a @2x file's with @2 after it).
for icon in icons/*.png; do
  read -r w h < <(python3 -c 'import struct, sys; d = open(sys.argv[1], "rb").read(24); print(*struct.unpack(">II", d[16:24]))' "$icon")
  dir="${w}x${h}"
  if [[ "$icon" == *@2x.png ]]; then dir="$dir@2"; fi
  has_line "$contents" "/usr/share/icons/hicolor/$dir/apps/edgecost-app.png" "icon $icon"
done

scratch=$(mktemp -d)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$scratch" --wildcards '*usr/share/applications/edgecost.desktop'
desktop="$scratch/usr/share/applications/edgecost.desktop"
cat "$desktop"
entry=$(cat "$desktop")
has_line "$entry" "Name=edgecost" "desktop entry"
has_line "$entry" "Exec=edgecost-app" "desktop entry"
has_line "$entry" "Icon=edgecost-app" "desktop entry"
has_line "$entry" "Categories=Office;Finance;" "desktop entry"
has_line "$entry" "Comment=See what your edge traffic costs, before the invoice does" "desktop entry"
desktop-file-validate "$desktop" || fail "desktop-file-validate"
rm -rf "$scratch"

# --- Install, use, remove ---
if dpkg-query -W -f='${Status}' edgecost 2>/dev/null | grep -q "installed"; then
  fail "a package named edgecost is installed already; remove it first (dpkg -r edgecost)"
fi
# Which of the package's paths (mostly shared folders) exist before it is installed.
before=$(while read -r path; do if [ -e "$path" ]; then echo "$path"; fi; done <<<"$contents")

remove() {
  if dpkg-query -W -f='${Status}' edgecost 2>/dev/null | grep -q "installed"; then
    "${sudo_cmd[@]}" dpkg -r edgecost >/dev/null
  fi
}
trap remove EXIT
trap 'exit 1' INT TERM

"${sudo_cmd[@]}" dpkg -i "$deb"
installed=$(dpkg -L edgecost)
[ "$(command -v edgecost-app)" = /usr/bin/edgecost-app ] || fail "edgecost-app is not on the PATH"
[ "$(command -v edgecost)" = /usr/bin/edgecost ] || fail "edgecost is not on the PATH"
[ "$(edgecost --version)" = "edgecost $version" ] || fail "edgecost --version: $(edgecost --version)"

# The installed app, on a display and a session bus of its own, through tauri-driver.
EDGECOST_APP=/usr/bin/edgecost-app xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
  cargo test --locked --workspace --test installed_package -- --ignored

"${sudo_cmd[@]}" dpkg -r edgecost
trap - EXIT
status=$(dpkg-query -W -f='${db:Status-Status}' edgecost 2>/dev/null || true)
[ -z "$status" ] || [ "$status" = not-installed ] || fail "after dpkg -r the package is '$status'"
left=()
while read -r path; do
  if [ -e "$path" ] && ! grep -qxF -- "$path" <<<"$before"; then left+=("$path"); fi
done <<<"$installed"
((${#left[@]} == 0)) || fail "left behind after dpkg -r: ${left[*]}"
hash -r
for cmd in edgecost-app edgecost; do
  if command -v "$cmd" >/dev/null; then fail "$cmd is still on the PATH after dpkg -r"; fi
done

echo "package-test: $(du -h "$deb" | cut -f1) package installed, launched on its first screen and removed without a trace in $(($(date +%s) - started)) s"
