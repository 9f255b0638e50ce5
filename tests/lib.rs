//! Helpers the test targets share: real back-end servers started on loopback (`postgres` for the
//! team store).

// Test helpers fail loudly on purpose: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod postgres;
