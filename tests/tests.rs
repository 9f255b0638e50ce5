//! Integration tests of the workspace, in one binary of modules: the architecture's invariants,
//! the generated IPC bindings, and the `gatehouse` command against real workspaces.

mod architecture;
mod bindings;
mod cli;
