//! The harness of the end-to-end tests: a scratch home, an unlocked gnome-keyring on the
//! session bus, tauri-driver launching the real app, and the engine served on loopback.
//! The tests live in `tests/`; `examples/screenshots.rs` drives the same app for `docs/`.
//! Needs `DISPLAY` and a session bus: run under `xvfb-run -a dbus-run-session --`.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use tempfile::TempDir;

mod server;
mod window;

pub use server::{LiveAccount, Server, serve_demo_account};
pub use window::ask_window_to_close;

/// The app is single-instance per session bus, so the tests take turns. An async lock: each
/// test holds its turn across the awaits that drive the app (and a failed test does not
/// poison the next one's turn).
pub static ONE_APP_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
/// The keyring daemon of this test run, unlocked once.
pub static KEYRING: OnceLock<TempDir> = OnceLock::new();

pub const WAIT: Duration = Duration::from_secs(30);
/// How long a launch may take: WebKit's first start on a loaded 2-core machine can take far
/// longer than a page update, so this bound is wider than [`WAIT`].
pub const LAUNCH_WAIT: Duration = Duration::from_secs(120);

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace").to_owned()
}

pub fn app_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("EDGECOST_APP") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
    let path = target.join("debug").join("edgecost-app");
    assert!(path.exists(), "{} is missing: run `cargo build -p edgecost-app` first (or set EDGECOST_APP)", path.display());
    path
}

pub fn tauri_driver() -> PathBuf {
    let home_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|c| c.join("bin").join("tauri-driver"));
    match home_bin {
        Some(p) if p.exists() => p,
        _ => PathBuf::from("tauri-driver"),
    }
}

pub fn require_session() {
    for var in ["DISPLAY", "DBUS_SESSION_BUS_ADDRESS"] {
        assert!(
            std::env::var_os(var).is_some(),
            "{var} is not set: run the suite as `xvfb-run -a dbus-run-session -- cargo test -p edgecost-e2e`"
        );
    }
}

/// Starts gnome-keyring's Secret Service on this session bus, unlocked with a throwaway
/// password, storing its files in a scratch folder.
pub fn keyring() {
    KEYRING.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut daemon = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets"])
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon is needed (apt-get install gnome-keyring)");
        daemon.stdin.take().unwrap().write_all(b"e2e-keyring-password").unwrap();
        let out = daemon.wait_with_output().unwrap();
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(printed.contains("GNOME_KEYRING_CONTROL"), "the keyring did not start: {printed}");
        dir
    });
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A scratch home for the app: its data folder, WebKit's caches, everything it writes.
pub struct Home {
    dir: TempDir,
}

impl Default for Home {
    fn default() -> Self {
        Self::new()
    }
}

impl Home {
    pub fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        for sub in [".local/share", ".config", ".cache"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        Home { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn log(&self) -> PathBuf {
        self.path().join("driver-and-app.log")
    }

    /// `program` run with this home (and its XDG folders), its output appended to
    /// [`Home::log`]: the app itself, as a launcher starts it, or tauri-driver.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.log()).unwrap();
        let mut command = Command::new(program);
        command
            .env("HOME", self.path())
            .env("XDG_DATA_HOME", self.path().join(".local/share"))
            .env("XDG_CONFIG_HOME", self.path().join(".config"))
            .env("XDG_CACHE_HOME", self.path().join(".cache"))
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        command
    }

    /// Ids of the app processes running with this home (other runs on the machine have
    /// other homes, and are left alone).
    pub fn app_processes(&self) -> Vec<i32> {
        // A rebuilt binary shows as `<path> (deleted)` for processes started before the build.
        let app = app_binary().canonicalize().unwrap_or_else(|_| app_binary()).display().to_string();
        let marker = format!("HOME={}", self.path().display());
        let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe.display().to_string().starts_with(&app)))
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == marker.as_bytes()))
            })
            .collect()
    }

    /// Waits until the app launched with this home has exited and let go of its
    /// single-instance name on the session bus; asks it to stop (SIGTERM) when closing the
    /// session did not end it.
    pub async fn wait_for_app_exit(&self) {
        for attempt in 0..2 {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if self.app_processes().is_empty() && single_instance_owner().is_none() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if attempt == 0 {
                for pid in self.app_processes() {
                    unsafe { libc::kill(pid, libc::SIGTERM) };
                }
            }
        }
        let owner = single_instance_owner().map(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            format!("{pid} {}", String::from_utf8_lossy(&cmdline).replace('\0', " "))
        });
        panic!("the app did not exit: processes {:?}, single-instance name held by {owner:?}", self.app_processes());
    }
}

/// The app's single-instance name on the session bus (see `tauri.conf.json`'s identifier).
pub const SINGLE_INSTANCE_NAME: &str = "dev.edgecost.desktop.SingleInstance";

