//! KMS: `aws_kms_key` and `aws_kms_alias`. Keys have no name, so a create after a crash finds
//! the key an earlier attempt made by its ownership tags (one Resource Groups Tagging call).
//! A key is never deleted at once: delete schedules deletion after `deletion_window_in_days`,
//! and a key pending deletion reads as gone, as in Terraform. Aliases are read from one
//! ListAliases listing however many are refreshed.

use crate::clients::{AwsSettings, Clients};
use crate::registry::ResourceType;
use crate::tagging;
use crate::util::{
    already_exists, attr_bool, attr_i64, attr_str, json_value, normalize_policy, partition,
    plan_default, plan_json, plan_tags_all, prefix_state, prefixed_name, sdk_error, split_tags,
    string_map, tag_delta, tags_with_owner,
};
use async_trait::async_trait;
use aws_sdk_kms::types::{AliasListEntry, KeyMetadata, KeySpec, KeyState, KeyUsageType, Tag};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::BTreeMap;
use terrane_provider::{
    tags_attributes, AttrType, Attribute, Block, CreateRequest, DeleteRequest, ErrorKind, Listed,
    Map, ProviderError, ProviderResult, Schema, UpdateRequest, Value,
};

const KEY: &str = "aws_kms_key";
const ALIAS: &str = "aws_kms_alias";

fn kms_tags(tags: &BTreeMap<String, String>) -> ProviderResult<Vec<Tag>> {
    tags.iter()
        .map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ProviderError::other(format!("building KMS tags: {e}")))
}

async fn key_tags(c: &Clients, key_id: &str) -> ProviderResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut marker: Option<String> = None;
    loop {
        let r = c
            .kms
            .list_resource_tags()
            .key_id(key_id)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| sdk_error("kms:ListResourceTags", e))?;
        for t in r.tags() {
            out.insert(t.tag_key().to_string(), t.tag_value().to_string());
        }
        marker = r
            .next_marker()
            .filter(|m| !m.is_empty())
            .map(str::to_string);
        if !r.truncated() || marker.is_none() {
            return Ok(out);
        }
    }
}

async fn set_tags(
    c: &Clients,
    key_id: &str,
    want: &BTreeMap<String, String>,
) -> ProviderResult<()> {
    let have = key_tags(c, key_id).await?;
    let (removed, set) = tag_delta(&have, want);
    if !removed.is_empty() {
        c.kms
            .untag_resource()
            .key_id(key_id)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| sdk_error("kms:UntagResource", e))?;
    }
    if !set.is_empty() {
        c.kms
            .tag_resource()
            .key_id(key_id)
            .set_tags(Some(kms_tags(&set)?))
            .send()
            .await
            .map_err(|e| sdk_error("kms:TagResource", e))?;
    }
    Ok(())
}

/// Key metadata, or None for a key that is gone or pending deletion.
async fn describe_key(c: &Clients, key_id: &str) -> ProviderResult<Option<KeyMetadata>> {
    match c.kms.describe_key().key_id(key_id).send().await {
        Ok(r) => Ok(r
            .key_metadata()
            .filter(|m| m.key_state() != Some(&KeyState::PendingDeletion))
            .cloned()),
        Err(e) => match sdk_error("kms:DescribeKey", e) {
            err if err.kind == ErrorKind::NotFound => Ok(None),
            err => Err(err),
        },
    }
}

/// The key id in a key ARN or id (`arn:...:key/ID` -> `ID`).
fn key_id_of(s: &str) -> &str {
    s.rsplit_once(":key/").map_or(s, |(_, id)| id)
}

/// `aws_kms_key`.
pub(crate) struct Key;

