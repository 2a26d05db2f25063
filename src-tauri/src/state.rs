//! What every command shares.

use std::path::Path;
use std::sync::Arc;

use edgecost_desktop::{App, TokenVault};

/// The app, shared by every command.
pub struct AppState {
    pub app: Arc<App>,
}

impl AppState {
    pub fn new(data_dir: &Path) -> AppState {
        AppState { app: Arc::new(App::new(data_dir, TokenVault::default())) }
    }
}
