//! Configured provider clients, one per provider configuration (`aws`, `aws.west`): each
//! `provider` block is evaluated once and handed to `Provider::configure` once per run.

use super::{Engine, EngineError, ValueMap};
use crate::config::Config;
use crate::diag::Diagnostic;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use terrane_provider::{Client, Value};

/// Clients by provider configuration name (`ProviderRef` display form).
#[derive(Default, Clone)]
pub(crate) struct Clients {
    by_ref: HashMap<String, Arc<dyn Client>>,
}

impl Clients {
    pub fn get(&self, provider: &str) -> Option<&Arc<dyn Client>> {
        self.by_ref.get(provider)
    }

    /// Every configured client with its provider configuration name, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<dyn Client>)> {
        let mut all: Vec<(&str, &Arc<dyn Client>)> =
            self.by_ref.iter().map(|(k, v)| (k.as_str(), v)).collect();
        all.sort_by_key(|(k, _)| *k);
        all.into_iter()
    }
}

impl Engine {
    /// Configures every provider in `refs` (`aws`, `aws.west`, `terraform`). A provider block in
    /// `cfg` supplies the configuration; without one the provider gets Null.
    pub(crate) async fn configure(
        &self,
        cfg: Option<&Config>,
        refs: &BTreeSet<String>,
    ) -> Result<Clients, EngineError> {
        let mut clients = Clients::default();
        let mut diags = Vec::new();
        for r in refs {
            let name = r.split('.').next().unwrap_or(r);
            let Some(provider) = self.registry.get(name) else {
                diags.push(
                    Diagnostic::error(format!("provider {name:?} is not available in this build"))
                        .help("`terrane providers` lists the providers this terrane supports"),
                );
                continue;
            };
            // Evaluate the matching provider block, if any (synchronously: the session is not
            // kept across the configure call).
            let evaluated = match cfg {
                Some(cfg) => provider_block(cfg, r),
                None => Ok(Value::Null),
            };
            let config = match evaluated {
                Ok(v) => v,
                Err(mut d) => {
                    diags.append(&mut d);
                    continue;
                }
            };
            // One client per provider configuration for the engine's lifetime: a later plan or
            // apply with the same evaluated block reuses it.
            let key = format!(
                "{r}\0{}",
                serde_json::to_string(&config).unwrap_or_default()
            );
            let cached = self
                .clients
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&key)
                .cloned();
            if let Some(c) = cached {
                clients.by_ref.insert(r.clone(), c);
                continue;
            }
            match provider.configure(&config).await {
                Ok(c) => {
                    self.clients
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(key, c.clone());
                    clients.by_ref.insert(r.clone(), c);
                }
                Err(e) => {
                    let span = cfg.and_then(|c| {
                        c.providers
                            .iter()
                            .find(|p| p.provider.to_string() == *r)
                            .and_then(|p| p.span)
                    });
                    diags.push(
                        Diagnostic::error(format!("provider {r} could not be configured: {e}"))
                            .at_opt(span),
                    );
                }
            }
        }
        if diags.is_empty() {
            Ok(clients)
        } else {
            Err(EngineError::Config(diags))
        }
    }
}

fn provider_block(cfg: &Config, r: &str) -> Result<Value, Vec<Diagnostic>> {
    let Some(idx) = cfg
        .providers
        .iter()
        .position(|p| p.provider.to_string() == r)
    else {
        return Ok(Value::Null);
    };
    let values = ValueMap::default();
    let session = cfg.session(&values, None);
    let v = session.provider_config(idx)?;
    if !v.is_wholly_known() {
        return Err(vec![Diagnostic::error(format!(
            "provider {r} is configured with values known only after apply"
        ))
        .at_opt(cfg.providers[idx].span)
        .help(
            "provider blocks may use variables, locals and data sources, not managed resources",
        )]);
    }
    Ok(v)
}
