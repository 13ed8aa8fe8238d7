//! The on-disk [`Store`]: sled, with one tree per stack and record kind so a per-resource write
//! touches one key, and a flush after every mutating call because sled otherwise keeps writes in
//! memory for ~500 ms and a `kill -9` loses them.
//!
//! Directory layout: `DIR/lock` (see `lock.rs`) and `DIR/db/` (sled's files). Trees:
//! `meta` (format version, store id, per-stack counters), `stacks` (names), `outputs` (one JSON
//! map per stack), and per stack `res/<stack>`, `runs/<stack>`, `intents/<stack>`.
//!
//! sled has no read-only mode and may reorganise its files on open, and it treats a wholly
//! unreadable log as an empty database. So opening an existing store keeps a copy of its bytes
//! until every check has passed, and puts them back if the store is refused: a refused store is
//! never rewritten.

use crate::error::{Result, StoreError};
use crate::lock::DirLock;
use crate::record::*;
use crate::time::now_rfc3339;
use crate::{check_stack, rename_dependency, Store};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionError,
    TransactionalTree,
};
use sled::{Transactional, Tree};
use std::fs;
use std::path::{Path, PathBuf};

/// The newest store format this build reads and writes.
pub const FORMAT_VERSION: u64 = 1;

const FORMAT_KEY: &[u8] = b"format_version";
const STORE_ID_KEY: &[u8] = b"store_id";
const SLED_DEFAULT_TREE: &[u8] = b"__sled__default";

pub struct SledStore {
    // Field order is drop order: sled must be closed before the lock is released.
    db: sled::Db,
    meta: Tree,
    stacks: Tree,
    outputs: Tree,
    dir: PathBuf,
    store_id: String,
    _lock: DirLock,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore").field("dir", &self.dir).finish()
    }
}

type TxResult<T> = ConflictableTransactionResult<T, StoreError>;

impl SledStore {
    /// Opens (creating if needed) the store in `dir`, taking its lock. Refuses a store written by
    /// a newer terrane or one that does not read back cleanly, leaving its files untouched.
    pub fn open(dir: &Path) -> Result<SledStore> {
        fs::create_dir_all(dir).map_err(|e| StoreError::Io {
            dir: dir.to_path_buf(),
            what: "creating the directory".into(),
            source: e,
        })?;
        let lock = DirLock::acquire(dir)?;
        let db_dir = dir.join("db");
        let existed = fs::metadata(db_dir.join("db"))
            .map(|m| m.len() > 0)
            .unwrap_or(false);
        let backup = if existed {
            Some(Backup::take(&db_dir).map_err(|e| StoreError::Io {
                dir: dir.to_path_buf(),
                what: format!("reading {}", db_dir.display()),
                source: e,
            })?)
        } else {
            None
        };
        let refuse = |err: StoreError| -> StoreError {
            match &backup {
                Some(b) => match b.restore(&db_dir) {
                    Ok(()) => err,
                    Err(e) => StoreError::Io {
                        dir: dir.to_path_buf(),
                        what: format!(
                            "putting back {} after refusing it ({err}); restore it from a backup",
                            db_dir.display()
                        ),
                        source: e,
                    },
                },
                None => err,
            }
        };
        let db = match open_sled(&db_dir) {
            Ok(db) => db,
            Err(e) => return Err(refuse(open_error(dir, e))),
        };
        match Self::check_and_init(dir, &db, existed) {
            Ok(store_id) => {
                let trees = (|| {
                    Ok::<_, sled::Error>((
                        db.open_tree("meta")?,
                        db.open_tree("stacks")?,
                        db.open_tree("outputs")?,
                    ))
                })();
                match trees {
                    Ok((meta, stacks, outputs)) => Ok(SledStore {
                        db,
                        meta,
                        stacks,
                        outputs,
                        dir: dir.to_path_buf(),
                        store_id,
                        _lock: lock,
                    }),
                    Err(e) => {
                        drop(db);
                        Err(refuse(backend(dir, "opening its tables", e)))
                    }
                }
            }
            Err(err) => {
                drop(db);
                Err(refuse(err))
            }
        }
    }

