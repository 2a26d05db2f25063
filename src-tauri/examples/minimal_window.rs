//! The baseline of the app's benchmark: a Tauri window with a blank page, no plugins and no
//! state, built with the same Tauri, profile and features as the app, so the benchmark shows
//! what the app adds to the floor every WebKitGTK app starts from.

fn main() {
    let mut context = tauri::generate_context!("../tauri.conf.json");
    // Drop the app's own window (and its UI) from the configuration; open a blank one.
    context.config_mut().app.windows.clear();
    tauri::Builder::default()
        .setup(|app| {
            let blank = "about:blank".parse().expect("a valid URL");
            tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::External(blank))
                .title("minimal")
                .inner_size(1200.0, 800.0)
                .build()?;
            Ok(())
        })
        .run(context)
        .expect("the minimal window failed to start");
}
