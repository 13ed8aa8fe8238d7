//! terrane: a declarative infrastructure reconciler. This crate is the engine (config, graph,
//! plan, apply, drift, serve); `main.rs` is a thin CLI over it.

pub mod addr;
pub mod builtin;
pub mod cli;
pub mod config;
pub mod diag;
pub mod drift;
pub mod engine;
pub mod graph;
pub mod plan;
pub mod providers;
pub mod serve;
pub mod source;
