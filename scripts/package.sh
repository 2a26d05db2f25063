#!/usr/bin/env bash
# Bundles the built app into a .deb and an AppImage with the Tauri CLI (`tauri bundle`, the
# official CLI's npm distribution, pinned in ui/package.json).
# Usage: scripts/package.sh [release|debug]; `make package` builds the binaries first.
#
# The CLI takes the app crate's folder, src-tauri/, for the project: its tauri.conf.json is a
# link to the one at the root, and the CLI resolves the config's paths (written from the root)
# from that folder, so the icons are named again from there. The .deb also carries the
# `edgecost` command line, from the same build.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${1:-release}
case "$profile" in
  release) profile_flags=() ;;
  debug) profile_flags=(--debug) ;;
  *) echo "package: unknown profile '$profile' (release or debug)" >&2; exit 2 ;;
esac

target_dir=$(cargo metadata --locked --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
out="$target_dir/$profile"
# A release package carries the app built for size (the `release-app` profile, see Cargo.toml);
# the bundler takes it from beside the command line.
if [ "$profile" = release ]; then
  app="$target_dir/release-app/edgecost-app"
  [ -x "$app" ] || { echo "package: $app is missing: build it first (make package)" >&2; exit 1; }
  mkdir -p "$out" && install -m 755 "$app" "$out/edgecost-app"
fi
for bin in edgecost-app edgecost; do
  [ -x "$out/$bin" ] || { echo "package: $out/$bin is missing: build it first (make package)" >&2; exit 1; }
done

config=$(python3 - "$out/edgecost" <<'EOF'
import json, sys
root = json.load(open("tauri.conf.json"))
print(json.dumps({"bundle": {
    "icon": ["../" + icon for icon in root["bundle"]["icon"]],
    "linux": {"deb": {"files": {"/usr/bin/edgecost": sys.argv[1]}}},
}}))
EOF
)

bundle() {
  (cd src-tauri && ../ui/node_modules/.bin/tauri bundle --ci "${profile_flags[@]}" --config "$config" --bundles "$1")
}

rm -rf "$out/bundle/deb" "$out/bundle/appimage"
bundle deb
deb=$(ls "$out"/bundle/deb/*.deb)

# The bundler fetches its AppImage tools (linuxdeploy and its AppRun) from the project's
# GitHub releases into ~/.cache/tauri on first use; without a way there the AppImage is skipped.
# It patches the app binary while bundling and restores it only on success: keep a copy.
cp -p "$out/edgecost-app" "$out/edgecost-app.unbundled"
if bundle appimage >"$out/appimage.log" 2>&1; then
  rm "$out/edgecost-app.unbundled"
  appimage=$(ls "$out"/bundle/appimage/*.AppImage)
else
  mv "$out/edgecost-app.unbundled" "$out/edgecost-app"
  if grep -qi "download" "$out/appimage.log"; then
    appimage=""
    echo "package: AppImage skipped: the Tauri bundler could not download its AppImage tools (linuxdeploy, AppRun) from GitHub, which this machine does not reach. See README.md, Install."
    grep -i "download\|error" "$out/appimage.log" | head -3 | sed 's/^/package:   /'
  else
    cat "$out/appimage.log" >&2
    echo "package: the AppImage failed" >&2
    exit 1
  fi
fi

echo "package: $deb ($(du -h "$deb" | cut -f1))"
[ -z "$appimage" ] || echo "package: $appimage ($(du -h "$appimage" | cut -f1))"
