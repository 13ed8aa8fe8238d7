//! An in-memory [`Store`] with the same semantics as the sled one, for engine unit tests.

use crate::error::{Result, StoreError};
use crate::record::*;
use crate::time::now_rfc3339;
use crate::{check_stack, rename_dependency, Store};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

#[derive(Default)]
struct Stack {
    resources: BTreeMap<String, ResourceRecord>,
    outputs: Outputs,
    runs: BTreeMap<u64, RunRecord>,
    intents: BTreeMap<u64, Intent>,
    generation: u64,
    last_run: u64,
    last_intent: u64,
}

pub struct MemStore {
    stacks: Mutex<BTreeMap<String, Stack>>,
    /// Distinguishes fingerprints of two stores in one process.
    instance: u64,
}

impl Default for MemStore {
    fn default() -> MemStore {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        MemStore {
            stacks: Mutex::default(),
            instance: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }
}

impl MemStore {
    pub fn new() -> MemStore {
        MemStore::default()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Stack>> {
        // A panic in another test thread must not hide this store's contents.
        self.stacks.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn read<T>(&self, stack: &str, f: impl FnOnce(&Stack) -> T) -> Result<T> {
        check_stack(stack)?;
        let stacks = self.lock();
        let empty = Stack::default();
        Ok(f(stacks.get(stack).unwrap_or(&empty)))
    }

    /// Like the sled store, a failed call neither changes nor registers the stack (every error
    /// path below returns before mutating).
    fn write<T>(&self, stack: &str, f: impl FnOnce(&mut Stack) -> Result<T>) -> Result<T> {
        check_stack(stack)?;
        let mut stacks = self.lock();
        let existed = stacks.contains_key(stack);
        let mut st = stacks.remove(stack).unwrap_or_default();
        let out = f(&mut st);
        // A call that changed nothing (deleting from an unknown stack) registers nothing.
        let touched = st.generation > 0 || st.last_run > 0;
        if existed || (out.is_ok() && touched) {
            stacks.insert(stack.to_string(), st);
        }
        out
    }
}

impl Store for MemStore {
    fn list_stacks(&self) -> Result<Vec<String>> {
        Ok(self.lock().keys().cloned().collect())
    }

    fn fingerprint(&self, stack: &str) -> Result<String> {
        self.read(stack, |s| format!("mem{}:{}", self.instance, s.generation))
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn get_resource(&self, stack: &str, address: &str) -> Result<Option<ResourceRecord>> {
        self.read(stack, |s| s.resources.get(address).cloned())
    }

    fn put_resource(&self, stack: &str, record: &ResourceRecord) -> Result<()> {
        self.write(stack, |s| {
            s.resources.insert(record.address.clone(), record.clone());
            s.generation += 1;
            Ok(())
        })
    }

    fn delete_resource(&self, stack: &str, address: &str) -> Result<bool> {
        self.write(stack, |s| {
            let had = s.resources.remove(address).is_some();
            s.generation += u64::from(had);
            Ok(had)
        })
    }

    fn list_resources(&self, stack: &str) -> Result<Vec<ResourceRecord>> {
        self.read(stack, |s| s.resources.values().cloned().collect())
    }

    fn rename_resource(&self, stack: &str, from: &str, to: &str) -> Result<()> {
        self.write(stack, |s| {
            if s.resources.contains_key(to) {
                return Err(StoreError::AddressTaken {
                    stack: stack.to_string(),
                    address: to.to_string(),
                });
            }
            let mut rec = s
                .resources
                .remove(from)
                .ok_or_else(|| StoreError::NoSuchResource {
                    stack: stack.to_string(),
                    address: from.to_string(),
                })?;
            rec.address = to.to_string();
            s.resources.insert(to.to_string(), rec);
            for r in s.resources.values_mut() {
                rename_dependency(&mut r.dependencies, from, to);
            }
            s.generation += 1;
            Ok(())
        })
    }

    fn get_outputs(&self, stack: &str) -> Result<Outputs> {
        self.read(stack, |s| s.outputs.clone())
    }

    fn put_outputs(&self, stack: &str, outputs: &Outputs) -> Result<()> {
        self.write(stack, |s| {
            s.outputs = outputs.clone();
            s.generation += 1;
            Ok(())
        })
    }

    fn begin_run(
        &self,
        stack: &str,
        command: &str,
        commit: Option<CommitInfo>,
    ) -> Result<RunRecord> {
        self.write(stack, |s| {
            s.last_run += 1;
            let run = RunRecord {
                id: s.last_run,
                started_at: now_rfc3339(),
                finished_at: None,
                command: command.to_string(),
                commit,
                summary: String::new(),
                outcome: Outcome::Running,
                details: serde_json::Value::Null,
            };
            s.runs.insert(run.id, run.clone());
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
        self.write(stack, |s| {
            let run = s.runs.get_mut(&id).ok_or_else(|| StoreError::NoSuchRun {
                stack: stack.to_string(),
                id,
            })?;
            run.finished_at = Some(now_rfc3339());
            run.outcome = outcome;
            run.summary = summary.to_string();
            run.details = details;
            Ok(run.clone())
        })
    }

    fn get_run(&self, stack: &str, id: u64) -> Result<Option<RunRecord>> {
        self.read(stack, |s| s.runs.get(&id).cloned())
    }

    fn list_runs(&self, stack: &str) -> Result<Vec<RunRecord>> {
        self.read(stack, |s| s.runs.values().cloned().collect())
    }

    fn put_intent(&self, stack: &str, intent: &Intent) -> Result<Intent> {
        self.write(stack, |s| {
            let mut stored = intent.clone();
            if stored.id == 0 {
                s.last_intent += 1;
                stored.id = s.last_intent;
            } else {
                s.last_intent = s.last_intent.max(stored.id);
            }
            s.intents.insert(stored.id, stored.clone());
            s.generation += 1;
            Ok(stored)
        })
    }

    fn clear_intent(&self, stack: &str, id: u64) -> Result<bool> {
        self.write(stack, |s| {
            let had = s.intents.remove(&id).is_some();
            s.generation += u64::from(had);
            Ok(had)
        })
    }

    fn resolve_intent(&self, stack: &str, id: u64, result: &IntentResult) -> Result<()> {
        self.write(stack, |s| {
            if s.intents.remove(&id).is_none() {
                return Err(StoreError::NoSuchIntent {
                    stack: stack.to_string(),
                    id,
                });
            }
            match result {
                IntentResult::Put(rec) => {
                    s.resources.insert(rec.address.clone(), (**rec).clone());
                }
                IntentResult::Delete(address) => {
                    s.resources.remove(address);
                }
                IntentResult::Nothing => {}
            }
            s.generation += 1;
            Ok(())
        })
    }

    fn list_intents(&self, stack: &str) -> Result<Vec<Intent>> {
        self.read(stack, |s| s.intents.values().cloned().collect())
    }

    fn resolve_intents(&self, stack: &str, results: &[(u64, IntentResult)]) -> Result<()> {
        // All or nothing, like the sled store's single transaction.
        self.write(stack, |s| {
            if let Some((id, _)) = results.iter().find(|(id, _)| !s.intents.contains_key(id)) {
                return Err(StoreError::NoSuchIntent {
                    stack: stack.to_string(),
                    id: *id,
                });
            }
            for (id, result) in results {
                s.intents.remove(id);
                match result {
                    IntentResult::Put(rec) => {
                        s.resources.insert(rec.address.clone(), (**rec).clone());
                    }
                    IntentResult::Delete(address) => {
                        s.resources.remove(address);
                    }
                    IntentResult::Nothing => {}
                }
            }
            s.generation += 1;
            Ok(())
        })
    }
}
