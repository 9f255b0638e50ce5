//! Shared helpers of the test package live in its test targets; this library is empty.
