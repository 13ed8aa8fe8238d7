//! `state import`: adopt an existing cloud object under an address of the configuration,
//! without changing it in the cloud. The next plan compares it with the configuration.

use super::{Engine, EngineError};
use crate::config::Config;
use std::collections::BTreeSet;
use terrane_provider::Value;
use terrane_state::ResourceRecord;

impl Engine {
    /// Reads the object `id` through the provider of `address` (which must be a managed
    /// resource in `cfg`) and records it in the store.
    pub async fn import_resource(
        &self,
        cfg: &Config,
        address: &str,
        id: &str,
    ) -> Result<ResourceRecord, EngineError> {
        let Some(inst) = cfg.instances.iter().find(|i| i.addr.to_string() == address) else {
            return Err(EngineError::Invalid(format!(
                "{address} is not in the configuration; add its resource block first \
                 (`terrane graph` lists the addresses)"
            )));
        };
        if inst.addr.resource.mode != crate::addr::Mode::Managed {
            return Err(EngineError::Invalid(format!(
                "{address} is a data source; only managed resources can be imported"
            )));
        }
        if self.store.get_resource(&self.stack, address)?.is_some() {
            return Err(EngineError::Invalid(format!(
                "{address} is already managed; `terrane state rm {address}` first to import \
                 another object there"
            )));
        }
        let provider = inst.provider.to_string();
        let clients = self
            .configure(Some(cfg), &BTreeSet::from([provider.clone()]))
            .await?;
        let client = clients.get(&provider).ok_or_else(|| {
            EngineError::Provider(format!("provider {provider} is not configured"))
        })?;
        let value = client
            .import(&inst.type_name, id)
            .await
            .map_err(|e| EngineError::Provider(format!("importing {address}: {e}")))?
            .ok_or_else(|| {
                let hint = self
                    .schemas
                    .get(crate::addr::Mode::Managed, &inst.type_name)
                    .map(|s| s.import_id)
                    .unwrap_or("the resource id");
                EngineError::Invalid(format!(
                    "no {} with id {id:?} exists; the id is {hint}",
                    inst.type_name
                ))
            })?;
        let record = ResourceRecord {
            address: address.to_string(),
            type_name: inst.type_name.clone(),
            provider,
            id: value.get_str("id").unwrap_or(id).to_string(),
            cloud: value,
            desired: Value::Null,
            // The configuration's dependencies, as an apply would record them: destroy orders
            // deletions by them (an imported attachment must go before its role).
            dependencies: crate::graph::Graph::build(cfg)
                .map(|g| super::planner::dependencies(&g, &inst.addr))
                .unwrap_or_default(),
            sensitive_attrs: Vec::new(),
            schema_version: 0,
            deletion_policy_orphan: false,
            updated_at: super::now(),
        };
        let run = self.store.begin_run(&self.stack, "state import", None)?;
        self.store.put_resource(&self.stack, &record)?;
        self.store.finish_run(
            &self.stack,
            run.id,
            terrane_state::Outcome::Succeeded,
            &format!("imported {address} (id {})", record.id),
            serde_json::json!({ "address": address, "id": record.id }),
        )?;
        Ok(record)
    }
}