    /// The directory this store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Checks the format marker and every record; writes the marker into a new store.
    /// Returns the store id.
    fn check_and_init(dir: &Path, db: &sled::Db, existed: bool) -> Result<String> {
        let corrupt = |detail: String| StoreError::Corrupt {
            dir: dir.to_path_buf(),
            detail,
        };
        if existed && !db.was_recovered() {
            return Err(corrupt(format!(
                "sled found no readable data in {}",
                dir.join("db").join("db").display()
            )));
        }
        let names: Vec<Vec<u8>> = db
            .tree_names()
            .into_iter()
            .map(|n| n.to_vec())
            .filter(|n| n.as_slice() != SLED_DEFAULT_TREE)
            .collect();
        let default_empty = db.is_empty();
        let marker = if names.iter().any(|n| n == b"meta") {
            let meta = db
                .open_tree("meta")
                .map_err(|e| backend(dir, "reading its format", e))?;
            meta.get(FORMAT_KEY)
                .map_err(|e| backend(dir, "reading its format", e))?
        } else {
            None
        };
        let Some(marker) = marker else {
            // Nothing but (possibly) an empty meta table: a new store, or one whose creation
            // was interrupted before anything was written. Anything else is foreign or damaged.
            let only_meta = names.iter().all(|n| n == b"meta");
            let meta_empty = match db.tree_names().iter().any(|n| n.as_ref() == b"meta") {
                true => db.open_tree("meta").map(|t| t.is_empty()).unwrap_or(false),
                false => true,
            };
            if !(only_meta && meta_empty && default_empty) {
                return Err(corrupt(
                    "it holds data but no format marker (meta/format_version)".into(),
                ));
            }
            return Self::init(dir, db);
        };
        let version = std::str::from_utf8(&marker)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|v| *v > 0)
            .ok_or_else(|| {
                corrupt(format!(
                    "its format marker is not a version number: {:?}",
                    String::from_utf8_lossy(&marker)
                ))
            })?;
        if version > FORMAT_VERSION {
            return Err(StoreError::NewerFormat {
                dir: dir.to_path_buf(),
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        validate(dir, db, &names)?;
        let meta = db
            .open_tree("meta")
            .map_err(|e| backend(dir, "reading its id", e))?;
        let id = meta
            .get(STORE_ID_KEY)
            .map_err(|e| backend(dir, "reading its id", e))?
            .ok_or_else(|| corrupt("meta/store_id is missing".into()))?;
        Ok(String::from_utf8_lossy(&id).into_owned())
    }

    fn init(dir: &Path, db: &sled::Db) -> Result<String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let id = format!("{nanos:x}{:x}", std::process::id());
        let write = || -> sled::Result<()> {
            let meta = db.open_tree("meta")?;
            meta.insert(STORE_ID_KEY, id.as_bytes())?;
            meta.insert(FORMAT_KEY, FORMAT_VERSION.to_string().as_bytes())?;
            db.flush()?;
            Ok(())
        };
        write().map_err(|e| backend(dir, "creating it", e))?;
        Ok(id)
    }

    fn corrupt(&self, detail: String) -> StoreError {
        StoreError::Corrupt {
            dir: self.dir.clone(),
            detail,
        }
    }

    fn backend(&self, what: &str, e: sled::Error) -> StoreError {
        backend(&self.dir, what, e)
    }

    fn decode<T: DeserializeOwned>(&self, table: &str, key: &[u8], bytes: &[u8]) -> Result<T> {
        serde_json::from_slice(bytes).map_err(|e| {
            self.corrupt(format!(
                "record {:?} in {table} does not decode: {e}",
                String::from_utf8_lossy(key)
            ))
        })
    }

    /// A per-stack tree for reading; `None` if the stack was never written.
    fn read_tree(&self, kind: &str, stack: &str) -> Result<Option<Tree>> {
        check_stack(stack)?;
        let known = self
            .stacks
            .contains_key(stack)
            .map_err(|e| self.backend("reading the stack list", e))?;
        if !known {
            return Ok(None);
        }
        self.db
            .open_tree(format!("{kind}/{stack}"))
            .map(Some)
            .map_err(|e| self.backend("opening a table", e))
    }

    fn write_tree(&self, kind: &str, stack: &str) -> Result<Tree> {
        check_stack(stack)?;
        self.db
            .open_tree(format!("{kind}/{stack}"))
            .map_err(|e| self.backend("opening a table", e))
    }

    fn durable(&self, what: &str) -> Result<()> {
        self.db
            .flush()
            .map(|_| ())
            .map_err(|e| self.backend(&format!("flushing after {what}"), e))
    }

    fn tx_error(&self, what: &str, e: TransactionError<StoreError>) -> StoreError {
        match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => self.backend(what, e),
        }
    }