impl Key {
    async fn read_full(
        &self,
        c: &Clients,
        meta: &KeyMetadata,
        tags: BTreeMap<String, String>,
        prior: &Value,
    ) -> ProviderResult<Value> {
        let id = meta.key_id();
        let policy = c
            .kms
            .get_key_policy()
            .key_id(id)
            .policy_name("default")
            .send()
            .await
            .map_err(|e| sdk_error("kms:GetKeyPolicy", e))?;
        let rotation = c
            .kms
            .get_key_rotation_status()
            .key_id(id)
            .send()
            .await
            .map_err(|e| sdk_error("kms:GetKeyRotationStatus", e))?;
        let s = |v: Option<&str>| v.map_or(Value::Null, Value::string);
        let mut m = Map::new();
        m.insert("id".to_string(), Value::string(id));
        m.insert("key_id".into(), Value::string(id));
        m.insert("arn".into(), s(meta.arn()));
        m.insert(
            "description".into(),
            Value::string(meta.description().unwrap_or_default()),
        );
        m.insert("key_usage".into(), s(meta.key_usage().map(|u| u.as_str())));
        m.insert(
            "customer_master_key_spec".into(),
            s(meta.key_spec().map(|k| k.as_str())),
        );
        m.insert("policy".into(), json_value(policy.policy()));
        m.insert("is_enabled".into(), Value::Bool(meta.enabled()));
        m.insert(
            "enable_key_rotation".into(),
            Value::Bool(rotation.key_rotation_enabled()),
        );
        m.insert(
            "rotation_period_in_days".into(),
            rotation
                .rotation_period_in_days()
                .map_or(Value::Null, |d| Value::Number(d as f64)),
        );
        m.insert(
            "multi_region".into(),
            Value::Bool(meta.multi_region().unwrap_or(false)),
        );
        m.insert("custom_key_store_id".into(), s(meta.custom_key_store_id()));
        // Settings that only shape the create or delete calls.
        for (k, d) in [
            ("deletion_window_in_days", Value::Null),
            ("bypass_policy_lockout_safety_check", Value::Bool(false)),
        ] {
            m.insert(
                k.into(),
                prior.get(k).cloned().filter(|v| !v.is_null()).unwrap_or(d),
            );
        }
        let (own, all) = split_tags(tags, &c.settings.default_tags, prior);
        m.insert("tags".into(), own);
        m.insert("tags_all".into(), all);
        Ok(Value::Map(m))
    }