/// The process that owns the app's single-instance name on this session bus, if any.
pub fn single_instance_owner() -> Option<u32> {
    let out = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.GetConnectionUnixProcessID",
            &format!("string:{SINGLE_INSTANCE_NAME}"),
        ])
        .stderr(Stdio::null())
        .output()
        .expect("dbus-send is needed (apt-get install dbus-bin)");
    // A held name answers `uint32 <pid>`; a free one answers an error.
    String::from_utf8_lossy(&out.stdout).split_whitespace().skip_while(|w| *w != "uint32").nth(1)?.parse().ok()
}

/// tauri-driver (and through it WebKitWebDriver and the app), with the app's output in a log.
pub struct Driver {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Driver {
    pub fn start(home: &Home) -> Driver {
        Driver::start_with_env(home, &[])
    }

    /// As [`Driver::start`], with extra environment for the app (e.g. `GTK_THEME`).
    pub fn start_with_env(home: &Home, env: &[(&str, &str)]) -> Driver {
        let port = free_port();
        let native_port = free_port();
        let child = home
            .command(tauri_driver())
            // Its own process group, which WebKitWebDriver and the app join: dropping the
            // driver can then stop all three, also when a failed test never closed the app.
            .process_group(0)
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .envs(env.iter().copied())
            .spawn()
            .expect("tauri-driver is needed (cargo install tauri-driver --locked)");
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tauri-driver did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, port, log: home.log() }
    }

    /// Launches the app and connects to its webview. The app is single-instance, so the
    /// previous launch must be gone first (see [`Home::wait_for_app_exit`]).
    pub async fn launch(&self) -> Client {
        // Both aws-lc-rs and ring are linked in; rustls needs to be told which one to use.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut caps = serde_json::Map::new();
        caps.insert("tauri:options".into(), serde_json::json!({ "application": app_binary() }));
        // fantoccini wraps the capabilities in `alwaysMatch`; without it WebKitWebDriver
        // would start its MiniBrowser instead of the app.
        let mut builder = ClientBuilder::rustls().unwrap();
        builder.capabilities(caps);
        let url = format!("http://127.0.0.1:{}", self.port);
        match tokio::time::timeout(LAUNCH_WAIT, builder.connect(&url)).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => panic!("no WebDriver session with the app: {e}\n{}", self.log_tail()),
            Err(_) => panic!("the app did not start within {LAUNCH_WAIT:?}\n{}", self.log_tail()),
        }
    }
}

impl Driver {
    /// The end of the driver's and the app's output, for a failure message.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!("--- last lines of {} ---\n{}", self.log.display(), lines[lines.len().saturating_sub(60)..].join("\n"))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM lets tauri-driver stop WebKitWebDriver and its session first.
        let group = self.child.id() as i32;
        unsafe { libc::kill(group, libc::SIGTERM) };
        let _ = self.child.wait();
        // Whatever of the group is left (an app a failed test never closed) would hold the
        // single-instance name and keep the next test's app from starting: stop it too.
        unsafe { libc::kill(-group, libc::SIGKILL) };
    }
}

/// This test's turn to run the app (held while the guard lives) and a fresh home: how every
/// test that launches the app starts. Checks for a display and a session bus first.
pub async fn app_turn() -> (tokio::sync::MutexGuard<'static, ()>, Home) {
    require_session();
    (ONE_APP_AT_A_TIME.lock().await, Home::new())
}

/// [`app_turn`] for a test that needs the keyring, unlocked before its turn.
pub async fn app_turn_with_keyring() -> (tokio::sync::MutexGuard<'static, ()>, Home) {
    require_session();
    keyring();
    (ONE_APP_AT_A_TIME.lock().await, Home::new())
}

/// Takes the demo door of the first-run screen and answers the dashboard's bill to date once
/// it shows.
pub async fn open_demo(app: &Client) -> String {
    app.wait().at_most(WAIT).for_element(Locator::Css("#demo")).await.expect("the demo door").click().await.unwrap();
    text_of(app, "#bill-to-date [data-testid=total]").await
}

/// Waits until the dashboard's sync has settled ("Synced 10:42", not "Syncing…") and answers
/// the status: the first sync after opening a dashboard is done, so what it disables (Sync now,
/// Reset demo) is enabled again and the figures are the ones it fetched.
pub async fn wait_synced(app: &Client) -> String {
    text_until(app, "#sync-status", |s| s.starts_with("Synced")).await
}

/// The app's own demo account, read from its data folder: its tokens and the instant its
/// traffic was recorded until.
pub fn demo_account(home: &Home) -> edgecost_engine::DemoAccount {
    let file = home.path().join(".local/share/dev.edgecost.desktop/demo-account.json");
    serde_json::from_slice(&std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))).expect("the demo's account file")
}

