//! CloudWatch Logs: `aws_cloudwatch_log_group`. Retention, KMS key and class are read from
//! DescribeLogGroups, which returns 50 groups per page, so a batched refresh lists the groups
//! once and takes tags from one Resource Groups Tagging call.

use crate::clients::{AwsSettings, Clients};
use crate::registry::ResourceType;
use crate::tagging;
use crate::util::{
    already_exists, attr_bool, attr_i64, attr_str, owned_by, plan_default, plan_tags_all,
    prefix_state, prefixed_name, sdk_error, split_tags, string_map, tag_delta, tags_with_owner,
};
use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::types::{LogGroup as SdkGroup, LogGroupClass};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::{BTreeMap, HashMap};
use terrane_provider::{
    tags_attributes, AttrType, Attribute, Block, CreateRequest, DeleteRequest, ErrorKind, Listed,
    Map, ProviderError, ProviderResult, Schema, UpdateRequest, Value,
};

const TYPE: &str = "aws_cloudwatch_log_group";

/// A log group's ARN without the `:*` that DescribeLogGroups appends.
fn bare_arn(arn: &str) -> String {
    arn.trim_end_matches(":*").to_string()
}

async fn group_tags(c: &Clients, arn: &str) -> ProviderResult<BTreeMap<String, String>> {
    let r = c
        .logs
        .list_tags_for_resource()
        .resource_arn(bare_arn(arn))
        .send()
        .await
        .map_err(|e| sdk_error("logs:ListTagsForResource", e))?;
    Ok(r.tags()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

async fn set_tags(c: &Clients, arn: &str, want: &BTreeMap<String, String>) -> ProviderResult<()> {
    let arn = bare_arn(arn);
    let have = group_tags(c, &arn).await?;
    let (removed, set) = tag_delta(&have, want);
    if !removed.is_empty() {
        c.logs
            .untag_resource()
            .resource_arn(&arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| sdk_error("logs:UntagResource", e))?;
    }
    if !set.is_empty() {
        c.logs
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(set.into_iter().collect()))
            .send()
            .await
            .map_err(|e| sdk_error("logs:TagResource", e))?;
    }
    Ok(())
}

/// Log groups whose names start with `prefix` (all groups when None), by name.
async fn describe(c: &Clients, prefix: Option<&str>) -> ProviderResult<HashMap<String, SdkGroup>> {
    let mut out = HashMap::new();
    let mut token: Option<String> = None;
    loop {
        let r = c
            .logs
            .describe_log_groups()
            .set_log_group_name_prefix(prefix.map(str::to_string))
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| sdk_error("logs:DescribeLogGroups", e))?;
        for g in r.log_groups() {
            if let Some(n) = g.log_group_name() {
                out.insert(n.to_string(), g.clone());
            }
        }
        token = r.next_token().filter(|t| !t.is_empty()).map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

async fn describe_one(c: &Clients, name: &str) -> ProviderResult<Option<SdkGroup>> {
    Ok(describe(c, Some(name)).await?.remove(name))
}

/// `aws_cloudwatch_log_group`.
pub(crate) struct LogGroup;

impl LogGroup {
    fn state(
        &self,
        settings: &AwsSettings,
        g: &SdkGroup,
        tags: BTreeMap<String, String>,
        prior: &Value,
    ) -> Value {
        let name = g.log_group_name().unwrap_or_default();
        let mut m = Map::new();
        m.insert("id".to_string(), Value::string(name));
        m.insert("name".into(), Value::string(name));
        m.insert(
            "name_prefix".into(),
            prefix_state(prior, "name_prefix", name),
        );
        m.insert(
            "arn".into(),
            g.arn().map_or(Value::Null, |a| Value::string(bare_arn(a))),
        );
        m.insert(
            "retention_in_days".into(),
            Value::Number(g.retention_in_days().unwrap_or(0) as f64),
        );
        m.insert(
            "kms_key_id".into(),
            g.kms_key_id().map_or(Value::Null, Value::string),
        );
        m.insert(
            "log_group_class".into(),
            Value::string(g.log_group_class().map_or("STANDARD", |c| c.as_str())),
        );
        m.insert(
            "skip_destroy".into(),
            Value::Bool(attr_bool(prior, "skip_destroy").unwrap_or(false)),
        );
        let (own, all) = split_tags(tags, &settings.default_tags, prior);
        m.insert("tags".into(), own);
        m.insert("tags_all".into(), all);
        Value::Map(m)
    }

    /// Brings retention and the KMS key in line with the configuration.
    async fn converge(
        &self,
        c: &Clients,
        name: &str,
        cfg: &Value,
        prior: &Value,
    ) -> ProviderResult<()> {
        let want = attr_i64(cfg, "retention_in_days").unwrap_or(0);
        if want != attr_i64(prior, "retention_in_days").unwrap_or(0) {
            if want == 0 {
                c.logs
                    .delete_retention_policy()
                    .log_group_name(name)
                    .send()
                    .await
                    .map_err(|e| sdk_error("logs:DeleteRetentionPolicy", e))?;
            } else {
                c.logs
                    .put_retention_policy()
                    .log_group_name(name)
                    .retention_in_days(want as i32)
                    .send()
                    .await
                    .map_err(|e| sdk_error("logs:PutRetentionPolicy", e))?;
            }
        }
        let key = attr_str(cfg, "kms_key_id");
        if key != attr_str(prior, "kms_key_id") {
            match key {
                Some(k) => c
                    .logs
                    .associate_kms_key()
                    .log_group_name(name)
                    .kms_key_id(k)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_error("logs:AssociateKmsKey", e))?,
                None => c
                    .logs
                    .disassociate_kms_key()
                    .log_group_name(name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_error("logs:DisassociateKmsKey", e))?,
            }
        }
        Ok(())
    }

    async fn read_name(&self, c: &Clients, name: &str, prior: &Value) -> ProviderResult<Value> {
        self.read(c, name, prior).await?.ok_or_else(|| {
            ProviderError::not_found(format!("log group {name} disappeared while configuring it"))
        })
    }
}

#[async_trait]
impl ResourceType for LogGroup {
    fn schema(&self) -> Schema {
        let s = || AttrType::String;
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("name", Attribute::optional_computed(s()).force_new())
            .attr("name_prefix", Attribute::optional_computed(s()).force_new())
            .attr(
                "retention_in_days",
                Attribute::optional(AttrType::Number).default(Value::Number(0.0)),
            )
            .attr("kms_key_id", Attribute::optional(s()))
            .attr(
                "log_group_class",
                Attribute::optional_computed(s()).force_new(),
            )
            .attr(
                "skip_destroy",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            );
        Schema::managed(TYPE, tags_attributes(body))
            .crossplane("cloudwatchlogs.aws.upbound.io", "Group")
            .taggable()
            .import_id("the log group name")
    }

    fn plan(&self, settings: &AwsSettings, config: &mut Value) {
        plan_tags_all(&settings.default_tags, config);
        plan_default(config, "retention_in_days", Value::Number(0.0));
        plan_default(config, "skip_destroy", Value::Bool(false));
        plan_default(config, "log_group_class", Value::string("STANDARD"));
        if let Some(n) = attr_str(config, "name") {
            plan_default(config, "id", Value::string(n));
        }
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let (stack, addr) = (&req.owner.stack, &req.owner.address);
        let name = match attr_str(cfg, "name") {
            Some(n) => n,
            None => {
                let owned = tagging::find_owned(c, "logs", stack, addr).await?;
                match owned.first().and_then(|arn| {
                    bare_arn(arn)
                        .split(":log-group:")
                        .nth(1)
                        .map(str::to_string)
                }) {
                    Some(n) => n,
                    None => prefixed_name(
                        &attr_str(cfg, "name_prefix").unwrap_or_else(|| "terraform-".into()),
                    ),
                }
            }
        };
        let tags = tags_with_owner(
            &string_map(cfg.get("tags")),
            &c.settings.default_tags,
            stack,
            addr,
        );
        let mut r = c
            .logs
            .create_log_group()
            .log_group_name(&name)
            .set_kms_key_id(attr_str(cfg, "kms_key_id"))
            .set_tags(Some(tags.clone().into_iter().collect()));
        if let Some(class) = attr_str(cfg, "log_group_class") {
            r = r.log_group_class(LogGroupClass::from(class.as_str()));
        }
        let prior = match r.send().await {
            // CreateLogGroup already set the key: converging must not associate it again.
            Ok(_) => Value::map([(
                "kms_key_id",
                attr_str(cfg, "kms_key_id").map_or(Value::Null, Value::String),
            )]),
            Err(e) if e.code() == Some("ResourceAlreadyExistsException") => {
                let g = describe_one(c, &name).await?.ok_or_else(|| {
                    ProviderError::other(format!("log group {name} exists but cannot be described"))
                })?;
                let arn = g.arn().unwrap_or_default().to_string();
                if !owned_by(&group_tags(c, &arn).await?, stack, addr) {
                    return Err(already_exists(TYPE, &name));
                }
                set_tags(c, &arn, &tags).await?;
                self.state(&c.settings, &g, BTreeMap::new(), &Value::Null)
            }
            Err(e) => return Err(sdk_error("logs:CreateLogGroup", e)),
        };
        self.converge(c, &name, cfg, &prior).await?;
        self.read_name(c, &name, cfg).await
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        let Some(g) = describe_one(c, id).await? else {
            return Ok(None);
        };
        let tags = group_tags(c, g.arn().unwrap_or_default()).await?;
        Ok(Some(self.state(&c.settings, &g, tags, prior)))
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
        let fetched =
            futures::future::try_join(describe(c, None), tagging::tags_by_arn(c, "logs")).await;
        let (groups, tags) = match fetched {
            Ok(x) => x,
            Err(e) => return items.iter().map(|_| Err(e.clone())).collect(),
        };
        let tags: HashMap<String, BTreeMap<String, String>> =
            tags.into_iter().map(|(k, v)| (bare_arn(&k), v)).collect();
        items
            .iter()
            .map(|(id, prior)| {
                let Some(g) = groups.get(id) else {
                    return Ok(None);
                };
                let t = g
                    .arn()
                    .and_then(|a| tags.get(&bare_arn(a)))
                    .cloned()
                    .unwrap_or_default();
                Ok(Some(self.state(&c.settings, g, t, prior)))
            })
            .collect()
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        self.converge(c, &req.id, &req.config, &req.prior).await?;
        let tags = tags_with_owner(
            &string_map(req.config.get("tags")),
            &c.settings.default_tags,
            &req.owner.stack,
            &req.owner.address,
        );
        let arn = match attr_str(&req.prior, "arn") {
            Some(a) => a,
            None => describe_one(c, &req.id)
                .await?
                .and_then(|g| g.arn().map(str::to_string))
                .ok_or_else(|| ProviderError::not_found(format!("log group {} is gone", req.id)))?,
        };
        set_tags(c, &arn, &tags).await?;
        self.read_name(c, &req.id, &req.config).await
    }

    /// `skip_destroy = true` leaves the group (and its logs) in place, as in Terraform.
    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        if attr_bool(&req.prior, "skip_destroy") == Some(true) {
            return Ok(());
        }
        match c
            .logs
            .delete_log_group()
            .log_group_name(&req.id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match sdk_error("logs:DeleteLogGroup", e) {
                err if err.kind == ErrorKind::NotFound => Ok(()),
                err => Err(err),
            },
        }
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let (groups, tags) =
            futures::future::try_join(describe(c, None), tagging::tags_by_arn(c, "logs")).await?;
        let tags: HashMap<String, BTreeMap<String, String>> =
            tags.into_iter().map(|(k, v)| (bare_arn(&k), v)).collect();
        Ok(groups
            .into_iter()
            .map(|(name, g)| Listed {
                type_name: TYPE.into(),
                tags: g
                    .arn()
                    .and_then(|a| tags.get(&bare_arn(a)))
                    .cloned()
                    .unwrap_or_default(),
                id: name,
            })
            .collect())
    }
}