    /// Brings the updatable settings of an existing key in line with the configuration.
    async fn converge(
        &self,
        c: &Clients,
        id: &str,
        cfg: &Value,
        prior: &Value,
    ) -> ProviderResult<()> {
        if let Some(d) = attr_str(cfg, "description") {
            if attr_str(prior, "description").as_deref() != Some(d.as_str()) {
                c.kms
                    .update_key_description()
                    .key_id(id)
                    .description(d)
                    .send()
                    .await
                    .map_err(|e| sdk_error("kms:UpdateKeyDescription", e))?;
            }
        }
        if let Some(p) = attr_str(cfg, "policy") {
            let have = attr_str(prior, "policy").map(|h| normalize_policy(&h));
            if have != Some(normalize_policy(&p)) {
                c.kms
                    .put_key_policy()
                    .key_id(id)
                    .policy_name("default")
                    .policy(p)
                    .bypass_policy_lockout_safety_check(
                        attr_bool(cfg, "bypass_policy_lockout_safety_check").unwrap_or(false),
                    )
                    .send()
                    .await
                    .map_err(|e| sdk_error("kms:PutKeyPolicy", e))?;
            }
        }
        let enabled = attr_bool(cfg, "is_enabled").unwrap_or(true);
        if Some(enabled) != attr_bool(prior, "is_enabled") {
            if enabled {
                c.kms
                    .enable_key()
                    .key_id(id)
                    .send()
                    .await
                    .map_err(|e| sdk_error("kms:EnableKey", e))?;
            } else {
                c.kms
                    .disable_key()
                    .key_id(id)
                    .send()
                    .await
                    .map_err(|e| sdk_error("kms:DisableKey", e))?;
            }
        }
        let rotate = attr_bool(cfg, "enable_key_rotation").unwrap_or(false);
        let period = attr_i64(cfg, "rotation_period_in_days");
        let period_changed =
            period.is_some() && period != attr_i64(prior, "rotation_period_in_days");
        if Some(rotate) != attr_bool(prior, "enable_key_rotation") || (rotate && period_changed) {
            if rotate {
                c.kms
                    .enable_key_rotation()
                    .key_id(id)
                    .set_rotation_period_in_days(period.map(|p| p as i32))
                    .send()
                    .await
                    .map_err(|e| sdk_error("kms:EnableKeyRotation", e))?;
            } else {
                c.kms
                    .disable_key_rotation()
                    .key_id(id)
                    .send()
                    .await
                    .map_err(|e| sdk_error("kms:DisableKeyRotation", e))?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl ResourceType for Key {
    fn schema(&self) -> Schema {
        let s = || AttrType::String;
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("key_id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("description", Attribute::optional_computed(s()))
            .attr(
                "key_usage",
                Attribute::optional(s())
                    .default(Value::string("ENCRYPT_DECRYPT"))
                    .force_new(),
            )
            .attr(
                "customer_master_key_spec",
                Attribute::optional(s())
                    .default(Value::string("SYMMETRIC_DEFAULT"))
                    .force_new(),
            )
            .attr("policy", Attribute::optional_computed(AttrType::Json))
            .attr(
                "bypass_policy_lockout_safety_check",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            )
            .attr(
                "deletion_window_in_days",
                Attribute::optional(AttrType::Number),
            )
            .attr(
                "is_enabled",
                Attribute::optional(AttrType::Bool).default(Value::Bool(true)),
            )
            .attr(
                "enable_key_rotation",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            )
            .attr(
                "rotation_period_in_days",
                Attribute::optional_computed(AttrType::Number),
            )
            .attr(
                "multi_region",
                Attribute::optional_computed(AttrType::Bool).force_new(),
            )
            .attr("custom_key_store_id", Attribute::optional(s()).force_new());
        Schema::managed(KEY, tags_attributes(body))
            .crossplane("kms.aws.upbound.io", "Key")
            .taggable()
            .import_id("the key id")
    }

    fn plan(&self, settings: &AwsSettings, config: &mut Value) {
        plan_tags_all(&settings.default_tags, config);
        plan_default(config, "key_usage", Value::string("ENCRYPT_DECRYPT"));
        plan_default(
            config,
            "customer_master_key_spec",
            Value::string("SYMMETRIC_DEFAULT"),
        );
        plan_default(config, "is_enabled", Value::Bool(true));
        plan_default(config, "enable_key_rotation", Value::Bool(false));
        plan_default(
            config,
            "bypass_policy_lockout_safety_check",
            Value::Bool(false),
        );
        plan_json(config, "policy");
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let (stack, addr) = (&req.owner.stack, &req.owner.address);
        let tags = tags_with_owner(
            &string_map(cfg.get("tags")),
            &c.settings.default_tags,
            stack,
            addr,
        );
        // A key an interrupted earlier attempt made carries our tags: adopt it.
        let mut adopted = None;
        for arn in tagging::find_owned(c, "kms:key", stack, addr).await? {
            if let Some(meta) = describe_key(c, key_id_of(&arn)).await? {
                adopted = Some(meta);
                break;
            }
        }
        let (meta, prior) = match adopted {
            Some(meta) => {
                let prior = self
                    .read_full(c, &meta, BTreeMap::new(), &Value::Null)
                    .await?;
                set_tags(c, meta.key_id(), &tags).await?;
                (meta, prior)
            }
            None => {
                let r = c
                    .kms
                    .create_key()
                    .set_description(attr_str(cfg, "description"))
                    .key_usage(KeyUsageType::from(
                        attr_str(cfg, "key_usage")
                            .unwrap_or_else(|| "ENCRYPT_DECRYPT".into())
                            .as_str(),
                    ))
                    .key_spec(KeySpec::from(
                        attr_str(cfg, "customer_master_key_spec")
                            .unwrap_or_else(|| "SYMMETRIC_DEFAULT".into())
                            .as_str(),
                    ))
                    .set_policy(attr_str(cfg, "policy"))
                    .bypass_policy_lockout_safety_check(
                        attr_bool(cfg, "bypass_policy_lockout_safety_check").unwrap_or(false),
                    )
                    .set_multi_region(attr_bool(cfg, "multi_region"))
                    .set_custom_key_store_id(attr_str(cfg, "custom_key_store_id"))
                    .set_tags(Some(kms_tags(&tags)?))
                    .send()
                    .await
                    .map_err(|e| sdk_error("kms:CreateKey", e))?;
                let meta = r
                    .key_metadata()
                    .cloned()
                    .ok_or_else(|| ProviderError::other("kms:CreateKey returned no key"))?;
                // What CreateKey set; converge changes only the rest.
                let prior = Value::map([
                    (
                        "description",
                        Value::string(meta.description().unwrap_or_default()),
                    ),
                    ("policy", cfg.get("policy").cloned().unwrap_or(Value::Null)),
                    ("is_enabled", Value::Bool(true)),
                    ("enable_key_rotation", Value::Bool(false)),
                ]);
                (meta, prior)
            }
        };
        self.converge(c, meta.key_id(), cfg, &prior).await?;
        self.read(c, meta.key_id(), cfg).await?.ok_or_else(|| {
            ProviderError::not_found(format!(
                "key {} disappeared after creating it",
                meta.key_id()
            ))
        })
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        let Some(meta) = describe_key(c, id).await? else {
            return Ok(None);
        };
        let tags = key_tags(c, meta.key_id()).await?;
        self.read_full(c, &meta, tags, prior).await.map(Some)
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
        let tags = match tagging::tags_by_arn(c, "kms:key").await {
            Ok(t) => t,
            Err(e) => return items.iter().map(|_| Err(e.clone())).collect(),
        };
        let futs = items.iter().map(|(id, prior)| {
            let tags = &tags;
            async move {
                let Some(meta) = describe_key(c, id).await? else {
                    return Ok(None);
                };
                let t = meta
                    .arn()
                    .and_then(|a| tags.get(a))
                    .cloned()
                    .unwrap_or_default();
                self.read_full(c, &meta, t, prior).await.map(Some)
            }
        });
        futures::future::join_all(futs).await
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        self.converge(c, &req.id, &req.config, &req.prior).await?;
        let tags = tags_with_owner(
            &string_map(req.config.get("tags")),
            &c.settings.default_tags,
            &req.owner.stack,
            &req.owner.address,
        );
        set_tags(c, &req.id, &tags).await?;
        self.read(c, &req.id, &req.config)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("key {} is gone", req.id)))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        let window = attr_i64(&req.prior, "deletion_window_in_days").unwrap_or(30) as i32;
        match c
            .kms
            .schedule_key_deletion()
            .key_id(&req.id)
            .pending_window_in_days(window)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                // Already scheduled for deletion (or already gone): nothing to do.
                if describe_key(c, &req.id).await?.is_none() {
                    return Ok(());
                }
                Err(sdk_error("kms:ScheduleKeyDeletion", e))
            }
        }
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let tags = tagging::tags_by_arn(c, "kms:key").await?;
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let r = c
                .kms
                .list_keys()
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(|e| sdk_error("kms:ListKeys", e))?;
            for k in r.keys() {
                if let Some(id) = k.key_id() {
                    out.push(Listed {
                        type_name: KEY.into(),
                        id: id.to_string(),
                        tags: k
                            .key_arn()
                            .and_then(|a| tags.get(a))
                            .cloned()
                            .unwrap_or_default(),
                    });
                }
            }
            marker = r
                .next_marker()
                .filter(|m| !m.is_empty())
                .map(str::to_string);
            if !r.truncated() || marker.is_none() {
                return Ok(out);
            }
        }
    }
}

