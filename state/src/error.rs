//! Store errors. Each message says what happened, where, and what the user can do about it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the store at {} is locked by {} (another terrane is running); wait for it to finish",
        .dir.display(),
        holder(*.pid, .since.as_deref())
    )]
    Locked {
        dir: PathBuf,
        /// The holder's pid, when its lock file could be read.
        pid: Option<u32>,
        since: Option<String>,
    },

    #[error(
        "store at {} was written by a newer terrane (format {found}, this build reads up to {supported}); upgrade terrane",
        .dir.display()
    )]
    NewerFormat {
        dir: PathBuf,
        found: u64,
        supported: u64,
    },

    #[error(
        "the store at {} is corrupt: {detail}. Nothing was changed. Restore the directory from a \
         backup, or move it aside and let terrane rebuild it from the cloud (managed resources \
         carry terrane:stack/terrane:address tags)",
        .dir.display()
    )]
    Corrupt { dir: PathBuf, detail: String },

    #[error(
        "cannot use the store at {}: {what}: {source}; check that the directory exists, is \
         writable and the disk is not full",
        .dir.display()
    )]
    Io {
        dir: PathBuf,
        what: String,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "the store at {} failed while {what}: {detail}; the last acknowledged write is kept, \
         retry the command",
        .dir.display()
    )]
    Backend {
        dir: PathBuf,
        what: String,
        detail: String,
    },

    #[error("stack {stack:?} has no resource {address}; `terrane state list` shows what it has")]
    NoSuchResource { stack: String, address: String },

    #[error("stack {stack:?} already has a resource at {address}; move or remove that one first")]
    AddressTaken { stack: String, address: String },

    #[error("stack {stack:?} has no run {id}; `terrane history` lists the runs")]
    NoSuchRun { stack: String, id: u64 },

    #[error("stack {stack:?} has no pending intent {id}")]
    NoSuchIntent { stack: String, id: u64 },

    #[error("invalid stack name {name:?}: {why}")]
    InvalidStack { name: String, why: &'static str },
}

fn holder(pid: Option<u32>, since: Option<&str>) -> String {
    match (pid, since) {
        (Some(pid), Some(since)) => format!("pid {pid} since {since}"),
        (Some(pid), None) => format!("pid {pid}"),
        _ => "another process".to_string(),
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
