//! The list of recently opened plan files, kept in the app's data folder. The UI names an entry
//! by its id and never by its path, so the web view can only open a plan the person picked.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::DesktopError;
use crate::files::{read_json, write_json};

/// The file the list is kept in, inside the app's data folder.
pub const RECENT_PLANS_FILE: &str = "recent-plans.json";
/// How many files the list remembers.
pub const RECENT_PLANS_MAX: usize = 10;

/// A recently opened plan file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RecentPlan {
    /// What the UI passes back to open this plan (see [`RecentPlans::path_of`]).
    pub id: String,
    pub path: String,
    pub name: String,
    /// Whether the file is still there.
    pub exists: bool,
}

/// Recently opened plan files, most recent first.
pub struct RecentPlans {
    file: PathBuf,
}

impl RecentPlans {
    pub fn in_dir(data_dir: &Path) -> RecentPlans {
        RecentPlans { file: data_dir.join(RECENT_PLANS_FILE) }
    }

    fn paths(&self) -> Vec<PathBuf> {
        // A missing or unreadable list is an empty one: it is a convenience, never a reason
        // to refuse to open the planner.
        read_json::<Vec<PathBuf>>(&self.file).unwrap_or_default()
    }

    /// The list as shown.
    pub fn list(&self) -> Vec<RecentPlan> {
        self.paths()
            .into_iter()
            .take(RECENT_PLANS_MAX)
            .map(|p| RecentPlan {
                id: recent_id(&p),
                name: p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                exists: p.is_file(),
                path: p.display().to_string(),
            })
            .collect()
    }

    /// The file of the entry with id `id`, while the list holds it.
    pub fn path_of(&self, id: &str) -> Result<PathBuf, DesktopError> {
        self.paths().into_iter().take(RECENT_PLANS_MAX).find(|p| recent_id(p) == id).ok_or(DesktopError::UnknownRecentPlan)
    }

    /// Puts `path` first, dropping its older entry and the oldest past the bound.
    pub fn remember(&self, path: &Path) -> Result<Vec<RecentPlan>, DesktopError> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        let mut paths = self.paths();
        paths.retain(|p| *p != path);
        paths.insert(0, path);
        paths.truncate(RECENT_PLANS_MAX);
        write_json(&self.file, &paths)?;
        Ok(self.list())
    }
}

/// A stable id of a listed path: its FNV-1a hash, in hex.
fn recent_id(path: &Path) -> String {
    let hash = path
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_recent_first_without_repeats_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let recent = RecentPlans::in_dir(dir.path());
        assert!(recent.list().is_empty());
        for i in 0..12 {
            recent.remember(&dir.path().join(format!("plan-{i}.yaml"))).unwrap();
        }
        let list = recent.remember(&dir.path().join("plan-5.yaml")).unwrap();
        assert_eq!(list.len(), RECENT_PLANS_MAX);
        assert_eq!(list[0].name, "plan-5.yaml");
        assert_eq!(list[1].name, "plan-11.yaml");
        assert_eq!(list.iter().filter(|p| p.name == "plan-5.yaml").count(), 1);
        assert!(!list[0].exists);
    }

    #[test]
    fn an_id_names_a_listed_plan_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let recent = RecentPlans::in_dir(dir.path());
        let a = dir.path().join("a.yaml");
        recent.remember(&a).unwrap();
        let list = recent.remember(&dir.path().join("b.yaml")).unwrap();
        assert_ne!(list[0].id, list[1].id);
        assert_eq!(recent.path_of(&list[1].id).unwrap(), a);
        assert_eq!(recent.list(), list, "ids are stable");
        assert!(matches!(recent.path_of("/etc/passwd"), Err(DesktopError::UnknownRecentPlan)));
        assert!(matches!(recent.path_of(""), Err(DesktopError::UnknownRecentPlan)));
    }
}