    fn list<T: DeserializeOwned>(&self, kind: &str, stack: &str) -> Result<Vec<T>> {
        let Some(tree) = self.read_tree(kind, stack)? else {
            return Ok(Vec::new());
        };
        let table = format!("{kind}/{stack}");
        tree.iter()
            .map(|kv| {
                let (k, v) = kv.map_err(|e| self.backend("reading", e))?;
                self.decode(&table, &k, &v)
            })
            .collect()
    }

    fn get<T: DeserializeOwned>(&self, kind: &str, stack: &str, key: &[u8]) -> Result<Option<T>> {
        let Some(tree) = self.read_tree(kind, stack)? else {
            return Ok(None);
        };
        match tree.get(key).map_err(|e| self.backend("reading", e))? {
            Some(v) => self.decode(&format!("{kind}/{stack}"), key, &v).map(Some),
            None => Ok(None),
        }
    }

    /// Runs `f` in a transaction over the stack's `kind` tree, `meta` and `stacks`, registering
    /// the stack, then flushes.
    fn mutate<A>(
        &self,
        what: &str,
        kind: &str,
        stack: &str,
        f: impl Fn(&TransactionalTree, &TransactionalTree) -> TxResult<A>,
    ) -> Result<A> {
        let tree = self.write_tree(kind, stack)?;
        let out = (&tree, &self.meta, &self.stacks)
            .transaction(|(t, meta, stacks)| {
                stacks.insert(stack.as_bytes(), &[][..])?;
                f(t, meta)
            })
            .map_err(|e| self.tx_error(what, e))?;
        self.durable(what)?;
        Ok(out)
    }
}

/// Opens sled. Our own lock file is already held here, so sled's file lock can only be busy
/// because a handle dropped a moment ago (in this process, or one that just exited) has not
/// released it yet: sled lets go in background threads. Wait briefly instead of failing.
fn open_sled(db_dir: &Path) -> std::result::Result<sled::Db, sled::Error> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match sled::Config::new().path(db_dir).open() {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            other => return other,
        }
    }
}

fn open_error(dir: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(source) => StoreError::Io {
            dir: dir.to_path_buf(),
            what: "opening the database".into(),
            source,
        },
        other => StoreError::Corrupt {
            dir: dir.to_path_buf(),
            detail: format!("the database cannot be opened ({other})"),
        },
    }
}

fn backend(dir: &Path, what: &str, e: sled::Error) -> StoreError {
    StoreError::Backend {
        dir: dir.to_path_buf(),
        what: what.to_string(),
        detail: e.to_string(),
    }
}

/// Decodes every record so a damaged store is refused at open, not halfway through an apply.
fn validate(dir: &Path, db: &sled::Db, names: &[Vec<u8>]) -> Result<()> {
    let corrupt = |detail: String| StoreError::Corrupt {
        dir: dir.to_path_buf(),
        detail,
    };
    for name in names {
        let name_str = std::str::from_utf8(name).map_err(|_| {
            corrupt(format!(
                "unexpected table {:?}",
                String::from_utf8_lossy(name)
            ))
        })?;
        let tree = db
            .open_tree(name)
            .map_err(|e| backend(dir, "checking it", e))?;
        let (kind, stack) = name_str.split_once('/').unwrap_or((name_str, ""));
        for kv in tree.iter() {
            let (k, v) = kv.map_err(|e| backend(dir, "checking it", e))?;
            let key = String::from_utf8_lossy(&k);
            let bad = |what: &str| corrupt(format!("record {key:?} in {name_str} {what}"));
            match (kind, stack.is_empty()) {
                ("meta", true) => {
                    let counter = ["gen/", "run_seq/", "intent_seq/"]
                        .iter()
                        .any(|p| k.starts_with(p.as_bytes()));
                    if counter && v.len() != 8 {
                        return Err(bad("is not an 8-byte counter"));
                    }
                    if !counter && k.as_ref() != FORMAT_KEY && k.as_ref() != STORE_ID_KEY {
                        return Err(bad("is not a known setting"));
                    }
                }
                ("stacks", true) => {
                    if std::str::from_utf8(&k).is_err() {
                        return Err(bad("is not a UTF-8 stack name"));
                    }
                }
                ("outputs", true) => check_json::<Outputs>(&v, bad)?,
                ("res", false) => {
                    let r: RecordShape = decode_json(&v, bad)?;
                    if r.address.as_bytes() != k.as_ref() {
                        return Err(bad("holds a different address"));
                    }
                }
                ("runs", false) => {
                    let r: RunRecord = decode_json(&v, bad)?;
                    if k.as_ref() != r.id.to_be_bytes() {
                        return Err(bad("holds a different run id"));
                    }
                }
                ("intents", false) => {
                    let i: Intent = decode_json(&v, bad)?;
                    if k.as_ref() != i.id.to_be_bytes() {
                        return Err(bad("holds a different intent id"));
                    }
                }
                _ => return Err(corrupt(format!("unexpected table {name_str:?}"))),
            }
        }
    }
    Ok(())
}

