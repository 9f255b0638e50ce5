//! Declares every app command so that each is denied until a capability grants it.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&["loop_view", "watch_loop"]);
    let attributes = tauri_build::Attributes::new().app_manifest(manifest);
    if let Err(e) = tauri_build::try_build(attributes) {
        println!("cargo::error=tauri build step failed: {e:#}");
    }
}
