//! Secrets Manager: `aws_secretsmanager_secret` (the secret's container; its value is
//! `aws_secretsmanager_secret_version`, which terrane does not manage yet). Deleting schedules
//! deletion after `recovery_window_in_days` (0 deletes at once), and a secret scheduled for
//! deletion reads as gone, as in Terraform.
//!
//! ListSecrets returns name, description, key and tags of 100 secrets per page, so a batched
//! refresh lists once; the resource policy is fetched per secret only where the prior state had
//! one (`policy` is optional+computed, so an omitted policy is never compared).

use crate::clients::{AwsSettings, Clients};
use crate::registry::ResourceType;
use crate::util::{
    already_exists, attr_i64, attr_str, json_value, owned_by, plan_default, plan_json,
    plan_tags_all, prefix_state, prefixed_name, sdk_error, split_tags, string_map, tag_delta,
    tags_with_owner,
};
use async_trait::async_trait;
use aws_sdk_secretsmanager::types::Tag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::BTreeMap;
use terrane_provider::{
    tags_attributes, AttrType, Attribute, Block, CreateRequest, DeleteRequest, ErrorKind, Listed,
    Map, ProviderError, ProviderResult, Schema, UpdateRequest, Value,
};

const TYPE: &str = "aws_secretsmanager_secret";

/// What DescribeSecret and ListSecrets both report.
struct Info {
    arn: String,
    name: String,
    description: Option<String>,
    kms_key_id: Option<String>,
    tags: BTreeMap<String, String>,
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

async fn describe(c: &Clients, id: &str) -> ProviderResult<Option<Info>> {
    match c
        .secretsmanager
        .describe_secret()
        .secret_id(id)
        .send()
        .await
    {
        Ok(r) if r.deleted_date().is_some() => Ok(None),
        Ok(r) => Ok(Some(Info {
            arn: r.arn().unwrap_or_default().to_string(),
            name: r.name().unwrap_or_default().to_string(),
            description: r.description().map(str::to_string),
            kms_key_id: r.kms_key_id().map(str::to_string),
            tags: tag_map(r.tags()),
        })),
        Err(e) => match sdk_error("secretsmanager:DescribeSecret", e) {
            err if err.kind == ErrorKind::NotFound => Ok(None),
            err => Err(err),
        },
    }
}

async fn list_all(c: &Clients) -> ProviderResult<Vec<Info>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let r = c
            .secretsmanager
            .list_secrets()
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| sdk_error("secretsmanager:ListSecrets", e))?;
        for s in r.secret_list() {
            if s.deleted_date().is_some() {
                continue;
            }
            out.push(Info {
                arn: s.arn().unwrap_or_default().to_string(),
                name: s.name().unwrap_or_default().to_string(),
                description: s.description().map(str::to_string),
                kms_key_id: s.kms_key_id().map(str::to_string),
                tags: tag_map(s.tags()),
            });
        }
        token = r.next_token().filter(|t| !t.is_empty()).map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

async fn get_policy(c: &Clients, id: &str) -> ProviderResult<Value> {
    match c
        .secretsmanager
        .get_resource_policy()
        .secret_id(id)
        .send()
        .await
    {
        Ok(r) => Ok(json_value(r.resource_policy())),
        Err(e) => match sdk_error("secretsmanager:GetResourcePolicy", e) {
            err if err.kind == ErrorKind::NotFound => Ok(Value::Null),
            err => Err(err),
        },
    }
}

async fn set_tags(c: &Clients, arn: &str, want: &BTreeMap<String, String>) -> ProviderResult<()> {
    let have = describe(c, arn).await?.map(|i| i.tags).unwrap_or_default();
    let (removed, set) = tag_delta(&have, want);
    if !removed.is_empty() {
        c.secretsmanager
            .untag_resource()
            .secret_id(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| sdk_error("secretsmanager:UntagResource", e))?;
    }
    if !set.is_empty() {
        c.secretsmanager
            .tag_resource()
            .secret_id(arn)
            .set_tags(Some(sm_tags(&set)))
            .send()
            .await
            .map_err(|e| sdk_error("secretsmanager:TagResource", e))?;
    }
    Ok(())
}

