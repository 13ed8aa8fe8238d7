//! Refresh: ask each provider for the current state of every managed resource in the store,
//! in batches (`Client::read_batch`) with several batches in flight, and cache what changed.
//! A resource the cloud no longer has keeps its record with `cloud = null`, so the next plan
//! can say it was deleted outside terrane (and recreate it) rather than silently forget it.

use super::clients::Clients;
use super::{Engine, EngineError};
use crate::config::Config;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use terrane_provider::{Client, ProviderResult, ReadRequest, Value};
use terrane_state::ResourceRecord;

/// Reads per `read_batch` call.
const BATCH: usize = 100;

/// What a refresh found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshReport {
    /// Resources read.
    pub read: usize,
    /// Resources whose cloud value differs from the cached one.
    pub changed: Vec<String>,
    /// Resources the cloud no longer has.
    pub gone: Vec<String>,
}

impl Engine {
    /// Refreshes every managed resource of the stack and caches the answers in the store.
    /// Returns the refreshed records (cloud = null for resources that are gone). `cfg` supplies
    /// provider blocks; without it providers are configured with nothing.
    pub async fn refresh(
        &self,
        cfg: Option<&Config>,
        parallelism: usize,
    ) -> Result<(Vec<ResourceRecord>, RefreshReport), EngineError> {
        let mut records = self.store.list_resources(&self.stack)?;
        let refs: BTreeSet<String> = records.iter().map(|r| r.provider.clone()).collect();
        let clients = self.configure(cfg, &refs).await?;
        let report = self
            .refresh_records(&clients, &mut records, parallelism, true)
            .await?;
        Ok((records, report))
    }

    /// Reads `records` from the cloud and updates their `cloud` values in place; with `cache`,
    /// writes the changed ones to the store in one durable step.
    pub(crate) async fn refresh_records(
        &self,
        clients: &Clients,
        records: &mut [ResourceRecord],
        parallelism: usize,
        cache: bool,
    ) -> Result<RefreshReport, EngineError> {
        // Group by provider configuration; records already known to be gone are not read.
        let mut by_provider: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, r) in records.iter().enumerate() {
            if !r.cloud.is_null() {
                by_provider.entry(r.provider.as_str()).or_default().push(i);
            }
        }
        // Owned names, so the records can be borrowed mutably below.
        let by_provider: Vec<(String, Vec<usize>)> = by_provider
            .into_iter()
            .map(|(p, idxs)| (p.to_string(), idxs))
            .collect();
        let mut jobs = Vec::new();
        for (provider, idxs) in by_provider {
            let Some(client) = clients.get(&provider) else {
                return Err(EngineError::Provider(format!(
                    "no configured provider {provider} to read {}",
                    records[idxs[0]].address
                )));
            };
            for chunk in idxs.chunks(BATCH) {
                let reqs: Vec<ReadRequest> = chunk
                    .iter()
                    .map(|&i| ReadRequest {
                        type_name: records[i].type_name.clone(),
                        id: records[i].id.clone(),
                        // Moved, not copied: the request comes back with the answer.
                        prior: std::mem::take(&mut records[i].cloud),
                    })
                    .collect();
                jobs.push((client.clone(), chunk.to_vec(), reqs));
            }
        }
        // At most `parallelism` batches in flight, each a task of its own.
        let mut results = Vec::with_capacity(jobs.len());
        let mut running = tokio::task::JoinSet::new();
        let mut jobs = jobs.into_iter();
        loop {
            while running.len() < parallelism.max(1) {
                let Some((client, idxs, reqs)) = jobs.next() else {
                    break;
                };
                running.spawn(read_batch(client, idxs, reqs));
            }
            match running.join_next().await {
                Some(Ok(r)) => results.push(r),
                Some(Err(e)) => {
                    return Err(EngineError::Provider(format!(
                        "a provider read panicked: {e}"
                    )))
                }
                None => break,
            }
        }

        let mut report = RefreshReport::default();
        let mut errors = Vec::new();
        let mut changed = Vec::new();
        for (idxs, reqs, outs) in results {
            // Each record gets its prior back first, whatever the answer.
            for (&i, req) in idxs.iter().zip(reqs) {
                records[i].cloud = req.prior;
            }
            if outs.len() != idxs.len() {
                return Err(EngineError::Provider(format!(
                    "a provider answered {} of {} reads in a batch",
                    outs.len(),
                    idxs.len()
                )));
            }
            for (i, out) in idxs.into_iter().zip(outs) {
                report.read += 1;
                let rec = &mut records[i];
                match out {
                    Ok(Some(v)) => {
                        if v != rec.cloud {
                            rec.cloud = v;
                            report.changed.push(rec.address.clone());
                            changed.push(i);
                        }
                    }
                    Ok(None) => {
                        rec.cloud = Value::Null;
                        report.gone.push(rec.address.clone());
                        changed.push(i);
                    }
                    Err(e) => errors.push(format!("refreshing {}: {e}", rec.address)),
                }
            }
        }
        if !errors.is_empty() {
            errors.sort();
            return Err(EngineError::Provider(errors.join("\n")));
        }
        report.changed.sort();
        report.gone.sort();
        if cache && !changed.is_empty() {
            let now = super::now();
            let recs: Vec<ResourceRecord> = changed
                .into_iter()
                .map(|i| {
                    let mut r = records[i].clone();
                    r.updated_at = now.clone();
                    r
                })
                .collect();
            self.store.put_resources(&self.stack, &recs)?;
        }
        Ok(report)
    }
}

type BatchResult = (
    Vec<usize>,
    Vec<ReadRequest>,
    Vec<ProviderResult<Option<Value>>>,
);

async fn read_batch(
    client: Arc<dyn Client>,
    idxs: Vec<usize>,
    reqs: Vec<ReadRequest>,
) -> BatchResult {
    let out = client.read_batch(&reqs).await;
    (idxs, reqs, out)
}

/// Feeds written bytes to a hash.
struct HashWriter<'a>(&'a mut sha2::Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        sha2::Digest::update(self.0, buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A stable hash of refreshed cloud values, so `apply PLANFILE` can tell whether the cloud
/// moved since the plan was made.
pub(crate) fn cloud_fingerprint(records: &[ResourceRecord], live: bool) -> String {
    use sha2::{Digest, Sha256};
    let mut sorted: Vec<&ResourceRecord> = records.iter().collect();
    sorted.sort_by(|a, b| a.address.cmp(&b.address));
    let mut h = Sha256::new();
    for r in sorted {
        h.update(r.address.as_bytes());
        h.update([0]);
        // Streamed into the hash: no JSON text per record.
        let _ = serde_json::to_writer(HashWriter(&mut h), &r.cloud);
        h.update([0]);
    }
    format!(
        "{}:{}",
        if live { "live" } else { "cache" },
        hex::encode(h.finalize())
    )
}
