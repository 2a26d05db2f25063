//! The recovery copy of a plan with unsaved edits, kept in the app's data folder so a crash or
//! a killed app does not lose them.
//!
//! The copy is written (atomically, a while after the last edit) whenever the open plan has
//! unsaved edits, and removed when the plan is saved or its edits are discarded. At the next
//! start, a copy that is still there means the last run ended with unsaved edits: the planner
//! offers it back.
//!
//! ```
//! use edgecost_desktop::{PlanRecovery, PlanSession, PlanEdit};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let recovery = PlanRecovery::in_dir(dir.path());
//! let mut session = PlanSession::blank().unwrap();
//! session.apply(PlanEdit::SetTier { tier: "scale".into() }).unwrap();
//! let now = chrono::Utc::now();
//! recovery.keep(&session, now).unwrap();
//!
//! let offer = recovery.offer().unwrap();
//! assert_eq!(offer.file_name, None);
//! let recovered = recovery.recover().unwrap();
//! assert_eq!(recovered.plan().tier, "scale");
//! assert!(recovered.has_unsaved_edits());
//! ```

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DesktopError;
use crate::files::{read_json, remove_if_present, write_json};
use crate::plan_session::{PlanEdit, PlanSession};

/// The file the copy is kept in, inside the app's data folder.
pub const RECOVERY_FILE: &str = "unsaved-plan.json";

/// What the copy holds: the plan's text and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Copy {
    /// The plan as the YAML a plan file holds.
    yaml: String,
    /// The file the plan was opened from or last saved to; `None` for an untitled plan.
    file: Option<PathBuf>,
    /// When the last edit the copy holds was written.
    edited_at: DateTime<Utc>,
}

/// The recovery copy found at start, as the planner offers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RecoveryOffer {
    /// RFC 3339, UTC; the UI shows it in local time.
    pub edited_at: String,
    /// The plan's own file, or `None` for an untitled plan.
    pub file: Option<String>,
    pub file_name: Option<String>,
}

/// The recovery copy in one data folder.
pub struct PlanRecovery {
    path: PathBuf,
}

impl PlanRecovery {
    pub fn in_dir(data_dir: &Path) -> PlanRecovery {
        PlanRecovery { path: data_dir.join(RECOVERY_FILE) }
    }

    /// Keeps the copy in step with `session`: written when it has unsaved edits, removed when
    /// it has none. `now` is when the edits are recorded as made.
    pub fn keep(&self, session: &PlanSession, now: DateTime<Utc>) -> Result<(), DesktopError> {
        if !session.has_unsaved_edits() {
            return self.remove();
        }
        let copy = Copy { yaml: session.yaml(), file: session.file().map(Path::to_owned), edited_at: now };
        write_json(&self.path, &copy)
    }

    /// Removes the copy: its edits were saved or discarded. A missing copy is fine.
    pub fn remove(&self) -> Result<(), DesktopError> {
        remove_if_present(&self.path)
    }

    /// A readable copy, if there is one. An unreadable one is no copy: it cannot be offered back.
    fn read(&self) -> Option<Copy> {
        read_json(&self.path)
    }

