//! The UI's TypeScript types and command wrappers come from the Rust types and the IPC tables
//! (`edgecost_desktop::ipc`); these fail when the committed files in `ui/src/bindings/desktop/`,
//! `ui/src/bindings/account/` or `ui/src/lib/commands.generated.ts` are stale, or when the tables
//! differ from the shell's commands. `make codegen` (`EDGECOST_CODEGEN=1`) rewrites the files.

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

/// Generates the bindings into a scratch folder and compares them with `ui/src/bindings/<folder>`.
fn check_bindings<E: std::fmt::Debug>(folder: &str, expected: &[&str], write: impl Fn(&Path) -> Result<(), E>) {
    let committed_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings").join(folder);
    let fresh_dir = tempfile::tempdir().unwrap();
    write(fresh_dir.path()).unwrap();
    let fresh = read_dir(fresh_dir.path());
    for name in expected {
        assert!(fresh.contains_key(*name), "{name} not generated: {:?}", fresh.keys());
    }
    if std::env::var_os("EDGECOST_CODEGEN").is_some() {
        let _ = std::fs::remove_dir_all(&committed_dir);
        std::fs::create_dir_all(&committed_dir).unwrap();
        for (name, text) in &fresh {
            std::fs::write(committed_dir.join(name), text).unwrap();
        }
    }
    let committed = read_dir(&committed_dir);
    assert!(committed == fresh, "ui/src/bindings/{folder} is stale; run `make codegen` and commit");
}

#[test]
fn committed_typescript_bindings_match_the_rust_types() {
    check_bindings("desktop", &["DashboardView.ts"], edgecost_desktop::bindings::write_typescript);
}

#[test]
fn committed_account_bindings_match_the_rust_types() {
    check_bindings("account", &["NoticeBanner.ts", "ActionFailure.ts"], edgecost_desktop::write_account_typescript);
}

/// The bindings folder a type is imported from: the desktop's, the account actions', or the API's.
fn locate(name: &str) -> String {
    let bindings = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings");
    ["desktop/", "account/", ""]
        .iter()
        .find(|folder| bindings.join(format!("{folder}{name}.ts")).is_file())
        .map(|folder| format!("../bindings/{folder}{name}"))
        .unwrap_or_else(|| panic!("{name} is not in ui/src/bindings"))
}

#[test]
fn committed_command_wrappers_match_the_ipc_tables() {
    let committed_file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/commands.generated.ts");
    let fresh = edgecost_desktop::ipc::typescript(locate);
    if std::env::var_os("EDGECOST_CODEGEN").is_some() {
        std::fs::write(&committed_file, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&committed_file).unwrap_or_default();
    assert!(committed == fresh, "ui/src/lib/commands.generated.ts is stale; run `make codegen` and commit");
}

/// A `#[tauri::command]` function of the shell: its name, its arguments the UI passes (the
/// app handle, state and window are Tauri's), and its answer, as written.
#[derive(Debug, PartialEq)]
struct ShellCommand {
    name: String,
    args: Vec<(String, String)>,
    answer: String,
}

/// `edgecost_api::Granularity` → `Granularity`, without spaces.
fn normalize(ty: &str) -> String {
    let mut ty: String = ty.chars().filter(|c| !c.is_whitespace()).collect();
    while let Some(i) = ty.find("::") {
        let start = ty[..i].rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |j| j + 1);
        ty.replace_range(start..i + 2, "");
    }
    ty
}

/// Splits at the commas outside brackets.
fn split_top(text: &str) -> Vec<String> {
    let (mut parts, mut depth, mut part) = (Vec::new(), 0i32, String::new());
    for c in text.chars() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut part));
                continue;
            }
            _ => {}
        }
        part.push(c);
    }
    parts.push(part);
    parts.into_iter().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect()
}

fn shell_commands(source: &str) -> Vec<ShellCommand> {
    // `type Answer<T> = Result<T, E>;` names the error of the file's commands.
    let error = source.split("type Answer<T> = Result<T, ").nth(1).and_then(|s| s.split(">;").next()).map(str::trim);
    let mut commands = Vec::new();
    for block in source.split("#[tauri::command]").skip(1) {
        let signature = block.split_once(" fn ").expect("a command function").1;
        let (name, rest) = signature.split_once('(').unwrap();
        let mut depth = 1;
        let close = rest
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .unwrap()
            .0;
        let args = split_top(&rest[..close])
            .into_iter()
            .map(|arg| {
                let (name, ty) = arg.split_once(':').unwrap();
                (name.trim().to_owned(), normalize(ty))
            })
            .filter(|(_, ty)| !(ty.starts_with("State<") || ty == "AppHandle" || ty == "WebviewWindow"))
            .collect();
        let after = rest[close + 1..].split('{').next().unwrap().trim();
        let answer = after.strip_prefix("->").map_or("()", str::trim);
        let answer = match (answer.strip_prefix("Answer<").and_then(|a| a.strip_suffix('>')), error) {
            (Some(ok), Some(error)) => format!("Result<{ok},{error}>"),
            _ => answer.to_owned(),
        };
        commands.push(ShellCommand { name: name.trim().to_owned(), args, answer: normalize(&answer) });
    }
    commands
}

/// The tables in `ipc.rs` are the shell's commands: the same names in the `generate_handler!`
/// list, the same arguments and answers in the functions.
#[test]
fn the_ipc_tables_are_the_shells_commands() {
    let shell = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../src-tauri/src");
    let read = |file: &str| std::fs::read_to_string(shell.join(file)).unwrap();
    let main = read("main.rs");
    let handlers = main.split("generate_handler![").nth(1).unwrap().split(']').next().unwrap();
    let registered: Vec<String> = split_top(handlers).iter().map(|h| h.rsplit("::").next().unwrap().to_owned()).collect();

    let mut functions = BTreeMap::new();
    for file in std::fs::read_dir(&shell).unwrap() {
        let source = std::fs::read_to_string(file.unwrap().path()).unwrap();
        for command in shell_commands(&source) {
            functions.insert(command.name.clone(), command);
        }
    }

    let cfg = ts_rs::Config::new().with_large_int("number");
    let tables = edgecost_desktop::ipc::commands(&cfg);
    let names: Vec<String> = tables.iter().map(|c| c.name.to_owned()).collect();
    assert_eq!(names, registered, "ipc.rs lists other commands than generate_handler!");
    assert_eq!(functions.keys().collect::<std::collections::BTreeSet<_>>(), names.iter().collect(), "#[tauri::command] functions");
    for table in &tables {
        let function = &functions[table.name];
        let args: Vec<(String, String)> = table.args.iter().map(|a| (a.name.to_owned(), normalize(a.ty.rust))).collect();
        assert_eq!(function.args, args, "the arguments of {}", table.name);
        let answer = match &table.error {
            Some(error) => format!("Result<{},{}>", normalize(table.answer.rust), normalize(error.rust)),
            None => normalize(table.answer.rust),
        };
        assert_eq!(function.answer, answer, "the answer of {}", table.name);
    }
}
