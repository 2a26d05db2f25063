//! Builds the UI (`ui/dist`) when its sources changed, then runs the Tauri build with the
//! configuration and capabilities at the repository root.

use std::path::Path;
use std::process::Command;

fn main() {
    build_ui();
    println!("cargo:rerun-if-changed=../capabilities");
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    tauri_build::try_build(
        tauri_build::Attributes::new().config_path("../tauri.conf.json").capabilities_path_pattern("../capabilities/*.json"),
    )
    .expect("tauri build");
}

/// The app embeds `ui/dist`, so a plain `cargo build` must produce it. Set
/// `EDGECOST_SKIP_UI_BUILD=1` when the UI was built separately (e.g. by `make ui`).
fn build_ui() {
    println!("cargo:rerun-if-env-changed=EDGECOST_SKIP_UI_BUILD");
    for path in ["../ui/src", "../ui/index.html", "../ui/package.json", "../ui/package-lock.json", "../ui/vite.config.ts"] {
        println!("cargo:rerun-if-changed={path}");
    }
    if std::env::var_os("EDGECOST_SKIP_UI_BUILD").is_some() {
        return;
    }
    let ui = Path::new("../ui");
    if !ui.join("node_modules").exists() {
        // Installs the locked versions without rewriting the lock (see scripts/setup-debian.sh).
        run(Command::new("npm").args(["install", "--no-save", "--no-audit", "--no-fund"]).current_dir(ui), "npm install");
    }
    run(Command::new("npm").args(["run", "build"]).current_dir(ui), "npm run build");
    check_dist(&ui.join("dist"));
}

/// Every file `index.html` loads must exist, or the app would open on a blank page. Two UI
/// builds racing on the same `ui/dist` (vite empties it first) leave it inconsistent.
fn check_dist(dist: &Path) {
    let index = std::fs::read_to_string(dist.join("index.html")).expect("ui/dist/index.html after the UI build");
    for part in index.split(['"', '\'']).filter(|p| p.starts_with("/assets/")) {
        let file = dist.join(part.trim_start_matches('/'));
        assert!(file.exists(), "ui/dist is inconsistent: index.html loads {part} but it is missing; run the build again");
    }
}

fn run(cmd: &mut Command, what: &str) {
    let status = cmd.status().unwrap_or_else(|e| panic!("{what}: cannot start npm ({e}); install Node.js 20+"));
    assert!(status.success(), "{what} failed with {status}");
}