/// A `ResourceRecord` as checked at open: every field with its type, but the two values are
/// only checked to be JSON (any JSON is a `Value`), so opening does not build 2N value trees.
#[derive(serde::Deserialize)]
#[allow(dead_code)] // Fields exist to be checked, not read.
struct RecordShape {
    address: String,
    type_name: String,
    provider: String,
    id: String,
    cloud: serde::de::IgnoredAny,
    desired: serde::de::IgnoredAny,
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default)]
    sensitive_attrs: Vec<String>,
    #[serde(default)]
    schema_version: u32,
    #[serde(default)]
    deletion_policy_orphan: bool,
    updated_at: String,
}

fn decode_json<T: DeserializeOwned>(v: &[u8], bad: impl Fn(&str) -> StoreError) -> Result<T> {
    serde_json::from_slice(v).map_err(|e| bad(&format!("does not decode: {e}")))
}

fn check_json<T: DeserializeOwned>(v: &[u8], bad: impl Fn(&str) -> StoreError) -> Result<()> {
    decode_json::<T>(v, bad).map(|_| ())
}

fn encode<T: Serialize>(dir: &Path, v: &T) -> TxResult<Vec<u8>> {
    // Our record types always serialise; a failure would be a bug, reported rather than hidden.
    serde_json::to_vec(v).map_err(|e| {
        ConflictableTransactionError::Abort(StoreError::Backend {
            dir: dir.to_path_buf(),
            what: "encoding a record".into(),
            detail: e.to_string(),
        })
    })
}

fn tx_decode<T: DeserializeOwned>(dir: &Path, table: &str, key: &[u8], v: &[u8]) -> TxResult<T> {
    serde_json::from_slice(v).map_err(|e| {
        ConflictableTransactionError::Abort(StoreError::Corrupt {
            dir: dir.to_path_buf(),
            detail: format!(
                "record {:?} in {table} does not decode: {e}",
                String::from_utf8_lossy(key)
            ),
        })
    })
}

fn read_counter(meta: &TransactionalTree, key: &str) -> TxResult<u64> {
    Ok(meta
        .get(key.as_bytes())?
        .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0))
}

fn set_counter(meta: &TransactionalTree, key: &str, value: u64) -> TxResult<()> {
    meta.insert(key.as_bytes(), &value.to_be_bytes()[..])?;
    Ok(())
}

fn bump(meta: &TransactionalTree, key: &str) -> TxResult<u64> {
    let next = read_counter(meta, key)? + 1;
    set_counter(meta, key, next)?;
    Ok(next)
}

impl Store for SledStore {
    fn list_stacks(&self) -> Result<Vec<String>> {
        self.stacks
            .iter()
            .keys()
            .map(|k| {
                let k = k.map_err(|e| self.backend("reading the stack list", e))?;
                String::from_utf8(k.to_vec())
                    .map_err(|_| self.corrupt("a stack name is not UTF-8".into()))
            })
            .collect()
    }

