//! The set of providers terrane knows, and their schemas for the config checker.

use crate::config::Schemas;
use std::sync::Arc;
use terrane_provider::Provider;

/// All providers, built-in ones first.
#[derive(Clone)]
pub struct Registry {
    pub providers: Vec<Arc<dyn Provider>>,
}

impl Registry {
    /// The built-in providers only (`terraform_data`, `null_resource`).
    pub fn builtin() -> Self {
        Registry {
            providers: vec![
                Arc::new(crate::builtin::TerraformProvider),
                Arc::new(crate::builtin::NullProvider),
            ],
        }
    }

    pub fn with(mut self, p: Arc<dyn Provider>) -> Self {
        self.providers.push(p);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.iter().find(|p| p.name() == name)
    }

    pub fn schemas(&self) -> Schemas {
        let mut s = Schemas::new();
        for p in &self.providers {
            s.add_provider(p.name(), p.schemas());
        }
        s
    }
}
