//! Which door the app was last opened through, kept in `session.json` in the app data folder
//! so a restart goes straight back to the dashboard. It never holds the token.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::DesktopError;
use crate::snapshot::Door;

/// The remembered session: the door and, for an account, its server URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub door: Door,
    pub server_url: Option<String>,
}

/// The session file.
#[derive(Clone, Debug)]
pub struct SessionFile {
    path: PathBuf,
}

impl SessionFile {
    pub fn in_dir(data_dir: &Path) -> SessionFile {
        SessionFile { path: data_dir.join("session.json") }
    }

    /// The remembered session, `None` on first run or after sign-out.
    pub fn load(&self) -> Option<Session> {
        serde_json::from_slice(&std::fs::read(&self.path).ok()?).ok()
    }

    pub fn save(&self, session: &Session) -> Result<(), DesktopError> {
        let json = serde_json::to_vec_pretty(session).map_err(|e| DesktopError::Write {
            path: self.path.display().to_string(),
            detail: e.to_string(),
        })?;
        crate::files::write_atomically(&self.path, &json)
    }

    pub fn clear(&self) -> Result<(), DesktopError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(DesktopError::Write { path: self.path.display().to_string(), detail: e.to_string() }),
        }
    }
}
