//! Configuration: the HCL and YAML front ends, evaluation and the function library, all pure
//! (no I/O besides reading the files they are given), producing one `Config` model.

pub mod model;
pub mod yaml;

pub use model::*;
