//! S3: `aws_s3_bucket` and the bucket settings that version 4 of the Terraform AWS provider split
//! into their own resources (versioning, bucket policy, public access block, default
//! encryption). The settings resources are keyed by bucket name, have no tags of their own, and
//! are idempotent PUTs, so a retried create simply writes the same setting again.
//!
//! Batched refresh of buckets costs two calls however many buckets there are: ListBuckets
//! (existence and region) and one Resource Groups Tagging page per 100 buckets (tags).

use crate::clients::{AwsSettings, Clients};
use crate::registry::ResourceType;
use crate::tagging;
use crate::util::{
    already_exists, attr_bool, attr_str, blocks, first_block, json_value, owned_by, partition,
    plan_default, plan_json, plan_tags_all, prefix_state, prefixed_name, sdk_error, split_tags,
    string_map, tags_with_owner,
};
use async_trait::async_trait;
use aws_sdk_s3::types as s3t;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::BTreeMap;
use terrane_provider::{
    tags_attributes, AttrType, Attribute, Block, BlockSchema, CreateRequest, DeleteRequest,
    ErrorKind, Listed, Map, ProviderError, ProviderResult, Schema, UpdateRequest, Value,
};

fn s() -> AttrType {
    AttrType::String
}

fn build_err(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::other(format!("building an S3 request: {e}"))
}

/// S3's Route 53 hosted zone ids, by region (Terraform's `hosted_zone_id`).
fn hosted_zone_id(region: &str) -> Option<&'static str> {
    Some(match region {
        "us-east-1" => "Z3AQBSTGFYJSTF",
        "us-east-2" => "Z2O1EMRO9K5GLX",
        "us-west-1" => "Z2F56UZL2M1ACD",
        "us-west-2" => "Z3BJ6K6RIION7M",
        "ca-central-1" => "Z1QDHH18159H29",
        "eu-west-1" => "Z1BKCTXD74EZPE",
        "eu-west-2" => "Z3GKZC51ZF0DB4",
        "eu-west-3" => "Z3R1K369G5AVDG",
        "eu-central-1" => "Z21DNDUVLTQW6Q",
        "eu-north-1" => "Z3BAZG2TWCNX0D",
        "ap-south-1" => "Z11RGJOFQNVJUP",
        "ap-southeast-1" => "Z3O0J2DXBE1FTB",
        "ap-southeast-2" => "Z1WCIGYICN2BYD",
        "ap-northeast-1" => "Z2M4EHUR26P7ZW",
        "ap-northeast-2" => "Z3W03O7B5YMIYP",
        "sa-east-1" => "Z7KQH4QJS55SO",
        _ => return None,
    })
}

/// Everything about a bucket that follows from its name and region.
fn bucket_computed(name: &str, region: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("id", Value::string(name)),
        ("bucket", Value::string(name)),
        (
            "arn",
            Value::string(format!("arn:{}:s3:::{name}", partition(region))),
        ),
        (
            "bucket_domain_name",
            Value::string(format!("{name}.s3.amazonaws.com")),
        ),
        (
            "bucket_regional_domain_name",
            Value::string(format!("{name}.s3.{region}.amazonaws.com")),
        ),
        (
            "hosted_zone_id",
            hosted_zone_id(region).map_or(Value::Null, Value::string),
        ),
        ("region", Value::string(region)),
    ]
}

