//! The single-writer lock: an OS file lock on `DIR/lock`, taken before sled is opened so a second
//! terrane gets our message rather than sled's. The file's content (pid, start time) is only for
//! that message; a stale file left by a dead process does not block, because the OS lock died
//! with it.

use crate::error::{Result, StoreError};
use crate::time::now_rfc3339;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

#[derive(Serialize, Deserialize)]
struct Holder {
    pid: u32,
    since: String,
}

/// Held for the life of a `SledStore`; the OS releases it when the file is closed.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock> {
        let path = dir.join("lock");
        let io = |what: &str, source| StoreError::Io {
            dir: dir.to_path_buf(),
            what: format!("{what} {}", path.display()),
            source,
        };
        // Never truncate before holding the lock: the content belongs to the holder.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io("opening lock file", e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = read_holder(&mut file);
                return Err(StoreError::Locked {
                    dir: dir.to_path_buf(),
                    pid: holder.as_ref().map(|h| h.pid),
                    since: holder.map(|h| h.since),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io("locking", e)),
        }
        let me = Holder {
            pid: std::process::id(),
            since: now_rfc3339(),
        };
        let text = serde_json::to_string(&me).unwrap_or_default();
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(text.as_bytes()))
            .and_then(|()| file.sync_data())
            .map_err(|e| io("writing lock file", e))?;
        Ok(DirLock { _file: file })
    }
}

/// The holder may have just taken the lock and not written its pid yet: give it a moment.
fn read_holder(file: &mut File) -> Option<Holder> {
    for _ in 0..20 {
        let mut text = String::new();
        let read = file
            .seek(SeekFrom::Start(0))
            .and_then(|_| file.read_to_string(&mut text));
        if read.is_ok() {
            if let Ok(h) = serde_json::from_str::<Holder>(&text) {
                return Some(h);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}