    fn fingerprint(&self, stack: &str) -> Result<String> {
        check_stack(stack)?;
        let generation = self
            .meta
            .get(format!("gen/{stack}"))
            .map_err(|e| self.backend("reading the fingerprint", e))?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0);
        Ok(format!("{}:{generation}", self.store_id))
    }

    fn flush(&self) -> Result<()> {
        self.durable("an explicit flush")
    }

    fn get_resource(&self, stack: &str, address: &str) -> Result<Option<ResourceRecord>> {
        self.get("res", stack, address.as_bytes())
    }

    fn put_resource(&self, stack: &str, record: &ResourceRecord) -> Result<()> {
        let bytes = encode(&self.dir, record).map_err(unabort)?;
        let gen = format!("gen/{stack}");
        self.mutate("writing a resource", "res", stack, |t, meta| {
            t.insert(record.address.as_bytes(), bytes.as_slice())?;
            bump(meta, &gen)?;
            Ok(())
        })
    }

    fn delete_resource(&self, stack: &str, address: &str) -> Result<bool> {
        if self.read_tree("res", stack)?.is_none() {
            return Ok(false);
        }
        let gen = format!("gen/{stack}");
        self.mutate("deleting a resource", "res", stack, |t, meta| {
            let had = t.remove(address.as_bytes())?.is_some();
            if had {
                bump(meta, &gen)?;
            }
            Ok(had)
        })
    }

    fn list_resources(&self, stack: &str) -> Result<Vec<ResourceRecord>> {
        self.list("res", stack)
    }

    fn rename_resource(&self, stack: &str, from: &str, to: &str) -> Result<()> {
        // Which records depend on `from`; re-read inside the transaction.
        let dependents: Vec<String> = self
            .list_resources(stack)?
            .into_iter()
            .filter(|r| r.dependencies.iter().any(|d| d == from))
            .map(|r| r.address)
            .collect();
        let gen = format!("gen/{stack}");
        let table = format!("res/{stack}");
        self.mutate("moving a resource", "res", stack, |t, meta| {
            if t.get(to.as_bytes())?.is_some() {
                return Err(ConflictableTransactionError::Abort(
                    StoreError::AddressTaken {
                        stack: stack.to_string(),
                        address: to.to_string(),
                    },
                ));
            }
            let Some(old) = t.remove(from.as_bytes())? else {
                return Err(ConflictableTransactionError::Abort(
                    StoreError::NoSuchResource {
                        stack: stack.to_string(),
                        address: from.to_string(),
                    },
                ));
            };
            let mut rec: ResourceRecord = tx_decode(&self.dir, &table, from.as_bytes(), &old)?;
            rec.address = to.to_string();
            rename_dependency(&mut rec.dependencies, from, to);
            t.insert(to.as_bytes(), encode(&self.dir, &rec)?)?;
            for addr in dependents.iter().filter(|a| a.as_str() != from) {
                if let Some(v) = t.get(addr.as_bytes())? {
                    let mut dep: ResourceRecord =
                        tx_decode(&self.dir, &table, addr.as_bytes(), &v)?;
                    if rename_dependency(&mut dep.dependencies, from, to) {
                        t.insert(addr.as_bytes(), encode(&self.dir, &dep)?)?;
                    }
                }
            }
            bump(meta, &gen)?;
            Ok(())
        })
    }

    fn get_outputs(&self, stack: &str) -> Result<Outputs> {
        check_stack(stack)?;
        match self
            .outputs
            .get(stack.as_bytes())
            .map_err(|e| self.backend("reading outputs", e))?
        {
            Some(v) => self.decode("outputs", stack.as_bytes(), &v),
            None => Ok(Outputs::new()),
        }
    }

    fn put_outputs(&self, stack: &str, outputs: &Outputs) -> Result<()> {
        check_stack(stack)?;
        let bytes = encode(&self.dir, outputs).map_err(unabort)?;
        let gen = format!("gen/{stack}");
        (&self.outputs, &self.meta, &self.stacks)
            .transaction(|(o, meta, stacks)| {
                stacks.insert(stack.as_bytes(), &[][..])?;
                o.insert(stack.as_bytes(), bytes.as_slice())?;
                bump(meta, &gen)?;
                Ok(())
            })
            .map_err(|e| self.tx_error("writing outputs", e))?;
        self.durable("writing outputs")
    }

    fn begin_run(
        &self,
        stack: &str,
        command: &str,
        commit: Option<CommitInfo>,
    ) -> Result<RunRecord> {
        let seq = format!("run_seq/{stack}");
        let started_at = now_rfc3339();
        self.mutate("recording a run", "runs", stack, |t, meta| {
            let run = RunRecord {
                id: bump(meta, &seq)?,
                started_at: started_at.clone(),
                finished_at: None,
                command: command.to_string(),
                commit: commit.clone(),
                summary: String::new(),
                outcome: Outcome::Running,
                details: serde_json::Value::Null,
            };
            t.insert(&run.id.to_be_bytes()[..], encode(&self.dir, &run)?)?;
            Ok(run)
        })
    }

    fn finish_run(
        &self,
        stack: &str,
        id: u64,
        outcome: Outcome,
        summary: &str,
        details: serde_json::Value,
    ) -> Result<RunRecord> {
        let missing = || StoreError::NoSuchRun {
            stack: stack.to_string(),
            id,
        };
        if self.read_tree("runs", stack)?.is_none() {
            return Err(missing());
        }
        let finished_at = now_rfc3339();
        let table = format!("runs/{stack}");
        self.mutate("finishing a run", "runs", stack, |t, _| {
            let key = id.to_be_bytes();
            let Some(v) = t.get(&key[..])? else {
                return Err(ConflictableTransactionError::Abort(missing()));
            };
            let mut run: RunRecord = tx_decode(&self.dir, &table, &key, &v)?;
            run.finished_at = Some(finished_at.clone());
            run.outcome = outcome;
            run.summary = summary.to_string();
            run.details = details.clone();
            t.insert(&key[..], encode(&self.dir, &run)?)?;
            Ok(run)
        })
    }

    fn get_run(&self, stack: &str, id: u64) -> Result<Option<RunRecord>> {
        self.get("runs", stack, &id.to_be_bytes())
    }

    fn list_runs(&self, stack: &str) -> Result<Vec<RunRecord>> {
        self.list("runs", stack)
    }

    fn put_intent(&self, stack: &str, intent: &Intent) -> Result<Intent> {
        let seq = format!("intent_seq/{stack}");
        let gen = format!("gen/{stack}");
        self.mutate("recording an intent", "intents", stack, |t, meta| {
            let mut stored = intent.clone();
            if stored.id == 0 {
                stored.id = bump(meta, &seq)?;
            } else if read_counter(meta, &seq)? < stored.id {
                set_counter(meta, &seq, stored.id)?;
            }
            t.insert(&stored.id.to_be_bytes()[..], encode(&self.dir, &stored)?)?;
            bump(meta, &gen)?;
            Ok(stored)
        })
    }

    fn clear_intent(&self, stack: &str, id: u64) -> Result<bool> {
        if self.read_tree("intents", stack)?.is_none() {
            return Ok(false);
        }
        let gen = format!("gen/{stack}");
        self.mutate("clearing an intent", "intents", stack, |t, meta| {
            let had = t.remove(&id.to_be_bytes()[..])?.is_some();
            if had {
                bump(meta, &gen)?;
            }
            Ok(had)
        })
    }

    fn resolve_intent(&self, stack: &str, id: u64, result: &IntentResult) -> Result<()> {
        let missing = || StoreError::NoSuchIntent {
            stack: stack.to_string(),
            id,
        };
        if self.read_tree("intents", stack)?.is_none() {
            return Err(missing());
        }
        let put = match result {
            IntentResult::Put(rec) => Some(encode(&self.dir, rec).map_err(unabort)?),
            _ => None,
        };
        let intents = self.write_tree("intents", stack)?;
        let res = self.write_tree("res", stack)?;
        let gen = format!("gen/{stack}");
        (&intents, &res, &self.meta)
            .transaction(|(i, r, meta)| {
                if i.remove(&id.to_be_bytes()[..])?.is_none() {
                    return Err(ConflictableTransactionError::Abort(missing()));
                }
                match (result, &put) {
                    (IntentResult::Put(rec), Some(bytes)) => {
                        r.insert(rec.address.as_bytes(), bytes.as_slice())?;
                    }
                    (IntentResult::Delete(address), _) => {
                        r.remove(address.as_bytes())?;
                    }
                    _ => {}
                }
                bump(meta, &gen)?;
                Ok(())
            })
            .map_err(|e| self.tx_error("resolving an intent", e))?;
        self.durable("resolving an intent")
    }

    fn list_intents(&self, stack: &str) -> Result<Vec<Intent>> {
        self.list("intents", stack)
    }

    fn put_intents(&self, stack: &str, intents: &[Intent]) -> Result<Vec<Intent>> {
        if intents.is_empty() {
            return Ok(Vec::new());
        }
        let seq = format!("intent_seq/{stack}");
        let gen = format!("gen/{stack}");
        self.mutate("recording intents", "intents", stack, |t, meta| {
            let mut out = Vec::with_capacity(intents.len());
            for intent in intents {
                let mut stored = intent.clone();
                if stored.id == 0 {
                    stored.id = bump(meta, &seq)?;
                } else if read_counter(meta, &seq)? < stored.id {
                    set_counter(meta, &seq, stored.id)?;
                }
                t.insert(&stored.id.to_be_bytes()[..], encode(&self.dir, &stored)?)?;
                out.push(stored);
            }
            bump(meta, &gen)?;
            Ok(out)
        })
    }

    fn resolve_intents(&self, stack: &str, results: &[(u64, IntentResult)]) -> Result<()> {
        let Some((first, _)) = results.first() else {
            return Ok(());
        };
        if self.read_tree("intents", stack)?.is_none() {
            return Err(StoreError::NoSuchIntent {
                stack: stack.to_string(),
                id: *first,
            });
        }
        let mut puts = Vec::with_capacity(results.len());
        for (_, r) in results {
            puts.push(match r {
                IntentResult::Put(rec) => Some(encode(&self.dir, rec).map_err(unabort)?),
                _ => None,
            });
        }
        let intents = self.write_tree("intents", stack)?;
        let res = self.write_tree("res", stack)?;
        let gen = format!("gen/{stack}");
        (&intents, &res, &self.meta)
            .transaction(|(i, r, meta)| {
                for ((id, result), put) in results.iter().zip(&puts) {
                    if i.remove(&id.to_be_bytes()[..])?.is_none() {
                        return Err(ConflictableTransactionError::Abort(
                            StoreError::NoSuchIntent {
                                stack: stack.to_string(),
                                id: *id,
                            },
                        ));
                    }
                    match (result, put) {
                        (IntentResult::Put(rec), Some(bytes)) => {
                            r.insert(rec.address.as_bytes(), bytes.as_slice())?;
                        }
                        (IntentResult::Delete(address), _) => {
                            r.remove(address.as_bytes())?;
                        }
                        _ => {}
                    }
                }
                bump(meta, &gen)?;
                Ok(())
            })
            .map_err(|e| self.tx_error("resolving intents", e))?;
        self.durable("resolving intents")
    }

    fn put_resources(&self, stack: &str, records: &[ResourceRecord]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut encoded = Vec::with_capacity(records.len());
        for r in records {
            encoded.push(encode(&self.dir, r).map_err(unabort)?);
        }
        let gen = format!("gen/{stack}");
        self.mutate("writing resources", "res", stack, |t, meta| {
            for (r, bytes) in records.iter().zip(&encoded) {
                t.insert(r.address.as_bytes(), bytes.as_slice())?;
            }
            bump(meta, &gen)?;
            Ok(())
        })
    }
}

