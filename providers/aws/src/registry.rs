//! The per-type contract inside the AWS provider, and the list of every supported type.
//! Adding a type = one module implementing `ResourceType` plus one line in `all()`.

use crate::clients::{AwsSettings, Clients};
use async_trait::async_trait;
use std::sync::Arc;
use terrane_provider::{
    CreateRequest, DeleteRequest, Listed, ProviderError, ProviderResult, Schema, UpdateRequest,
    Value,
};

/// One AWS resource or data source type.
#[async_trait]
pub(crate) trait ResourceType: Send + Sync {
    /// Type name, attributes and flags, following the Terraform AWS provider.
    fn schema(&self) -> Schema;

    /// Creates the resource (adopting one that already carries our ownership tag or our
    /// deterministic name, so a retry after a crash never makes a second one).
    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let _ = (c, req);
        Err(ProviderError::invalid(format!(
            "{} is a data source and cannot be created",
            self.schema().type_name
        )))
    }

    /// Current normalised state, or None when the resource is gone.
    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        let _ = (c, id, prior);
        Ok(None)
    }

    /// Reads many resources of this type; override to batch API calls.
    async fn read_batch(
        &self,
        c: &Clients,
        items: &[(String, Value)],
    ) -> Vec<ProviderResult<Option<Value>>> {
        let futs = items.iter().map(|(id, prior)| self.read(c, id, prior));
        futures::future::join_all(futs).await
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        let _ = c;
        Err(ProviderError::invalid(format!(
            "{} cannot be updated in place",
            req.type_name
        )))
    }

    /// Deletes; a resource that is already gone is success.
    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        let _ = (c, req);
        Ok(())
    }

    /// Reads by import id (defaults to the plain read with no prior state).
    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, id, &Value::Null).await
    }

    /// Every resource of this type in the account. Types that cannot be listed answer
    /// `Unsupported`, which `terrane drift --unmanaged` skips; any other error fails the report.
    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let _ = c;
        Err(ProviderError::unsupported(format!(
            "listing {} is not supported",
            self.schema().type_name
        )))
    }

    /// Evaluates a data source.
    async fn read_data(&self, c: &Clients, config: &Value) -> ProviderResult<Value> {
        let _ = (c, config);
        Err(ProviderError::invalid(format!(
            "{} is not a data source",
            self.schema().type_name
        )))
    }

    /// Plan-time normalisation: defaults, normalised JSON, `tags_all`. No network.
    fn plan(&self, settings: &AwsSettings, config: &mut Value) {
        let _ = (settings, config);
    }
}

/// Every supported type, in a stable order.
pub(crate) fn all() -> Vec<Arc<dyn ResourceType>> {
    vec![
        Arc::new(crate::s3::Bucket),
        Arc::new(crate::s3::BucketVersioning),
        Arc::new(crate::s3::BucketPolicy),
        Arc::new(crate::s3::BucketPublicAccessBlock),
        Arc::new(crate::s3::BucketEncryption),
        Arc::new(crate::sqs::Queue),
        Arc::new(crate::sqs::QueuePolicy),
        Arc::new(crate::sns::Topic),
        Arc::new(crate::sns::Subscription),
        Arc::new(crate::ssm::SsmParameter),
        Arc::new(crate::logs::LogGroup),
        Arc::new(crate::kms::Key),
        Arc::new(crate::kms::Alias),
        Arc::new(crate::secretsmanager::Secret),
        Arc::new(crate::meta::CallerIdentity),
        Arc::new(crate::meta::Region),
        Arc::new(crate::meta::AvailabilityZones),
        Arc::new(crate::iam::Role),
        Arc::new(crate::iam::Policy),
        Arc::new(crate::iam::RolePolicy),
        Arc::new(crate::iam::RolePolicyAttachment),
        Arc::new(crate::iam::User),
        Arc::new(crate::iam_policy_document::PolicyDocument),
        Arc::new(crate::dynamodb::Table),
        Arc::new(crate::vpc::Vpc),
        Arc::new(crate::vpc::Subnet),
        Arc::new(crate::vpc::InternetGateway),
        Arc::new(crate::security_group::SecurityGroup),
        Arc::new(crate::security_group::SgRule { egress: false }),
        Arc::new(crate::security_group::SgRule { egress: true }),
        Arc::new(crate::route_table::RouteTable),
        Arc::new(crate::route_table::RouteTableAssociation),
    ]
}