async fn list_aliases(c: &Clients) -> ProviderResult<Vec<AliasListEntry>> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let r = c
            .kms
            .list_aliases()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| sdk_error("kms:ListAliases", e))?;
        out.extend(r.aliases().iter().cloned());
        marker = r
            .next_marker()
            .filter(|m| !m.is_empty())
            .map(str::to_string);
        if !r.truncated() || marker.is_none() {
            return Ok(out);
        }
    }
}

/// `aws_kms_alias`.
pub(crate) struct Alias;

impl Alias {
    fn state(&self, region: &str, a: &AliasListEntry, prior: &Value) -> Value {
        let name = a.alias_name().unwrap_or_default();
        let target = a.target_key_id().unwrap_or_default();
        // The configuration may name the key by ARN or by id; keep its form when it is the
        // same key.
        let target_cfg = attr_str(prior, "target_key_id")
            .filter(|t| key_id_of(t) == target)
            .unwrap_or_else(|| target.to_string());
        let account = a
            .alias_arn()
            .and_then(|arn| arn.split(':').nth(4))
            .unwrap_or_default();
        Value::map([
            ("id", Value::string(name)),
            ("name", Value::string(name)),
            ("name_prefix", prefix_state(prior, "name_prefix", name)),
            ("arn", a.alias_arn().map_or(Value::Null, Value::string)),
            ("target_key_id", Value::string(target_cfg)),
            (
                "target_key_arn",
                Value::string(format!(
                    "arn:{}:kms:{region}:{account}:key/{target}",
                    partition(region)
                )),
            ),
        ])
    }
}