fn sm_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// `aws_secretsmanager_secret`.
pub(crate) struct Secret;

impl Secret {
    fn state(&self, settings: &AwsSettings, info: Info, policy: Value, prior: &Value) -> Value {
        let mut m = Map::new();
        m.insert("id".to_string(), Value::string(&info.arn));
        m.insert("arn".into(), Value::string(&info.arn));
        m.insert("name".into(), Value::string(&info.name));
        m.insert(
            "name_prefix".into(),
            prefix_state(prior, "name_prefix", &info.name),
        );
        m.insert(
            "description".into(),
            info.description
                .filter(|d| !d.is_empty())
                .map_or(Value::Null, Value::String),
        );
        m.insert(
            "kms_key_id".into(),
            info.kms_key_id.map_or(Value::Null, Value::String),
        );
        m.insert("policy".into(), policy);
        // Delete-time settings the API does not hold.
        for (k, d) in [
            ("recovery_window_in_days", Value::Number(30.0)),
            ("force_overwrite_replica_secret", Value::Bool(false)),
        ] {
            m.insert(
                k.into(),
                prior.get(k).cloned().filter(|v| !v.is_null()).unwrap_or(d),
            );
        }
        let (own, all) = split_tags(info.tags, &settings.default_tags, prior);
        m.insert("tags".into(), own);
        m.insert("tags_all".into(), all);
        Value::Map(m)
    }

    async fn put_policy(
        &self,
        c: &Clients,
        arn: &str,
        cfg: &Value,
        prior: &Value,
    ) -> ProviderResult<()> {
        let Some(p) = attr_str(cfg, "policy") else {
            return Ok(());
        };
        let have = attr_str(prior, "policy").map(|h| crate::util::normalize_policy(&h));
        if have.as_deref() == Some(crate::util::normalize_policy(&p).as_str()) {
            return Ok(());
        }
        c.secretsmanager
            .put_resource_policy()
            .secret_id(arn)
            .resource_policy(p)
            .send()
            .await
            .map_err(|e| sdk_error("secretsmanager:PutResourcePolicy", e))?;
        Ok(())
    }

    async fn read_arn(&self, c: &Clients, arn: &str, prior: &Value) -> ProviderResult<Value> {
        self.read(c, arn, prior).await?.ok_or_else(|| {
            ProviderError::not_found(format!("secret {arn} disappeared while configuring it"))
        })
    }
}

#[async_trait]
impl ResourceType for Secret {
    fn schema(&self) -> Schema {
        let s = || AttrType::String;
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("name", Attribute::optional_computed(s()).force_new())
            .attr("name_prefix", Attribute::optional_computed(s()).force_new())
            .attr("description", Attribute::optional(s()))
            .attr("kms_key_id", Attribute::optional(s()))
            .attr("policy", Attribute::optional_computed(AttrType::Json))
            .attr(
                "recovery_window_in_days",
                Attribute::optional(AttrType::Number).default(Value::Number(30.0)),
            )
            .attr(
                "force_overwrite_replica_secret",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            );
        Schema::managed(TYPE, tags_attributes(body))
            .crossplane("secretsmanager.aws.upbound.io", "Secret")
            .taggable()
            .import_id("the secret ARN")
    }

