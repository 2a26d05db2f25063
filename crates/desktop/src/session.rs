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
        crate::files::read_json(&self.path)
    }

    pub fn save(&self, session: &Session) -> Result<(), DesktopError> {
        crate::files::write_json(&self.path, session)
    }

    pub fn clear(&self) -> Result<(), DesktopError> {
        crate::files::remove_if_present(&self.path)
    }
}

/// The server URL an account was last connected to, kept in `server.json` in the app data
/// folder. Unlike the session it stays after sign-out, so the sign-in form offers the address
/// again. It never holds the token.
#[derive(Clone, Debug)]
pub struct LastServer {
    path: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct LastServerFile {
    server_url: String,
}

impl LastServer {
    pub fn in_dir(data_dir: &Path) -> LastServer {
        LastServer { path: data_dir.join("server.json") }
    }

    /// The remembered URL, `None` before the first connection.
    pub fn load(&self) -> Option<String> {
        crate::files::read_json::<LastServerFile>(&self.path).map(|f| f.server_url)
    }

    pub fn save(&self, server_url: &str) -> Result<(), DesktopError> {
        crate::files::write_json(&self.path, &LastServerFile { server_url: server_url.to_owned() })
    }
}
