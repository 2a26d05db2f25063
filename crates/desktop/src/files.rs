//! Small file writes the app makes: atomic replace of state files, JSON state files, and
//! removing a state file that may already be gone.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::DesktopError;

fn write_error(path: &Path, detail: impl std::fmt::Display) -> DesktopError {
    DesktopError::Write { path: path.display().to_string(), detail: detail.to_string() }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a
/// reader sees either the old file or the new one, never half of one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), DesktopError> {
    let error = |e: std::io::Error| write_error(path, e);
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(error)?;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp).map_err(error)?;
    file.write_all(bytes).map_err(error)?;
    file.sync_all().map_err(error)?;
    std::fs::rename(&tmp, path).map_err(error)
}

/// Writes `value` as JSON to `path`, atomically (see [`write_atomically`]).
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), DesktopError> {
    let json = serde_json::to_vec(value).map_err(|e| write_error(path, e))?;
    write_atomically(path, &json)
}

/// The JSON state file at `path`; `None` when it is missing or unreadable, which every state
/// file treats as "not there" (a cache is fetched again, a session starts at the welcome).
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Removes the file at `path`; a file already gone is fine.
pub fn remove_if_present(path: &Path) -> Result<(), DesktopError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(write_error(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips_and_removal_tolerates_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert_eq!(read_json::<Vec<u32>>(&path), None);
        write_json(&path, &vec![1u32, 2, 3]).unwrap();
        assert_eq!(read_json::<Vec<u32>>(&path), Some(vec![1, 2, 3]));
        remove_if_present(&path).unwrap();
        assert!(!path.exists());
        remove_if_present(&path).unwrap();
    }

    #[test]
    fn an_unreadable_state_file_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, b"{not json").unwrap();
        assert_eq!(read_json::<Vec<u32>>(&path), None);
    }

    #[test]
    fn removing_a_folder_is_a_write_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = remove_if_present(dir.path()).unwrap_err();
        assert_eq!(err.code(), "write_failed");
    }
}
