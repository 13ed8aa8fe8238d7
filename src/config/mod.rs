//! Configuration: the HCL and YAML front ends, evaluation and the function library, all pure
//! (files are read through a `SourceTree`), producing one `Config` model.

pub mod eval;
pub mod functions;
pub mod load;
pub mod model;
pub mod program;
pub mod refs;
pub mod types;
pub mod yaml;

#[cfg(test)]
mod tests;

pub use eval::{NoValues, ResourceValues};
pub use load::{load, EvaluatedBody, LoadError, LoadOptions, Schemas, Session};
pub use model::*;

/// The closest candidate to a misspelt name, for "did you mean" help.
pub fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}