/// The instant the app seeded (or last topped up) its demo at. The app is the real binary and
/// reads the system clock, which no test can pin; a test that works out the demo's figures
/// does so at this instant, the one the app's engine used, and never at a `Utc::now()` of its
/// own taken later, which past a month's end lies in the next period.
pub fn demo_seeded_at(home: &Home) -> chrono::DateTime<chrono::Utc> {
    demo_account(home).recorded_until
}

/// Lists `plans` as the app's recent plan files (most recent first) in its data folder.
pub fn recent_plans(home: &Home, plans: &[&Path]) {
    let data_dir = home.path().join(".local/share/dev.edgecost.desktop");
    std::fs::create_dir_all(&data_dir).unwrap();
    std::fs::write(data_dir.join("recent-plans.json"), serde_json::to_vec(&plans).unwrap()).unwrap();
}

/// A copy of `examples/{example}` saved as `name` in a scratch folder of its own (kept while
/// the returned folder lives), listed as the home's only recent plan.
pub fn recent_example_plan(home: &Home, example: &str, name: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::copy(workspace_root().join("examples").join(example), &path).unwrap();
    recent_plans(home, &[&path]);
    (dir, path)
}

/// Opens the planner from the first-run screen, and the first recent plan from there.
pub async fn open_first_recent_plan(app: &Client) {
    app.wait().at_most(WAIT).for_element(Locator::Css("#plan")).await.expect("the plan-offline door").click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css(".recent-plan")).await.expect("a recent plan").click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#plan-total")).await.expect("the estimate");
}

/// Launches the app and opens its first recent plan.
pub async fn launch_on_recent_plan(driver: &Driver) -> Client {
    let app = driver.launch().await;
    open_first_recent_plan(&app).await;
    app
}

/// The top-left `width` x `height` of the screen as a PNG named `name`, when `EDGECOST_SHOTS`
/// names a folder to keep screenshots in.
pub fn screenshot(name: &str, width: u32, height: u32) {
    let Some(dir) = std::env::var_os("EDGECOST_SHOTS") else { return };
    let out = Path::new(&dir).join(name);
    let status = Command::new("/usr/bin/import")
        .args(["-window", "root", "-crop", &format!("{width}x{height}+0+0"), "+repage"])
        .arg(&out)
        .status()
        .expect("ImageMagick's import");
    assert!(status.success());
}

/// Waits for an element matching `css`.
pub async fn wait_for(app: &Client, css: &str) -> fantoccini::elements::Element {
    app.wait().at_most(WAIT).for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"))
}

/// Waits until nothing matches `css` (a sheet closed, a notice gone).
pub async fn wait_gone(app: &Client, css: &str) {
    let deadline = Instant::now() + WAIT;
    while app.find(Locator::Css(css)).await.is_ok() {
        assert!(Instant::now() < deadline, "{css} never went away");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits for `css` and answers its text once it is not empty.
pub async fn text_of(client: &Client, css: &str) -> String {
    text_by(client, css, Instant::now() + WAIT).await
}

/// Like [`text_of`], failing once `deadline` has passed.
pub async fn text_by(client: &Client, css: &str, deadline: Instant) -> String {
    loop {
        if let Ok(el) = client.find(Locator::Css(css)).await
            && let Ok(text) = el.text().await
            && !text.trim().is_empty()
        {
            return text.trim().to_owned();
        }
        assert!(Instant::now() < deadline, "no text at `{css}` by the deadline; page: {}", client.source().await.unwrap_or_default());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the text at `css` satisfies `done`, and answers it.
pub async fn text_until(client: &Client, css: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let text = text_of(client, css).await;
        if done(&text) {
            return text;
        }
        assert!(Instant::now() < deadline, "`{css}` still reads `{text}` after {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The dashboard's chart is an SVG drawn in Rust, shown as an image.
pub async fn chart_svg(client: &Client) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(img) = client.find(Locator::Css("#chart img")).await
            && let Ok(Some(src)) = img.attr("src").await
        {
            let prefix = "data:image/svg+xml;charset=utf-8,";
            assert!(src.starts_with(prefix), "chart is not an SVG image: {}", &src[..src.len().min(60)]);
            return percent_decode(&src[prefix.len()..]);
        }
        assert!(Instant::now() < deadline, "no chart after {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(v) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every file under `root` (except the keyring's own encrypted store) that contains `needle`.
pub fn files_containing(root: &Path, needle: &str, skip: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.starts_with(skip) {
                continue;
            }
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file()
                && let Ok(bytes) = std::fs::read(&path)
                && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            {
                found.push(path);
            }
        }
    }
    found
}