/// Cloud tags of a bucket; a bucket without tags answers NoSuchTagSet.
async fn bucket_tags(c: &Clients, name: &str) -> ProviderResult<BTreeMap<String, String>> {
    match c.s3.get_bucket_tagging().bucket(name).send().await {
        Ok(r) => Ok(r
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        Err(e) if e.code() == Some("NoSuchTagSet") => Ok(BTreeMap::new()),
        Err(e) => Err(sdk_error("s3:GetBucketTagging", e)),
    }
}

async fn put_tags(c: &Clients, name: &str, tags: &BTreeMap<String, String>) -> ProviderResult<()> {
    let set = tags
        .iter()
        .map(|(k, v)| s3t::Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(build_err)?;
    let tagging = s3t::Tagging::builder()
        .set_tag_set(Some(set))
        .build()
        .map_err(build_err)?;
    c.s3.put_bucket_tagging()
        .bucket(name)
        .tagging(tagging)
        .send()
        .await
        .map_err(|e| sdk_error("s3:PutBucketTagging", e))?;
    Ok(())
}

/// True if the bucket exists (and is ours to see).
async fn bucket_exists(c: &Clients, name: &str) -> ProviderResult<bool> {
    match c.s3.head_bucket().bucket(name).send().await {
        Ok(_) => Ok(true),
        Err(e) => {
            let err = sdk_error("s3:HeadBucket", e);
            if err.kind == ErrorKind::NotFound {
                Ok(false)
            } else {
                Err(err)
            }
        }
    }
}

/// A bucket's region from GetBucketLocation (empty means us-east-1, "EU" eu-west-1).
async fn bucket_region(c: &Clients, name: &str) -> ProviderResult<String> {
    let r =
        c.s3.get_bucket_location()
            .bucket(name)
            .send()
            .await
            .map_err(|e| sdk_error("s3:GetBucketLocation", e))?;
    Ok(match r.location_constraint().map(|l| l.as_str()) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(l) => l.to_string(),
    })
}

/// `aws_s3_bucket`.
pub(crate) struct Bucket;

impl Bucket {
    fn state(
        &self,
        settings: &AwsSettings,
        name: &str,
        region: &str,
        tags: BTreeMap<String, String>,
        prior: &Value,
    ) -> Value {
        let (own, all) = split_tags(tags, &settings.default_tags, prior);
        let mut m: Map = bucket_computed(name, region)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        // Config-only settings the API does not report back: kept from the prior state. With
        // no prior (import), a generated name gives back its prefix, as in Terraform.
        m.insert(
            "bucket_prefix".into(),
            prefix_state(prior, "bucket_prefix", name),
        );
        m.insert(
            "force_destroy".into(),
            Value::Bool(attr_bool(prior, "force_destroy").unwrap_or(false)),
        );
        m.insert(
            "object_lock_enabled".into(),
            Value::Bool(attr_bool(prior, "object_lock_enabled").unwrap_or(false)),
        );
        m.insert("tags".into(), own);
        m.insert("tags_all".into(), all);
        Value::Map(m)
    }

    async fn empty_bucket(&self, c: &Clients, name: &str) -> ProviderResult<()> {
        let mut key_marker: Option<String> = None;
        let mut version_marker: Option<String> = None;
        loop {
            let r =
                c.s3.list_object_versions()
                    .bucket(name)
                    .set_key_marker(key_marker.clone())
                    .set_version_id_marker(version_marker.clone())
                    .send()
                    .await
                    .map_err(|e| sdk_error("s3:ListObjectVersions", e))?;
            let mut ids = Vec::new();
            for v in r.versions() {
                ids.push((v.key().unwrap_or_default(), v.version_id()));
            }
            for d in r.delete_markers() {
                ids.push((d.key().unwrap_or_default(), d.version_id()));
            }
            if !ids.is_empty() {
                let objs = ids
                    .into_iter()
                    .map(|(k, v)| {
                        s3t::ObjectIdentifier::builder()
                            .key(k)
                            .set_version_id(v.map(str::to_string))
                            .build()
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(build_err)?;
                let del = s3t::Delete::builder()
                    .set_objects(Some(objs))
                    .quiet(true)
                    .build()
                    .map_err(build_err)?;
                c.s3.delete_objects()
                    .bucket(name)
                    .delete(del)
                    .send()
                    .await
                    .map_err(|e| sdk_error("s3:DeleteObjects", e))?;
            }
            if r.is_truncated() != Some(true) {
                return Ok(());
            }
            key_marker = r.next_key_marker().map(str::to_string);
            version_marker = r.next_version_id_marker().map(str::to_string);
        }
    }
}

#[async_trait]
impl ResourceType for Bucket {
    fn schema(&self) -> Schema {
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("bucket", Attribute::optional_computed(s()).force_new())
            .attr(
                "bucket_prefix",
                Attribute::optional_computed(s()).force_new(),
            )
            .attr(
                "force_destroy",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            )
            .attr(
                "object_lock_enabled",
                Attribute::optional_computed(AttrType::Bool).force_new(),
            )
            .attr("arn", Attribute::computed(s()))
            .attr("bucket_domain_name", Attribute::computed(s()))
            .attr("bucket_regional_domain_name", Attribute::computed(s()))
            .attr("hosted_zone_id", Attribute::computed(s()))
            .attr("region", Attribute::computed(s()));
        Schema::managed("aws_s3_bucket", tags_attributes(body))
            .crossplane("s3.aws.upbound.io", "Bucket")
            .taggable()
            .import_id("the bucket name")
    }

    fn plan(&self, settings: &AwsSettings, config: &mut Value) {
        plan_tags_all(&settings.default_tags, config);
        plan_default(config, "force_destroy", Value::Bool(false));
        if let (Some(name), Some(region)) = (attr_str(config, "bucket"), settings.region.clone()) {
            if let Some(m) = config.as_map_mut() {
                for (k, v) in bucket_computed(&name, &region) {
                    m.insert(k.into(), v);
                }
            }
        }
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let (stack, addr) = (&req.owner.stack, &req.owner.address);
        let name = match attr_str(cfg, "bucket") {
            Some(n) => n,
            None => {
                // A generated name: a crashed earlier attempt is found by its ownership tags.
                let owned = tagging::find_owned(c, "s3:bucket", stack, addr).await?;
                match owned.first().and_then(|arn| arn.rsplit(':').next()) {
                    Some(n) => n.to_string(),
                    None => prefixed_name(
                        &attr_str(cfg, "bucket_prefix").unwrap_or_else(|| "terraform-".into()),
                    ),
                }
            }
        };
        if bucket_exists(c, &name).await? {
            // Ours if it carries our tags, or if our last attempt died between CreateBucket and
            // PutBucketTagging (an interrupted create, and a bucket with no tags at all).
            let tags = bucket_tags(c, &name).await?;
            let ours = owned_by(&tags, stack, addr) || (req.interrupted && tags.is_empty());
            if !ours {
                return Err(already_exists("aws_s3_bucket", &name));
            }
        } else {
            let mut r = c.s3.create_bucket().bucket(&name);
            if c.region != "us-east-1" {
                r = r.create_bucket_configuration(
                    s3t::CreateBucketConfiguration::builder()
                        .location_constraint(s3t::BucketLocationConstraint::from(c.region.as_str()))
                        .build(),
                );
            }
            if attr_bool(cfg, "object_lock_enabled") == Some(true) {
                r = r.object_lock_enabled_for_bucket(true);
            }
            if let Err(e) = r.send().await {
                return Err(match e.code() {
                    Some("BucketAlreadyExists") => already_exists("aws_s3_bucket", &name),
                    _ => sdk_error("s3:CreateBucket", e),
                });
            }
        }
        let tags = tags_with_owner(
            &string_map(cfg.get("tags")),
            &c.settings.default_tags,
            stack,
            addr,
        );
        put_tags(c, &name, &tags).await?;
        Ok(self.state(&c.settings, &name, &c.region, tags, cfg))
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        if !bucket_exists(c, id).await? {
            return Ok(None);
        }
        let region = bucket_region(c, id).await?;
        let tags = bucket_tags(c, id).await?;
        Ok(Some(self.state(&c.settings, id, &region, tags, prior)))
    }

    async fn read_batch(
        &self,
        c: &Clients,
        items: &[(String, Value)],
    ) -> Vec<ProviderResult<Option<Value>>> {
        if items.len() < 2 {
            let futs = items.iter().map(|(id, prior)| self.read(c, id, prior));
            return futures::future::join_all(futs).await;
        }
        let listed = match list_buckets(c).await {
            Ok(l) => l,
            Err(e) => return items.iter().map(|_| Err(e.clone())).collect(),
        };
        let tags = match tagging::tags_by_arn(c, "s3:bucket").await {
            Ok(t) => t,
            Err(e) => return items.iter().map(|_| Err(e.clone())).collect(),
        };
        items
            .iter()
            .map(|(id, prior)| {
                let Some(region) = listed.get(id) else {
                    return Ok(None);
                };
                let region = region.clone().unwrap_or_else(|| c.region.clone());
                let arn = format!("arn:{}:s3:::{id}", partition(&region));
                let t = tags.get(&arn).cloned().unwrap_or_default();
                Ok(Some(self.state(&c.settings, id, &region, t, prior)))
            })
            .collect()
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        let tags = tags_with_owner(
            &string_map(req.config.get("tags")),
            &c.settings.default_tags,
            &req.owner.stack,
            &req.owner.address,
        );
        put_tags(c, &req.id, &tags).await?;
        let region = attr_str(&req.prior, "region").unwrap_or_else(|| c.region.clone());
        Ok(self.state(&c.settings, &req.id, &region, tags, &req.config))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        if attr_bool(&req.prior, "force_destroy") == Some(true) {
            match self.empty_bucket(c, &req.id).await {
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
                r => r?,
            }
        }
        match c.s3.delete_bucket().bucket(&req.id).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("BucketNotEmpty") => Err(ProviderError::invalid(format!(
                "bucket {:?} is not empty; empty it first, or set force_destroy = true to let \
                 terrane delete every object in it",
                req.id
            ))),
            Err(e) => match sdk_error("s3:DeleteBucket", e) {
                err if err.kind == ErrorKind::NotFound => Ok(()),
                err => Err(err),
            },
        }
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let listed = list_buckets(c).await?;
        let tags = tagging::tags_by_arn(c, "s3:bucket").await?;
        Ok(listed
            .into_keys()
            .map(|name| {
                let arn = format!("arn:{}:s3:::{name}", partition(&c.region));
                Listed {
                    type_name: "aws_s3_bucket".into(),
                    tags: tags.get(&arn).cloned().unwrap_or_default(),
                    id: name,
                }
            })
            .collect())
    }
}

/// Every bucket name with its region when ListBuckets reports it.
async fn list_buckets(c: &Clients) -> ProviderResult<BTreeMap<String, Option<String>>> {
    let mut out = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let r =
            c.s3.list_buckets()
                .set_continuation_token(token.clone())
                .send()
                .await
                .map_err(|e| sdk_error("s3:ListBuckets", e))?;
        for b in r.buckets() {
            if let Some(n) = b.name() {
                out.insert(n.to_string(), b.bucket_region().map(str::to_string));
            }
        }
        token = r
            .continuation_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

// The bucket settings types (policy, versioning, public access block, encryption) do not
// list: a setting is part of its bucket, which `aws_s3_bucket` lists. Listing every bucket as
// a candidate for each setting made `terrane drift --unmanaged` report one unmanaged setting
// per bucket and type, managed buckets included (AWS gives every bucket default encryption).

/// Maps a bucket-settings read error: a missing bucket or missing setting means "gone".
fn gone_or<T>(r: Result<T, ProviderError>) -> ProviderResult<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn bucket_attrs() -> Block {
    Block::new()
        .attr("id", Attribute::computed(s()))
        .attr("bucket", Attribute::required(s()).force_new())
        .attr(
            "expected_bucket_owner",
            Attribute::optional(s()).force_new(),
        )
}

/// Splits a settings id: the bucket name, or `bucket,expected_bucket_owner` as Terraform's import
/// takes it for versioning and encryption (a bucket name never contains a comma).
fn split_owner(id: &str) -> (&str, Option<&str>) {
    match id.split_once(',') {
        Some((bucket, owner)) if !owner.is_empty() => (bucket, Some(owner)),
        Some((bucket, _)) => (bucket, None),
        None => (id, None),
    }
}

/// A settings resource's state. Its id is always the bucket name; an owner given in the id (an
/// import) becomes `expected_bucket_owner`, otherwise the prior's is kept.
fn settings_state(id: &str, prior: &Value, extra: Vec<(&str, Value)>) -> Value {
    let (bucket, owner) = split_owner(id);
    let mut m = Map::new();
    m.insert("id".to_string(), Value::string(bucket));
    m.insert("bucket".to_string(), Value::string(bucket));
    m.insert(
        "expected_bucket_owner".to_string(),
        match owner {
            Some(o) => Value::string(o),
            None => prior
                .get("expected_bucket_owner")
                .cloned()
                .unwrap_or(Value::Null),
        },
    );
    for (k, v) in extra {
        m.insert(k.to_string(), v);
    }
    Value::Map(m)
}

fn bucket_of(cfg: &Value) -> ProviderResult<String> {
    attr_str(cfg, "bucket").ok_or_else(|| ProviderError::invalid("`bucket` is required"))
}

/// Status and MFA delete from a GetBucketVersioning answer the SDK could not parse. moto 5.2
/// names the XML root `GetBucketVersioningResponse` instead of S3's `VersioningConfiguration`,
/// which the SDK rejects; the fields inside are S3's, so they are read from the raw body of a
/// successful (2xx) response. Anything else is a real error and yields None.
fn versioning_from_raw<E>(
    e: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> Option<(Option<String>, Option<String>)> {
    let aws_sdk_s3::error::SdkError::ServiceError(se) = e else {
        return None;
    };
    let raw = se.raw();
    if !raw.status().is_success() {
        return None;
    }
    let body = std::str::from_utf8(raw.body().bytes()?).ok()?;
    let field = |tag: &str| {
        let start = body.find(&format!("<{tag}>"))? + tag.len() + 2;
        let end = body[start..].find(&format!("</{tag}>"))? + start;
        Some(body[start..end].trim().to_string())
    };
    Some((field("Status"), field("MfaDelete")))
}

/// `aws_s3_bucket_versioning`.
pub(crate) struct BucketVersioning;

impl BucketVersioning {
    async fn put(&self, c: &Clients, cfg: &Value) -> ProviderResult<Value> {
        let bucket = bucket_of(cfg)?;
        let vc = first_block(cfg, "versioning_configuration").ok_or_else(|| {
            ProviderError::invalid(
                "aws_s3_bucket_versioning needs a versioning_configuration block",
            )
        })?;
        let status = attr_str(vc, "status").unwrap_or_default();
        // "Disabled" is only valid for a bucket that never had versioning: nothing to write.
        if status != "Disabled" {
            let mut b = s3t::VersioningConfiguration::builder()
                .status(s3t::BucketVersioningStatus::from(status.as_str()));
            if let Some(m) = attr_str(vc, "mfa_delete") {
                b = b.mfa_delete(s3t::MfaDelete::from(m.as_str()));
            }
            let mut r =
                c.s3.put_bucket_versioning()
                    .bucket(&bucket)
                    .versioning_configuration(b.build());
            if let Some(m) = attr_str(cfg, "mfa") {
                r = r.mfa(m);
            }
            if let Some(o) = attr_str(cfg, "expected_bucket_owner") {
                r = r.expected_bucket_owner(o);
            }
            r.send()
                .await
                .map_err(|e| sdk_error("s3:PutBucketVersioning", e))?;
        }
        self.read(c, &bucket, cfg).await?.ok_or_else(|| {
            ProviderError::not_found(format!(
                "bucket {bucket:?} disappeared while configuring it"
            ))
        })
    }
}

#[async_trait]
impl ResourceType for BucketVersioning {
    fn schema(&self) -> Schema {
        let vc = Block::new()
            .attr("status", Attribute::required(s()))
            .attr("mfa_delete", Attribute::optional_computed(s()));
        let body = bucket_attrs()
            .attr("mfa", Attribute::optional(s()).sensitive())
            .block(
                "versioning_configuration",
                BlockSchema::single(vc).required(),
            );
        Schema::managed("aws_s3_bucket_versioning", body)
            .crossplane("s3.aws.upbound.io", "BucketVersioning")
            .import_id("the bucket name, or `bucket,expected_bucket_owner`")
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        self.put(c, &req.config).await
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        let (status, mfa) = match c
            .s3
            .get_bucket_versioning()
            .bucket(split_owner(id).0)
            .send()
            .await
        {
            Ok(r) => (
                r.status().map(|s| s.as_str().to_string()),
                r.mfa_delete().map(|m| m.as_str().to_string()),
            ),
            Err(e) => match versioning_from_raw(&e) {
                Some(v) => v,
                None => match sdk_error("s3:GetBucketVersioning", e) {
                    err if err.kind == ErrorKind::NotFound => return Ok(None),
                    err => return Err(err),
                },
            },
        };
        let prior_status =
            first_block(prior, "versioning_configuration").and_then(|b| attr_str(b, "status"));
        let status = match status {
            Some(s) => s,
            // Never versioned: only a resource that asked for "Disabled" exists in this state.
            None if prior_status.as_deref() == Some("Disabled") => "Disabled".into(),
            None => return Ok(None),
        };
        let mfa = mfa.unwrap_or_else(|| "Disabled".into());
        let vc = Value::map([
            ("status", Value::String(status)),
            ("mfa_delete", Value::String(mfa)),
        ]);
        Ok(Some(settings_state(
            id,
            prior,
            vec![
                ("mfa", prior.get("mfa").cloned().unwrap_or(Value::Null)),
                ("versioning_configuration", Value::List(vec![vc])),
            ],
        )))
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        self.put(c, &req.config).await
    }

    /// S3 cannot turn versioning off: like Terraform, deleting suspends it.
    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        let status =
            first_block(&req.prior, "versioning_configuration").and_then(|b| attr_str(b, "status"));
        if status.as_deref() == Some("Disabled") {
            return Ok(());
        }
        let r =
            c.s3.put_bucket_versioning()
                .bucket(&req.id)
                .versioning_configuration(
                    s3t::VersioningConfiguration::builder()
                        .status(s3t::BucketVersioningStatus::Suspended)
                        .build(),
                )
                .send()
                .await;
        gone_or(r.map_err(|e| sdk_error("s3:PutBucketVersioning", e))).map(|_| ())
    }
}

/// `aws_s3_bucket_policy`.
pub(crate) struct BucketPolicy;

impl BucketPolicy {
    async fn put(&self, c: &Clients, cfg: &Value) -> ProviderResult<Value> {
        let bucket = bucket_of(cfg)?;
        let policy = attr_str(cfg, "policy")
            .ok_or_else(|| ProviderError::invalid("aws_s3_bucket_policy needs `policy`"))?;
        c.s3.put_bucket_policy()
            .bucket(&bucket)
            .policy(policy)
            .send()
            .await
            .map_err(|e| sdk_error("s3:PutBucketPolicy", e))?;
        self.read(c, &bucket, cfg).await?.ok_or_else(|| {
            ProviderError::not_found(format!(
                "bucket {bucket:?} disappeared while configuring it"
            ))
        })
    }
}

#[async_trait]
impl ResourceType for BucketPolicy {
    fn schema(&self) -> Schema {
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("bucket", Attribute::required(s()).force_new())
            .attr("policy", Attribute::required(AttrType::Json));
        Schema::managed("aws_s3_bucket_policy", body)
            .crossplane("s3.aws.upbound.io", "BucketPolicy")
            .import_id("the bucket name")
    }

    fn plan(&self, _settings: &AwsSettings, config: &mut Value) {
        plan_json(config, "policy");
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        self.put(c, &req.config).await
    }

    async fn read(&self, c: &Clients, id: &str, _prior: &Value) -> ProviderResult<Option<Value>> {
        let r = c.s3.get_bucket_policy().bucket(id).send().await;
        let Some(r) = gone_or(r.map_err(|e| sdk_error("s3:GetBucketPolicy", e)))? else {
            return Ok(None);
        };
        let policy = json_value(r.policy());
        if policy.is_null() {
            return Ok(None);
        }
        Ok(Some(Value::map([
            ("id", Value::string(id)),
            ("bucket", Value::string(id)),
            ("policy", policy),
        ])))
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        self.put(c, &req.config).await
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        let r = c.s3.delete_bucket_policy().bucket(&req.id).send().await;
        gone_or(r.map_err(|e| sdk_error("s3:DeleteBucketPolicy", e))).map(|_| ())
    }
}

const PAB_FLAGS: [&str; 4] = [
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

/// `aws_s3_bucket_public_access_block`.
pub(crate) struct BucketPublicAccessBlock;

impl BucketPublicAccessBlock {
    async fn put(&self, c: &Clients, cfg: &Value) -> ProviderResult<Value> {
        let bucket = bucket_of(cfg)?;
        let f = |k: &str| attr_bool(cfg, k).unwrap_or(false);
        let conf = s3t::PublicAccessBlockConfiguration::builder()
            .block_public_acls(f("block_public_acls"))
            .block_public_policy(f("block_public_policy"))
            .ignore_public_acls(f("ignore_public_acls"))
            .restrict_public_buckets(f("restrict_public_buckets"))
            .build();
        let mut r =
            c.s3.put_public_access_block()
                .bucket(&bucket)
                .public_access_block_configuration(conf);
        if let Some(o) = attr_str(cfg, "expected_bucket_owner") {
            r = r.expected_bucket_owner(o);
        }
        r.send()
            .await
            .map_err(|e| sdk_error("s3:PutPublicAccessBlock", e))?;
        self.read(c, &bucket, cfg).await?.ok_or_else(|| {
            ProviderError::not_found(format!(
                "bucket {bucket:?} disappeared while configuring it"
            ))
        })
    }
}

#[async_trait]
impl ResourceType for BucketPublicAccessBlock {
    fn schema(&self) -> Schema {
        let mut body = bucket_attrs();
        for f in PAB_FLAGS {
            body = body.attr(
                f,
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            );
        }
        Schema::managed("aws_s3_bucket_public_access_block", body)
            .crossplane("s3.aws.upbound.io", "BucketPublicAccessBlock")
            .import_id("the bucket name")
    }

    fn plan(&self, _settings: &AwsSettings, config: &mut Value) {
        for f in PAB_FLAGS {
            plan_default(config, f, Value::Bool(false));
        }
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        self.put(c, &req.config).await
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        let r = c.s3.get_public_access_block().bucket(id).send().await;
        let Some(r) = gone_or(r.map_err(|e| sdk_error("s3:GetPublicAccessBlock", e)))? else {
            return Ok(None);
        };
        let Some(conf) = r.public_access_block_configuration() else {
            return Ok(None);
        };
        let vals = [
            conf.block_public_acls(),
            conf.block_public_policy(),
            conf.ignore_public_acls(),
            conf.restrict_public_buckets(),
        ];
        let extra = PAB_FLAGS
            .iter()
            .zip(vals)
            .map(|(k, v)| (*k, Value::Bool(v.unwrap_or(false))))
            .collect();
        Ok(Some(settings_state(id, prior, extra)))
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        self.put(c, &req.config).await
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        let r =
            c.s3.delete_public_access_block()
                .bucket(&req.id)
                .send()
                .await;
        gone_or(r.map_err(|e| sdk_error("s3:DeletePublicAccessBlock", e))).map(|_| ())
    }
}

/// `aws_s3_bucket_server_side_encryption_configuration`.
pub(crate) struct BucketEncryption;

impl BucketEncryption {
    async fn put(&self, c: &Clients, cfg: &Value) -> ProviderResult<Value> {
        let bucket = bucket_of(cfg)?;
        let mut rules = Vec::new();
        for rule in blocks(cfg, "rule") {
            let mut rb = s3t::ServerSideEncryptionRule::builder();
            if let Some(d) = first_block(rule, "apply_server_side_encryption_by_default") {
                let alg = attr_str(d, "sse_algorithm").ok_or_else(|| {
                    ProviderError::invalid(
                        "apply_server_side_encryption_by_default needs `sse_algorithm`",
                    )
                })?;
                let by_default = s3t::ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(s3t::ServerSideEncryption::from(alg.as_str()))
                    .set_kms_master_key_id(attr_str(d, "kms_master_key_id"))
                    .build()
                    .map_err(build_err)?;
                rb = rb.apply_server_side_encryption_by_default(by_default);
            }
            if let Some(b) = attr_bool(rule, "bucket_key_enabled") {
                rb = rb.bucket_key_enabled(b);
            }
            rules.push(rb.build());
        }
        let conf = s3t::ServerSideEncryptionConfiguration::builder()
            .set_rules(Some(rules))
            .build()
            .map_err(build_err)?;
        let mut r =
            c.s3.put_bucket_encryption()
                .bucket(&bucket)
                .server_side_encryption_configuration(conf);
        if let Some(o) = attr_str(cfg, "expected_bucket_owner") {
            r = r.expected_bucket_owner(o);
        }
        r.send()
            .await
            .map_err(|e| sdk_error("s3:PutBucketEncryption", e))?;
        self.read(c, &bucket, cfg).await?.ok_or_else(|| {
            ProviderError::not_found(format!(
                "bucket {bucket:?} disappeared while configuring it"
            ))
        })
    }
}

#[async_trait]
impl ResourceType for BucketEncryption {
    fn schema(&self) -> Schema {
        let by_default = Block::new()
            .attr("sse_algorithm", Attribute::required(s()))
            .attr("kms_master_key_id", Attribute::optional(s()));
        let rule = Block::new()
            .attr(
                "bucket_key_enabled",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            )
            .block(
                "apply_server_side_encryption_by_default",
                BlockSchema::single(by_default),
            );
        let body = bucket_attrs().block("rule", BlockSchema::set(rule).required());
        Schema::managed("aws_s3_bucket_server_side_encryption_configuration", body)
            .crossplane(
                "s3.aws.upbound.io",
                "BucketServerSideEncryptionConfiguration",
            )
            .import_id("the bucket name, or `bucket,expected_bucket_owner`")
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        self.put(c, &req.config).await
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        let r =
            c.s3.get_bucket_encryption()
                .bucket(split_owner(id).0)
                .send()
                .await;
        let r = match r {
            Err(e) if e.code() == Some("ServerSideEncryptionConfigurationNotFoundError") => {
                return Ok(None)
            }
            r => r.map_err(|e| sdk_error("s3:GetBucketEncryption", e)),
        };
        let Some(r) = gone_or(r)? else {
            return Ok(None);
        };
        let Some(conf) = r.server_side_encryption_configuration() else {
            return Ok(None);
        };
        let rules: Vec<Value> = conf
            .rules()
            .iter()
            .map(|rule| {
                let by_default = rule
                    .apply_server_side_encryption_by_default()
                    .map(|d| {
                        vec![Value::map([
                            ("sse_algorithm", Value::string(d.sse_algorithm().as_str())),
                            (
                                "kms_master_key_id",
                                d.kms_master_key_id().map_or(Value::Null, Value::string),
                            ),
                        ])]
                    })
                    .unwrap_or_default();
                Value::map([
                    (
                        "bucket_key_enabled",
                        Value::Bool(rule.bucket_key_enabled().unwrap_or(false)),
                    ),
                    (
                        "apply_server_side_encryption_by_default",
                        Value::List(by_default),
                    ),
                ])
            })
            .collect();
        Ok(Some(settings_state(
            id,
            prior,
            vec![("rule", Value::List(rules))],
        )))
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        self.put(c, &req.config).await
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        let r = c.s3.delete_bucket_encryption().bucket(&req.id).send().await;
        gone_or(r.map_err(|e| sdk_error("s3:DeleteBucketEncryption", e))).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_ids_take_an_optional_owner() {
        assert_eq!(split_owner("logs"), ("logs", None));
        assert_eq!(
            split_owner("logs,123456789012"),
            ("logs", Some("123456789012"))
        );
        assert_eq!(split_owner("logs,"), ("logs", None));
        let st = settings_state("logs,123456789012", &Value::Null, vec![]);
        assert_eq!(st.get_str("id"), Some("logs"));
        assert_eq!(st.get_str("bucket"), Some("logs"));
        assert_eq!(st.get_str("expected_bucket_owner"), Some("123456789012"));
    }

    #[test]
    fn computed_names_follow_terraform() {
        let m: BTreeMap<_, _> = bucket_computed("logs", "eu-west-1").into_iter().collect();
        assert_eq!(m["arn"], Value::string("arn:aws:s3:::logs"));
        assert_eq!(
            m["bucket_regional_domain_name"],
            Value::string("logs.s3.eu-west-1.amazonaws.com")
        );
        assert_eq!(m["hosted_zone_id"], Value::string("Z1BKCTXD74EZPE"));
    }
}