    /// What the planner offers at start, when a copy is there.
    pub fn offer(&self) -> Option<RecoveryOffer> {
        let copy = self.read()?;
        Some(RecoveryOffer {
            edited_at: copy.edited_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            file_name: copy.file.as_deref().and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned()),
            file: copy.file.map(|p| p.display().to_string()),
        })
    }

    /// The plan the copy holds, as a session with those edits unsaved. When its file is still
    /// there, the file is the saved version it is compared against; otherwise it is untitled.
    /// The copy stays until the plan is saved or discarded.
    pub fn recover(&self) -> Result<PlanSession, DesktopError> {
        let copy = self
            .read()
            .ok_or_else(|| DesktopError::Read { path: self.path.display().to_string(), detail: "no unsaved plan to recover".into() })?;
        let mut session = match copy.file.as_deref().filter(|f| f.is_file()) {
            Some(file) => PlanSession::open(file)?,
            None => PlanSession::untitled(&copy.yaml)?,
        };
        if session.file().is_some() {
            session.apply(PlanEdit::ReplaceYaml { yaml: copy.yaml })?;
        }
        Ok(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 5, h, m, 0).unwrap()
    }

    fn edited_blank() -> PlanSession {
        let mut s = PlanSession::blank().unwrap();
        s.apply(PlanEdit::DuplicateRoute { index: 0 }).unwrap();
        s
    }

    #[test]
    fn an_untouched_plan_leaves_no_copy() {
        let dir = tempfile::tempdir().unwrap();
        let recovery = PlanRecovery::in_dir(dir.path());
        recovery.keep(&PlanSession::blank().unwrap(), at(9, 0)).unwrap();
        assert!(!dir.path().join(RECOVERY_FILE).exists());
        assert_eq!(recovery.offer(), None);
    }

    #[test]
    fn unsaved_edits_of_an_untitled_plan_come_back_unsaved() {
        let dir = tempfile::tempdir().unwrap();
        let recovery = PlanRecovery::in_dir(dir.path());
        let session = edited_blank();
        recovery.keep(&session, at(10, 42)).unwrap();

        let offer = recovery.offer().unwrap();
        assert_eq!(offer.edited_at, "2026-12-05T10:42:00Z");
        assert_eq!((offer.file, offer.file_name), (None, None));
        let recovered = recovery.recover().unwrap();
        assert_eq!(recovered.plan(), session.plan());
        assert!(recovered.has_unsaved_edits());
        assert_eq!(recovered.file(), None);
        // Recovering does not remove the copy: until it is saved, a second crash must not lose it.
        assert!(recovery.offer().is_some());
    }

    #[test]
    fn edits_of_a_plan_file_come_back_against_that_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("api.yaml");
        let mut session = edited_blank();
        session.save(Some(&file)).unwrap();
        let saved_yaml = std::fs::read_to_string(&file).unwrap();
        session.apply(PlanEdit::SetTier { tier: "scale".into() }).unwrap();
        let recovery = PlanRecovery::in_dir(dir.path());
        recovery.keep(&session, at(11, 5)).unwrap();

        let offer = recovery.offer().unwrap();
        assert_eq!(offer.file_name.as_deref(), Some("api.yaml"));
        let recovered = recovery.recover().unwrap();
        assert_eq!(recovered.file(), Some(file.as_path()));
        assert_eq!(recovered.plan().tier, "scale");
        assert!(recovered.has_unsaved_edits());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), saved_yaml, "recovering does not write the file");
    }

    #[test]
    fn a_copy_whose_file_is_gone_comes_back_untitled() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gone.yaml");
        let mut session = edited_blank();
        session.save(Some(&file)).unwrap();
        session.apply(PlanEdit::SetTier { tier: "scale".into() }).unwrap();
        let recovery = PlanRecovery::in_dir(dir.path());
        recovery.keep(&session, at(12, 0)).unwrap();
        std::fs::remove_file(&file).unwrap();
        let recovered = recovery.recover().unwrap();
        assert_eq!(recovered.file(), None);
        assert_eq!(recovered.plan().tier, "scale");
    }

    #[test]
    fn saving_or_discarding_removes_the_copy() {
        let dir = tempfile::tempdir().unwrap();
        let recovery = PlanRecovery::in_dir(dir.path());
        let mut session = edited_blank();
        recovery.keep(&session, at(9, 0)).unwrap();
        session.save(Some(&dir.path().join("p.yaml"))).unwrap();
        recovery.keep(&session, at(9, 1)).unwrap();
        assert_eq!(recovery.offer(), None, "a saved plan has nothing to recover");

        session.apply(PlanEdit::SetTier { tier: "scale".into() }).unwrap();
        recovery.keep(&session, at(9, 2)).unwrap();
        assert!(recovery.offer().is_some());
        recovery.remove().unwrap();
        recovery.remove().unwrap();
        assert_eq!(recovery.offer(), None);
    }

    #[test]
    fn a_damaged_copy_is_not_offered() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(RECOVERY_FILE), b"{not json").unwrap();
        let recovery = PlanRecovery::in_dir(dir.path());
        assert_eq!(recovery.offer(), None);
        assert_eq!(recovery.recover().err().map(|e| e.code()), Some("read_failed"));
    }
}