    fn plan(&self, settings: &AwsSettings, config: &mut Value) {
        plan_tags_all(&settings.default_tags, config);
        plan_default(config, "recovery_window_in_days", Value::Number(30.0));
        plan_default(config, "force_overwrite_replica_secret", Value::Bool(false));
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
        let name = match attr_str(cfg, "name") {
            Some(n) => n,
            None => {
                // A generated name: find what an interrupted earlier attempt made.
                let owned = list_all(c)
                    .await?
                    .into_iter()
                    .find(|i| owned_by(&i.tags, stack, addr));
                match owned {
                    Some(i) => i.name,
                    None => prefixed_name(
                        &attr_str(cfg, "name_prefix").unwrap_or_else(|| "terraform-".into()),
                    ),
                }
            }
        };
        let r = c
            .secretsmanager
            .create_secret()
            .name(&name)
            .set_description(attr_str(cfg, "description"))
            .set_kms_key_id(attr_str(cfg, "kms_key_id"))
            .set_tags(Some(sm_tags(&tags)))
            .send()
            .await;
        let arn = match r {
            Ok(r) => r
                .arn()
                .ok_or_else(|| ProviderError::other("secretsmanager:CreateSecret returned no ARN"))?
                .to_string(),
            Err(e) if e.code() == Some("ResourceExistsException") => {
                let info = describe(c, &name).await?.ok_or_else(|| {
                    ProviderError::invalid(format!(
                        "secret {name:?} exists but is scheduled for deletion; restore it or \
                         choose another name"
                    ))
                })?;
                if !owned_by(&info.tags, stack, addr) {
                    return Err(already_exists(TYPE, &name));
                }
                c.secretsmanager
                    .update_secret()
                    .secret_id(&info.arn)
                    .set_description(attr_str(cfg, "description"))
                    .set_kms_key_id(attr_str(cfg, "kms_key_id"))
                    .send()
                    .await
                    .map_err(|e| sdk_error("secretsmanager:UpdateSecret", e))?;
                set_tags(c, &info.arn, &tags).await?;
                info.arn
            }
            Err(e) => return Err(sdk_error("secretsmanager:CreateSecret", e)),
        };
        self.put_policy(c, &arn, cfg, &Value::Null).await?;
        self.read_arn(c, &arn, cfg).await
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        let Some(info) = describe(c, id).await? else {
            return Ok(None);
        };
        let policy = get_policy(c, &info.arn).await?;
        Ok(Some(self.state(&c.settings, info, policy, prior)))
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
        let all = match list_all(c).await {
            Ok(a) => a,
            Err(e) => return items.iter().map(|_| Err(e.clone())).collect(),
        };
        let mut by_arn: BTreeMap<String, Info> =
            all.into_iter().map(|i| (i.arn.clone(), i)).collect();
        let mut out = Vec::with_capacity(items.len());
        for (id, prior) in items {
            let Some(info) = by_arn.remove(id) else {
                out.push(Ok(None));
                continue;
            };
            let policy = if prior.get("policy").is_some_and(|p| !p.is_null()) {
                match get_policy(c, id).await {
                    Ok(p) => p,
                    Err(e) => {
                        out.push(Err(e));
                        continue;
                    }
                }
            } else {
                Value::Null
            };
            out.push(Ok(Some(self.state(&c.settings, info, policy, prior))));
        }
        out
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        let (cfg, prior) = (&req.config, &req.prior);
        let description = attr_str(cfg, "description");
        let kms = attr_str(cfg, "kms_key_id");
        if description != attr_str(prior, "description") || kms != attr_str(prior, "kms_key_id") {
            c.secretsmanager
                .update_secret()
                .secret_id(&req.id)
                .description(description.unwrap_or_default())
                .set_kms_key_id(kms)
                .send()
                .await
                .map_err(|e| sdk_error("secretsmanager:UpdateSecret", e))?;
        }
        self.put_policy(c, &req.id, cfg, prior).await?;
        let tags = tags_with_owner(
            &string_map(cfg.get("tags")),
            &c.settings.default_tags,
            &req.owner.stack,
            &req.owner.address,
        );
        set_tags(c, &req.id, &tags).await?;
        self.read_arn(c, &req.id, cfg).await
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        let window = attr_i64(&req.prior, "recovery_window_in_days").unwrap_or(30);
        let mut r = c.secretsmanager.delete_secret().secret_id(&req.id);
        r = if window == 0 {
            r.force_delete_without_recovery(true)
        } else {
            r.recovery_window_in_days(window)
        };
        match r.send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let err = sdk_error("secretsmanager:DeleteSecret", e);
                // Gone, or already scheduled for deletion: done.
                if err.kind == ErrorKind::NotFound || describe(c, &req.id).await?.is_none() {
                    Ok(())
                } else {
                    Err(err)
                }
            }
        }
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        Ok(list_all(c)
            .await?
            .into_iter()
            .map(|i| Listed {
                type_name: TYPE.into(),
                id: i.arn,
                tags: i.tags,
            })
            .collect())
    }
}
