//! The desktop app's benchmark: release binary size, idle memory (RSS and PSS summed over the
//! app and its WebKit processes) and launch-to-dashboard time, each beside a minimal Tauri
//! window measured the same way in the same run.
//!
//! ```text
//! cargo build --profile release-app -p edgecost-app --features custom-protocol --bin edgecost-app --example minimal_window
//! xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- cargo run -p edgecost-e2e --example bench_app
//! ```
//! Goals: idle memory <= 1.25x the minimal window; launch to dashboard <= 1 s.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use edgecost_e2e::*;
use fantoccini::Locator;

/// Launches measured per subject; the median is reported.
const LAUNCHES: usize = 5;
/// How long an app sits idle before its memory is read.
const IDLE: Duration = Duration::from_secs(5);

/// Where the `release-app` profile (the app as packaged) puts its binaries.
fn release_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
    target.join("release-app")
}

fn binary(path: PathBuf) -> PathBuf {
    assert!(path.exists(), "{} is missing; build it first (see the header of this file)", path.display());
    path
}

/// Processes whose executable is `exe` (as started before a rebuild too).
fn processes_of(exe: &Path) -> Vec<i32> {
    let exe = exe.canonicalize().unwrap_or_else(|_| exe.to_owned()).display().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|p| p.display().to_string().starts_with(&exe)))
        .collect()
}

fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: read after the last `)`.
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

/// `root` and every process descended from it.
fn with_descendants(root: i32) -> Vec<i32> {
    let all: Vec<i32> = std::fs::read_dir("/proc").unwrap().flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect();
    let mut tree = vec![root];
    let mut grew = true;
    while grew {
        grew = false;
        for pid in &all {
            if !tree.contains(pid) && parent_of(*pid).is_some_and(|p| tree.contains(&p)) {
                tree.push(*pid);
                grew = true;
            }
        }
    }
    tree
}

/// The fields `keys` (e.g. `"Pss:"`) of each process's `smaps_rollup`, in KiB, summed over `pids`.
fn rollup_kib<const N: usize>(pids: &[i32], keys: [&str; N]) -> [u64; N] {
    let mut sums = [0; N];
    for pid in pids {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else { continue };
        for line in text.lines() {
            let mut parts = line.split_whitespace();
            let (Some(key), Some(value)) = (parts.next(), parts.next()) else { continue };
            if let Some(slot) = keys.iter().position(|k| *k == key) {
                sums[slot] += value.parse::<u64>().unwrap_or(0);
            }
        }
    }
    sums
}

/// (RSS, PSS) in KiB summed over `pids`.
fn memory_kib(pids: &[i32]) -> (u64, u64) {
    let [rss, pss] = rollup_kib(pids, ["Rss:", "Pss:"]);
    (rss, pss)
}

/// PSS in KiB per process kind (the app, WebKit's web and network processes), as
/// (anonymous, file-backed, shared memory), summed.
fn pss_by_kind(root: i32, pids: &[i32]) -> std::collections::BTreeMap<String, [u64; 3]> {
    let mut kinds = std::collections::BTreeMap::new();
    for pid in pids {
        let name = if *pid == root {
            "app process".to_owned()
        } else {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_owned()
        };
        let sums: &mut [u64; 3] = kinds.entry(name).or_insert([0; 3]);
        let own = rollup_kib(&[*pid], ["Pss_Anon:", "Pss_File:", "Pss_Shmem:"]);
        for (sum, kib) in sums.iter_mut().zip(own) {
            *sum += kib;
        }
    }
    kinds
}

struct Figures {
    size_bytes: u64,
    launch_ms: Vec<f64>,
    rss_kib: Vec<u64>,
    pss_kib: Vec<u64>,
    /// Of the last launch.
    pss_by_kind: std::collections::BTreeMap<String, [u64; 3]>,
}

fn median<T: Copy + PartialOrd>(values: &[T]) -> T {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    sorted[sorted.len() / 2]
}

