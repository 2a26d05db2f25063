//! The UI's TypeScript types come from the Rust types; these fail when the committed files in
//! `ui/src/bindings/desktop/` or `ui/src/bindings/account/` are stale. Run with
//! `EDGECOST_UPDATE_BINDINGS=1` to rewrite them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return BTreeMap::new() };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "ts"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap()))
        .collect()
}

/// Generates the bindings into a scratch folder and compares them with `ui/src/bindings/<folder>`.
fn check_bindings<E: std::fmt::Debug>(folder: &str, expected: &[&str], write: impl Fn(&Path) -> Result<(), E>) {
    let committed_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings").join(folder);
    let fresh_dir = tempfile::tempdir().unwrap();
    write(fresh_dir.path()).unwrap();
    let fresh = read_dir(fresh_dir.path());
    for name in expected {
        assert!(fresh.contains_key(*name), "{name} not generated: {:?}", fresh.keys());
    }
    if std::env::var_os("EDGECOST_UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed_dir);
        std::fs::create_dir_all(&committed_dir).unwrap();
        for (name, text) in &fresh {
            std::fs::write(committed_dir.join(name), text).unwrap();
        }
    }
    let committed = read_dir(&committed_dir);
    assert!(
        committed == fresh,
        "ui/src/bindings/{folder} is stale; run `EDGECOST_UPDATE_BINDINGS=1 cargo test -p edgecost-desktop --test bindings` and commit"
    );
}

#[test]
fn committed_typescript_bindings_match_the_rust_types() {
    check_bindings("desktop", &["DashboardView.ts"], edgecost_desktop::bindings::write_typescript);
}

#[test]
fn committed_account_bindings_match_the_rust_types() {
    check_bindings("account", &["NoticeBanner.ts", "ActionFailure.ts"], edgecost_desktop::write_account_typescript);
}
