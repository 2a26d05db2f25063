//! The account action views reach the UI as generated TypeScript; this fails when the
//! committed files in `ui/src/bindings/account/` are stale. Run with
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

#[test]
fn committed_account_bindings_match_the_rust_types() {
    let committed_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings/account");
    let fresh_dir = tempfile::tempdir().unwrap();
    edgecost_desktop::write_account_typescript(fresh_dir.path()).unwrap();
    let fresh = read_dir(fresh_dir.path());
    assert!(fresh.contains_key("NoticeBanner.ts") && fresh.contains_key("ActionFailure.ts"), "generated: {:?}", fresh.keys());
    if std::env::var_os("EDGECOST_UPDATE_BINDINGS").is_some() {
        std::fs::create_dir_all(&committed_dir).unwrap();
        for (name, text) in &fresh {
            std::fs::write(committed_dir.join(name), text).unwrap();
        }
    }
    let committed = read_dir(&committed_dir);
    assert!(
        committed == fresh,
        "ui/src/bindings/account is stale; run `EDGECOST_UPDATE_BINDINGS=1 cargo test -p edgecost-desktop --test account_bindings` and commit"
    );
}