/// Launches `exe` through WebDriver `LAUNCHES` times; each launch is timed until `ready` holds,
/// then the app idles and its memory is read.
async fn measure(exe: &Path, home: &Home, ready: Option<&str>, env: &[(&str, &str)]) -> Figures {
    // SAFETY: single-threaded at this point of the benchmark; the harness reads it at launch.
    unsafe { std::env::set_var("EDGECOST_APP", exe) };
    let driver = Driver::start_with_env(home, env);
    let mut figures = Figures {
        size_bytes: std::fs::metadata(exe).unwrap().len(),
        launch_ms: vec![],
        rss_kib: vec![],
        pss_kib: vec![],
        pss_by_kind: Default::default(),
    };
    for _ in 0..LAUNCHES {
        let started = Instant::now();
        let app = driver.launch().await;
        if let Some(css) = ready {
            text_of(&app, css).await;
        }
        figures.launch_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(IDLE).await;
        let roots = processes_of(exe);
        assert_eq!(roots.len(), 1, "one running {} expected, found {roots:?}", exe.display());
        let tree = with_descendants(roots[0]);
        let (rss, pss) = memory_kib(&tree);
        figures.pss_by_kind = pss_by_kind(roots[0], &tree);
        figures.rss_kib.push(rss);
        figures.pss_kib.push(pss);
        app.close().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !processes_of(exe).is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    figures
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[tokio::main]
async fn main() {
    require_session();
    keyring();
    let app_exe = binary(release_dir().join("edgecost-app"));
    let minimal_exe = binary(release_dir().join("examples").join("minimal_window"));

    // The app opens on a signed-in account's dashboard, as it does for a returning person.
    let server = serve_demo_account().await;
    let home = Home::new();
    {
        unsafe { std::env::set_var("EDGECOST_APP", &app_exe) };
        let driver = Driver::start(&home);
        let app = driver.launch().await;
        app.wait().at_most(WAIT).for_element(Locator::Css("#server-url")).await.unwrap().send_keys(&server.running.url()).await.unwrap();
        app.find(Locator::Css("#token")).await.unwrap().send_keys(&server.token).await.unwrap();
        app.find(Locator::Css("#connect")).await.unwrap().click().await.unwrap();
        text_of(&app, "#bill-to-date [data-testid=total]").await;
        app.close().await.unwrap();
        home.wait_for_app_exit().await;
    }

    let minimal_home = Home::new();
    let minimal = measure(&minimal_exe, &minimal_home, None, &[]).await;
    // The app draws without GPU compositing (see src-tauri/src/main.rs); the minimal window
    // is also measured drawing that way, so the figure of the app's own pages shows too.
    let flat = measure(&minimal_exe, &minimal_home, None, &[("WEBKIT_DISABLE_COMPOSITING_MODE", "1")]).await;
    let app = measure(&app_exe, &home, Some("#bill-to-date [data-testid=total]"), &[]).await;

    let (app_rss, app_pss) = (median(&app.rss_kib), median(&app.pss_kib));
    let (min_rss, min_pss) = (median(&minimal.rss_kib), median(&minimal.pss_kib));
    let (app_ms, min_ms) = (median(&app.launch_ms), median(&minimal.launch_ms));
    println!("edgecost desktop benchmark ({LAUNCHES} launches each, medians; idle = {IDLE:?} after ready)");
    println!("{:<34} {:>14} {:>16} {:>8}  goal", "", "edgecost-app", "minimal window", "ratio");
    println!(
        "{:<34} {:>11.1} MB {:>13.1} MB {:>7.2}x",
        "release binary size",
        app.size_bytes as f64 / 1e6,
        minimal.size_bytes as f64 / 1e6,
        app.size_bytes as f64 / minimal.size_bytes as f64
    );
    println!(
        "{:<34} {:>10.0} MiB {:>12.0} MiB {:>7.2}x  <= 1.25x",
        "idle memory, RSS (all processes)",
        mib(app_rss),
        mib(min_rss),
        app_rss as f64 / min_rss as f64
    );
    println!(
        "{:<34} {:>10.0} MiB {:>12.0} MiB {:>7.2}x  <= 1.25x",
        "idle memory, PSS (all processes)",
        mib(app_pss),
        mib(min_pss),
        app_pss as f64 / min_pss as f64
    );
    println!("{:<34} {:>11.0} ms {:>13.0} ms {:>7.2}x  app <= 1000 ms", "launch to dashboard (WebDriver)", app_ms, min_ms, app_ms / min_ms);
    println!("(launch times include starting the WebDriver session; the minimal window's is to a blank page)");
    let (flat_rss, flat_pss) = (median(&flat.rss_kib), median(&flat.pss_kib));
    println!("minimal window drawn without GPU compositing, like the app:");
    println!(
        "{:<34} {:>10.0} MiB {:>12.0} MiB {:>7.2}x",
        "  idle memory, RSS",
        mib(app_rss),
        mib(flat_rss),
        app_rss as f64 / flat_rss as f64
    );
    println!(
        "{:<34} {:>10.0} MiB {:>12.0} MiB {:>7.2}x",
        "  idle memory, PSS",
        mib(app_pss),
        mib(flat_pss),
        app_pss as f64 / flat_pss as f64
    );
    println!("PSS by process, last launch (anonymous + file-backed + shared memory): app, minimal, minimal drawn like the app");
    let kinds: std::collections::BTreeSet<&String> = app.pss_by_kind.keys().chain(minimal.pss_by_kind.keys()).collect();
    for kind in kinds {
        let of = |f: &Figures| {
            let [anon, file, shmem] = f.pss_by_kind.get(kind).copied().unwrap_or([0; 3]);
            format!("{:>6.1} + {:>5.1} + {:>5.1} MiB", mib(anon), mib(file), mib(shmem))
        };
        println!("  {:<18} {:>28} {:>28} {:>28}", kind, of(&app), of(&minimal), of(&flat));
    }
    server.running.shutdown().await.unwrap();
}