#[async_trait]
impl ResourceType for Alias {
    fn schema(&self) -> Schema {
        let s = || AttrType::String;
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("target_key_arn", Attribute::computed(s()))
            .attr("name", Attribute::optional_computed(s()).force_new())
            .attr("name_prefix", Attribute::optional_computed(s()).force_new())
            .attr("target_key_id", Attribute::required(s()));
        Schema::managed(ALIAS, body)
            .crossplane("kms.aws.upbound.io", "Alias")
            .import_id("the alias name (alias/...)")
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let target = attr_str(cfg, "target_key_id")
            .ok_or_else(|| ProviderError::invalid("aws_kms_alias needs `target_key_id`"))?;
        let name = attr_str(cfg, "name").unwrap_or_else(|| {
            prefixed_name(&attr_str(cfg, "name_prefix").unwrap_or_else(|| "alias/".into()))
        });
        if !name.starts_with("alias/") {
            return Err(ProviderError::invalid(format!(
                "KMS alias name {name:?} must start with \"alias/\""
            )));
        }
        match c
            .kms
            .create_alias()
            .alias_name(&name)
            .target_key_id(&target)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if e.code() == Some("AlreadyExistsException") => {
                // Aliases carry no tags: adopt only one that already points at our key.
                let existing = list_aliases(c).await?;
                let same = existing.iter().any(|a| {
                    a.alias_name() == Some(name.as_str())
                        && a.target_key_id() == Some(key_id_of(&target))
                });
                if !same {
                    return Err(already_exists(ALIAS, &name));
                }
            }
            Err(e) => return Err(sdk_error("kms:CreateAlias", e)),
        }
        self.read(c, &name, cfg).await?.ok_or_else(|| {
            ProviderError::not_found(format!("alias {name} disappeared after creating it"))
        })
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        Ok(list_aliases(c)
            .await?
            .iter()
            .find(|a| a.alias_name() == Some(id))
            .map(|a| self.state(&c.region, a, prior)))
    }

    async fn read_batch(
        &self,
        c: &Clients,
        items: &[(String, Value)],
    ) -> Vec<ProviderResult<Option<Value>>> {
        let all = match list_aliases(c).await {
            Ok(a) => a,
            Err(e) => return items.iter().map(|_| Err(e.clone())).collect(),
        };
        items
            .iter()
            .map(|(id, prior)| {
                Ok(all
                    .iter()
                    .find(|a| a.alias_name() == Some(id.as_str()))
                    .map(|a| self.state(&c.region, a, prior)))
            })
            .collect()
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        let target = attr_str(&req.config, "target_key_id")
            .ok_or_else(|| ProviderError::invalid("aws_kms_alias needs `target_key_id`"))?;
        c.kms
            .update_alias()
            .alias_name(&req.id)
            .target_key_id(target)
            .send()
            .await
            .map_err(|e| sdk_error("kms:UpdateAlias", e))?;
        self.read(c, &req.id, &req.config)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("alias {} is gone", req.id)))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        match c.kms.delete_alias().alias_name(&req.id).send().await {
            Ok(_) => Ok(()),
            Err(e) => match sdk_error("kms:DeleteAlias", e) {
                err if err.kind == ErrorKind::NotFound => Ok(()),
                err => Err(err),
            },
        }
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        Ok(list_aliases(c)
            .await?
            .iter()
            .filter_map(|a| a.alias_name())
            .filter(|n| !n.starts_with("alias/aws/"))
            .map(|n| Listed {
                type_name: ALIAS.into(),
                id: n.to_string(),
                tags: BTreeMap::new(),
            })
            .collect())
    }
}
