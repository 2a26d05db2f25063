//! `edgecost diff` as a pull request's cost review: the Markdown comment, GitHub annotations,
//! warnings, plans read from git revisions, the example workflow and shell completions.
//!
//! Golden files live in `tests/golden/`; `EDGECOST_UPDATE_GOLDEN=1 cargo test -p edgecost`
//! rewrites them after an intended change of the output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn edgecost_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgecost")).args(args).current_dir(dir).output().expect("edgecost runs")
}

fn edgecost(args: &[&str]) -> Output {
    edgecost_in(&root(), args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// Compares `actual` with the golden file `name`, or rewrites it with `EDGECOST_UPDATE_GOLDEN=1`.
fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("EDGECOST_UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}; run with EDGECOST_UPDATE_GOLDEN=1 to write it", path.display()));
    assert!(
        expected == actual,
        "{} is stale; review the output below and run with EDGECOST_UPDATE_GOLDEN=1 to rewrite it\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

#[test]
fn markdown_comment_of_a_growing_plan_is_golden() {
    let out = edgecost(&["diff", "examples/small-api.yaml", "examples/busy-multi-region.yaml", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let md = text(&out.stdout);
    // What a reviewer relies on, independent of the golden file: $22.04 -> $84.54 is
    // +$62.50, 62.50 / 22.04 = 283.575...% shown as +283.6%; the biggest change leads.
    assert!(md.contains("**Monthly bill:** $22.04 → $84.54 (+$62.50, +283.6%)"), "{md}");
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| `")).collect();
    assert_eq!(rows.len(), 6, "{md}");
    assert!(rows[0].starts_with("| `/v1/search` | added |") && rows[0].ends_with("| +$46.65 |"), "{md}");
    assert!(rows[5].starts_with("| `/healthz` | removed |"), "{md}");
    assert!(md.contains("**Recommended tier:** production → scale. Move to Scale: $79.00 this month"), "{md}");
    assert!(md.contains("**Verdict:** this change costs $62.50 more a month."), "{md}");
    golden("small-to-busy.md", &md);
}

#[test]
fn markdown_comment_of_a_shrinking_plan_is_golden() {
    let out = edgecost(&["diff", "examples/busy-multi-region.yaml", "examples/small-api.yaml", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let md = text(&out.stdout);
    // -62.50 / 84.54 = -73.929...% -> -73.9%.
    assert!(md.contains("(-$62.50, -73.9%)"), "{md}");
    assert!(md.contains("**Recommended tier:** scale → production. Stay on Production"), "{md}");
    assert!(md.contains("**Verdict:** this change saves $62.50 a month."), "{md}");
    golden("busy-to-small.md", &md);
}

#[test]
fn github_format_annotates_warnings_and_failures_and_is_golden() {
    let out = edgecost(&[
        "diff",
        "examples/small-api.yaml",
        "examples/busy-multi-region.yaml",
        "--format",
        "github",
        "--warn-increase",
        "10",
        "--fail-above",
        "80",
    ]);
    // A failed limit still exits 1; the warning alone would not.
    assert_eq!(out.status.code(), Some(1));
    let log = text(&out.stdout);
    let lines: Vec<&str> = log.lines().collect();
    // The runner reads `%` as an escape, so the percent is written %25.
    assert_eq!(
        lines[0],
        "::notice file=examples/busy-multi-region.yaml,title=edgecost cost diff::examples/busy-multi-region.yaml: monthly bill $22.04 -> $84.54 (+$62.50, +283.6%25) on production"
    );
    assert_eq!(
        lines[1],
        "::warning file=examples/busy-multi-region.yaml,title=edgecost cost warning::the monthly bill grows by $62.50, more than $10.00"
    );
    assert_eq!(
        lines[2],
        "::error file=examples/busy-multi-region.yaml,title=edgecost cost check failed::the new monthly bill $84.54 is above $80.00"
    );
    assert!(log.contains("Monthly bill: $22.04 -> $84.54 (+$62.50) on production"), "{log}");
    assert!(log.ends_with("Verdict: fails the cost check: the new monthly bill $84.54 is above $80.00.\n"), "{log}");
    golden("small-to-busy-github.txt", &log);
}

#[test]
fn warnings_exit_0_and_failures_exit_1() {
    let args = ["diff", "examples/small-api.yaml", "examples/busy-multi-region.yaml"];
    let warned = edgecost(&[&args[..], &["--warn-above", "50", "--warn-increase", "60"]].concat());
    assert_eq!(warned.status.code(), Some(0));
    let err = text(&warned.stderr);
    assert!(err.contains("cost warning: the new monthly bill $84.54 is above $50.00"), "{err}");
    assert!(err.contains("cost warning: the monthly bill grows by $62.50, more than $60.00"), "{err}");
    let md = text(&edgecost(&[&args[..], &["--warn-above", "50", "--format", "markdown"]].concat()).stdout);
    assert!(md.contains("**Verdict:** passes with a warning: the new monthly bill $84.54 is above $50.00."), "{md}");
    // Under the limits nothing is said.
    let quiet = edgecost(&[&args[..], &["--warn-above", "100", "--warn-increase", "62.50"]].concat());
    assert_eq!(quiet.status.code(), Some(0));
    assert!(!text(&quiet.stderr).contains("warning"));
    // JSON carries the warnings beside the failed checks.
    let j: serde_json::Value = serde_json::from_slice(&edgecost(&[&args[..], &["--warn-above", "50", "--json"]].concat()).stdout).unwrap();
    assert_eq!(j["warnings"][0], "the new monthly bill $84.54 is above $50.00");
    assert_eq!(j["failed_checks"].as_array().unwrap().len(), 0);
    let failed = edgecost(&[&args[..], &["--warn-above", "50", "--fail-increase", "62.49"]].concat());
    assert_eq!(failed.status.code(), Some(1));
}

#[test]
fn only_if_changed_is_silent_when_the_bill_does_not_move() {
    let same = edgecost(&[
        "diff",
        "examples/small-api.yaml",
        "examples/small-api.yaml",
        "--only-if-changed",
        "--format",
        "markdown",
        "--fail-above",
        "1",
    ]);
    assert_eq!(same.status.code(), Some(0));
    assert!(same.stdout.is_empty() && same.stderr.is_empty(), "{}", text(&same.stdout));
    let changed =
        edgecost(&["diff", "examples/small-api.yaml", "examples/busy-multi-region.yaml", "--only-if-changed", "--format", "markdown"]);
    assert!(text(&changed.stdout).starts_with("### Cost review"));
}

#[test]
fn markdown_summarises_unchanged_routes_in_one_line() {
    // Only /healthz changes: twice the compute, still inside the included compute, so no
    // route's share of the bill moves.
    let plan = std::fs::read_to_string(root().join("examples/small-api.yaml")).unwrap();
    let edited = plan.replace("compute_ms: 0.1\n", "compute_ms: 0.2\n");
    assert_ne!(plan, edited);
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("review-one-route.yaml");
    std::fs::write(&path, edited).unwrap();
    let md = text(&edgecost(&["diff", "examples/small-api.yaml", path.to_str().unwrap(), "--format", "markdown"]).stdout);
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| `")).collect();
    assert_eq!(rows.len(), 1, "{md}");
    assert_eq!(rows[0], "| `/healthz` | edited (compute_ms) | 25,920 | $0.29 | $0.29 | $0.00 |", "{md}");
    // $1.65 + $1.10 for /api/orders and /api/products.
    assert!(md.contains("2 unchanged routes ($2.75 a month) not shown."), "{md}");
    assert!(md.contains("**Verdict:** no change to the monthly bill."), "{md}");
    assert!(md.contains("**Tier:** production (unchanged)"), "{md}");
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=edgecost test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
}

#[test]
fn diff_reads_plans_at_git_revisions() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    git(dir, &["init", "-q"]);
    std::fs::create_dir(dir.join("plans")).unwrap();
    let plan = std::fs::read_to_string(root().join("examples/small-api.yaml")).unwrap();
    std::fs::write(dir.join("plans/api.yaml"), &plan).unwrap();
    git(dir, &["add", "plans/api.yaml"]);
    git(dir, &["commit", "-q", "-m", "first plan"]);
    // Second commit: /api/orders doubles, as in the CLI's diff test: $22.04 -> $28.04.
    let grown = plan.replace("requests_per_month: 150000", "requests_per_month: 300000");
    std::fs::write(dir.join("plans/api.yaml"), &grown).unwrap();
    git(dir, &["commit", "-q", "-am", "more orders"]);
    // A third version, only in the working tree, breaks a rule on line 9.
    std::fs::write(dir.join("plans/api.yaml"), grown.replace("[auth, compress]", "[auth, gzip]")).unwrap();

    let json = |args: &[&str]| -> serde_json::Value {
        let out = edgecost_in(dir, args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let both_from_git = json(&["diff", "HEAD~1:plans/api.yaml", "HEAD:plans/api.yaml", "--json"]);
    assert_eq!(both_from_git["old_total"], "22.04");
    assert_eq!(both_from_git["total_change"], "6.00");

    // The revision names the plan in the comment's title.
    let md = text(&edgecost_in(dir, &["diff", "HEAD~1:plans/api.yaml", "HEAD:plans/api.yaml", "--format", "markdown"]).stdout);
    assert!(md.starts_with("### Cost review: `HEAD~1:plans/api.yaml` → `HEAD:plans/api.yaml`"), "{md}");

    // The working tree's broken plan against the last commit: located by path, line, column.
    let broken = edgecost_in(dir, &["diff", "HEAD:plans/api.yaml", "plans/api.yaml"]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(text(&broken.stderr).contains("plans/api.yaml:9:"), "{}", text(&broken.stderr));
    // A broken plan in a revision is located as REV:PATH.
    git(dir, &["commit", "-q", "-am", "gzip"]);
    let broken = edgecost_in(dir, &["diff", "HEAD~1:plans/api.yaml", "HEAD:plans/api.yaml"]);
    assert_eq!(broken.status.code(), Some(2));
    let err = text(&broken.stderr);
    assert!(err.contains("HEAD:plans/api.yaml:9:") && err.contains("'gzip'"), "{err}");

    // A path or revision git does not have is bad input, with git's reason.
    for spec in ["HEAD:plans/missing.yaml", "no-such-branch:plans/api.yaml"] {
        let out = edgecost_in(dir, &["diff", spec, "HEAD:plans/api.yaml"]);
        assert_eq!(out.status.code(), Some(2), "{spec}");
        let err = text(&out.stderr);
        assert!(err.contains(&format!("cannot read {spec} from git:")), "{err}");
    }
    // Outside a repository git fails too, and says so.
    let outside = tempfile::tempdir().unwrap();
    let out = edgecost_in(outside.path(), &["diff", "HEAD:plans/api.yaml", "HEAD:plans/api.yaml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_example_workflow_parses_and_updates_one_marked_comment() {
    let path = root().join("examples/ci/cost-review.yml");
    let source = std::fs::read_to_string(&path).unwrap();
    let workflow: serde_yaml_ng::Value = serde_yaml_ng::from_str(&source).expect("the workflow is YAML");
    assert!(workflow["on"]["pull_request"].is_mapping() || workflow["on"]["pull_request"].is_null(), "{workflow:?}");
    let steps = workflow["jobs"]["cost-review"]["steps"].as_sequence().expect("a cost-review job with steps");
    let runs: String = steps.iter().filter_map(|s| s["run"].as_str().or(s["with"]["script"].as_str())).collect();
    assert!(runs.contains("edgecost diff") && runs.contains("--format markdown"), "{runs}");
    // The base branch's version is read straight from git: `origin/BASE:PLAN` against the checkout.
    assert!(runs.contains("base=\"origin/$BASE_REF\"") && runs.contains("edgecost diff \"$base:$plan\" \"$plan\""), "{runs}");
    // The marker that finds the comment to update, instead of adding one per push.
    assert!(source.matches("<!-- edgecost-cost-review -->").count() >= 1, "{source}");
    assert!(workflow["permissions"]["pull-requests"] == "write", "{workflow:?}");
}

#[test]
fn completions_cover_every_command() {
    let out = edgecost(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    let script = text(&out.stdout);
    assert!(script.contains("diff") && script.contains("completions") && script.contains("--only-if-changed"), "{script}");
    assert!(script.contains("complete -F"), "{script}");
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = edgecost(&["completions", shell]);
        assert!(out.status.success() && text(&out.stdout).contains("estimate"), "{shell}");
    }
    assert_eq!(edgecost(&["completions", "tcsh"]).status.code(), Some(2));
}
