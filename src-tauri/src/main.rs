//! Starts the Gatehouse panel.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    gatehouse_app::run()
}
