//! Shared helpers for the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

pub mod plugin;
pub mod sim;
pub mod terraform;
