//! The UI's TypeScript types come from the Rust types; this fails when the committed files in
//! `ui/src/bindings/desktop/` are stale. Run with `EDGECOST_UPDATE_BINDINGS=1` to rewrite them.

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

#[test]
fn committed_typescript_bindings_match_the_rust_types() {
    let committed_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings/desktop");
    let fresh_dir = tempfile::tempdir().unwrap();
    edgecost_desktop::bindings::write_typescript(fresh_dir.path()).unwrap();
    let fresh = read_dir(fresh_dir.path());
    assert!(fresh.contains_key("DashboardView.ts"), "generated: {:?}", fresh.keys());
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
        "ui/src/bindings/desktop is stale; run `EDGECOST_UPDATE_BINDINGS=1 cargo test -p edgecost-desktop --test bindings` and commit"
    );
}
