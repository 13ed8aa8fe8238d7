//! terrane's provider SDK: the `Value` every layer exchanges, resource `Schema`s, and the
//! `Provider`/`Client` traits a cloud implements. Kept in its own small crate so the engine,
//! the store and the providers depend on the contract and not on each other.

pub mod map;
pub mod provider;
pub mod schema;
pub mod value;

pub use map::Map;
pub use provider::*;
pub use schema::*;
pub use value::{format_number, Value};