fn unabort(e: ConflictableTransactionError<StoreError>) -> StoreError {
    match e {
        ConflictableTransactionError::Abort(e) => e,
        other => StoreError::Backend {
            dir: PathBuf::new(),
            what: "encoding a record".into(),
            detail: format!("{other:?}"),
        },
    }
}

/// The bytes of sled's directory before it was opened, to put back if we refuse the store.
struct Backup {
    files: Vec<(PathBuf, Vec<u8>)>,
    dirs: Vec<PathBuf>,
}

impl Backup {
    fn take(root: &Path) -> std::io::Result<Backup> {
        let mut b = Backup {
            files: Vec::new(),
            dirs: vec![root.to_path_buf()],
        };
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in fs::read_dir(&d)? {
                let path = entry?.path();
                if path.is_dir() {
                    b.dirs.push(path.clone());
                    stack.push(path);
                } else {
                    let bytes = fs::read(&path)?;
                    b.files.push((path, bytes));
                }
            }
        }
        Ok(b)
    }

    fn restore(&self, root: &Path) -> std::io::Result<()> {
        for (path, bytes) in &self.files {
            fs::write(path, bytes)?;
        }
        // Remove what sled added (new snapshot files, directories).
        let mut stack = vec![root.to_path_buf()];
        let mut new_dirs = Vec::new();
        while let Some(d) = stack.pop() {
            for entry in fs::read_dir(&d)? {
                let path = entry?.path();
                if path.is_dir() {
                    if !self.dirs.contains(&path) {
                        new_dirs.push(path.clone());
                    }
                    stack.push(path);
                } else if !self.files.iter().any(|(p, _)| *p == path) {
                    fs::remove_file(&path)?;
                }
            }
        }
        for d in new_dirs.into_iter().rev() {
            fs::remove_dir(&d)?;
        }
        Ok(())
    }
}
