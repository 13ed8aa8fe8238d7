//! SSM Parameter Store: `aws_ssm_parameter`. The value is sensitive in the schema, so plans,
//! logs and errors never show it; it is read with decryption so that a SecureString changed
//! behind terrane's back still shows as drift (masked).
//!
//! A parameter's state comes from two APIs: GetParameter(s) (value, type, version, ARN) and
//! DescribeParameters (description, key, tier, pattern). Both take many names per call (10 and
//! 50), and tags come from one Resource Groups Tagging call, so refreshing N parameters costs
//! about N/10 + N/50 + 1 calls.

use crate::clients::{AwsSettings, Clients};
use crate::registry::ResourceType;
use crate::tagging;
use crate::util::{
    already_exists, attr_str, owned_by, plan_default, plan_tags_all, sdk_error, split_tags,
    string_map, tag_delta, tags_with_owner,
};
use async_trait::async_trait;
use aws_sdk_ssm::types::{
    Parameter, ParameterMetadata, ParameterStringFilter, ParameterTier, ParameterType,
    ResourceTypeForTagging, Tag,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::{BTreeMap, HashMap};
use terrane_provider::{
    tags_attributes, AttrType, Attribute, Block, CreateRequest, DeleteRequest, ErrorKind, Listed,
    Map, ProviderError, ProviderResult, Schema, UpdateRequest, Value,
};

const TYPE: &str = "aws_ssm_parameter";

async fn param_tags(c: &Clients, name: &str) -> ProviderResult<BTreeMap<String, String>> {
    let r = c
        .ssm
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id(name)
        .send()
        .await
        .map_err(|e| sdk_error("ssm:ListTagsForResource", e))?;
    Ok(r.tag_list()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

async fn set_tags(c: &Clients, name: &str, want: &BTreeMap<String, String>) -> ProviderResult<()> {
    let have = param_tags(c, name).await?;
    let (removed, set) = tag_delta(&have, want);
    if !removed.is_empty() {
        c.ssm
            .remove_tags_from_resource()
            .resource_type(ResourceTypeForTagging::Parameter)
            .resource_id(name)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| sdk_error("ssm:RemoveTagsFromResource", e))?;
    }
    if !set.is_empty() {
        c.ssm
            .add_tags_to_resource()
            .resource_type(ResourceTypeForTagging::Parameter)
            .resource_id(name)
            .set_tags(Some(ssm_tags(&set)?))
            .send()
            .await
            .map_err(|e| sdk_error("ssm:AddTagsToResource", e))?;
    }
    Ok(())
}

fn ssm_tags(tags: &BTreeMap<String, String>) -> ProviderResult<Vec<Tag>> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ProviderError::other(format!("building SSM tags: {e}")))
}

/// Metadata of the named parameters, 50 names per DescribeParameters filter.
async fn describe(
    c: &Clients,
    names: &[String],
) -> ProviderResult<HashMap<String, ParameterMetadata>> {
    let mut out = HashMap::new();
    for chunk in names.chunks(50) {
        let mut token: Option<String> = None;
        loop {
            let filter = ParameterStringFilter::builder()
                .key("Name")
                .option("Equals")
                .set_values(Some(chunk.to_vec()))
                .build()
                .map_err(|e| ProviderError::other(format!("building an SSM filter: {e}")))?;
            let r = c
                .ssm
                .describe_parameters()
                .parameter_filters(filter)
                .max_results(50)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| sdk_error("ssm:DescribeParameters", e))?;
            for m in r.parameters() {
                if let Some(n) = m.name() {
                    out.insert(n.to_string(), m.clone());
                }
            }
            token = r.next_token().filter(|t| !t.is_empty()).map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(out)
}

/// Values of the named parameters (decrypted), 10 names per GetParameters call.
async fn get_values(c: &Clients, names: &[String]) -> ProviderResult<HashMap<String, Parameter>> {
    let mut out = HashMap::new();
    for chunk in names.chunks(10) {
        let r = c
            .ssm
            .get_parameters()
            .set_names(Some(chunk.to_vec()))
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| sdk_error("ssm:GetParameters", e))?;
        for p in r.parameters() {
            if let Some(n) = p.name() {
                out.insert(n.to_string(), p.clone());
            }
        }
    }
    Ok(out)
}

/// A parameter's name as it appears in its ARN (`...:parameter/NAME`, where a leading `/` of
/// the name is not doubled), the key that matches tagging results to parameters.
fn name_key(name: &str) -> &str {
    name.trim_start_matches('/')
}

/// Tagging results keyed by `name_key` (DescribeParameters does not always report ARNs).
fn tags_by_name(
    by_arn: HashMap<String, BTreeMap<String, String>>,
) -> HashMap<String, BTreeMap<String, String>> {
    by_arn
        .into_iter()
        .filter_map(|(arn, t)| {
            let (_, name) = arn.split_once(":parameter/")?;
            Some((name_key(name).to_string(), t))
        })
        .collect()
}

/// `aws_ssm_parameter`.
pub(crate) struct SsmParameter;

impl SsmParameter {
    fn state(
        &self,
        settings: &AwsSettings,
        p: &Parameter,
        meta: Option<&ParameterMetadata>,
        tags: BTreeMap<String, String>,
        prior: &Value,
    ) -> Value {
        let s = |v: Option<&str>| {
            v.filter(|x| !x.is_empty())
                .map_or(Value::Null, Value::string)
        };
        let name = p.name().unwrap_or_default();
        let value = s(p.value());
        // The value goes where the configuration put it.
        let insecure = prior.get("insecure_value").is_some_and(|v| !v.is_null());
        let mut m = Map::new();
        m.insert("id".to_string(), Value::string(name));
        m.insert("name".into(), Value::string(name));
        m.insert("arn".into(), s(p.arn()));
        m.insert("type".into(), s(p.r#type().map(|t| t.as_str())));
        m.insert("version".into(), Value::Number(p.version() as f64));
        m.insert(
            "data_type".into(),
            p.data_type().map_or(Value::string("text"), Value::string),
        );
        m.insert("value".into(), value.clone());
        m.insert(
            "insecure_value".into(),
            if insecure { value } else { Value::Null },
        );
        m.insert("description".into(), s(meta.and_then(|m| m.description())));
        m.insert(
            "allowed_pattern".into(),
            s(meta.and_then(|m| m.allowed_pattern())),
        );
        m.insert(
            "tier".into(),
            Value::string(
                meta.and_then(|m| m.tier())
                    .map_or("Standard", |t| t.as_str()),
            ),
        );
        let key = meta
            .and_then(|m| m.key_id())
            .filter(|_| p.r#type() == Some(&ParameterType::SecureString));
        m.insert("key_id".into(), s(key));
        m.insert(
            "overwrite".into(),
            prior.get("overwrite").cloned().unwrap_or(Value::Null),
        );
        let (own, all) = split_tags(tags, &settings.default_tags, prior);
        m.insert("tags".into(), own);
        m.insert("tags_all".into(), all);
        Value::Map(m)
    }

    /// PutParameter from the configuration (tags are not allowed together with overwrite).
    async fn put(
        &self,
        c: &Clients,
        cfg: &Value,
        overwrite: bool,
        tags: Option<&BTreeMap<String, String>>,
    ) -> Result<
        (),
        aws_sdk_ssm::error::SdkError<aws_sdk_ssm::operation::put_parameter::PutParameterError>,
    > {
        let value = attr_str(cfg, "value")
            .or_else(|| attr_str(cfg, "insecure_value"))
            .unwrap_or_default();
        let mut r = c
            .ssm
            .put_parameter()
            .name(attr_str(cfg, "name").unwrap_or_default())
            .value(value)
            .r#type(ParameterType::from(
                attr_str(cfg, "type")
                    .unwrap_or_else(|| "String".into())
                    .as_str(),
            ))
            .overwrite(overwrite)
            .set_description(attr_str(cfg, "description"))
            .set_allowed_pattern(attr_str(cfg, "allowed_pattern"))
            .set_data_type(attr_str(cfg, "data_type"));
        if attr_str(cfg, "type").as_deref() == Some("SecureString") {
            r = r.set_key_id(attr_str(cfg, "key_id"));
        }
        if let Some(t) = attr_str(cfg, "tier") {
            r = r.tier(ParameterTier::from(t.as_str()));
        }
        if let Some(tags) = tags {
            r = r.set_tags(ssm_tags(tags).ok());
        }
        r.send().await.map(|_| ())
    }

    async fn read_name(&self, c: &Clients, name: &str, prior: &Value) -> ProviderResult<Value> {
        self.read(c, name, prior).await?.ok_or_else(|| {
            ProviderError::not_found(format!("parameter {name} disappeared while writing it"))
        })
    }
}

#[async_trait]
impl ResourceType for SsmParameter {
    fn schema(&self) -> Schema {
        let s = || AttrType::String;
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("version", Attribute::computed(AttrType::Number))
            .attr("name", Attribute::required(s()).force_new())
            .attr("type", Attribute::required(s()))
            .attr("value", Attribute::optional_computed(s()).sensitive())
            .attr("insecure_value", Attribute::optional_computed(s()))
            .attr("description", Attribute::optional(s()))
            .attr("allowed_pattern", Attribute::optional(s()))
            .attr("key_id", Attribute::optional_computed(s()))
            .attr("tier", Attribute::optional_computed(s()))
            .attr("data_type", Attribute::optional_computed(s()).force_new())
            .attr("overwrite", Attribute::optional(AttrType::Bool));
        Schema::managed(TYPE, tags_attributes(body))
            .crossplane("ssm.aws.upbound.io", "Parameter")
            .taggable()
            .import_id("the parameter name")
    }

    fn plan(&self, settings: &AwsSettings, config: &mut Value) {
        plan_tags_all(&settings.default_tags, config);
        plan_default(config, "tier", Value::string("Standard"));
        plan_default(config, "data_type", Value::string("text"));
        if let Some(n) = attr_str(config, "name") {
            plan_default(config, "id", Value::string(n));
        }
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let (stack, addr) = (&req.owner.stack, &req.owner.address);
        let name = attr_str(cfg, "name")
            .ok_or_else(|| ProviderError::invalid("aws_ssm_parameter needs `name`"))?;
        if attr_str(cfg, "value").is_none() && attr_str(cfg, "insecure_value").is_none() {
            return Err(ProviderError::invalid(format!(
                "aws_ssm_parameter {name:?} needs `value` or `insecure_value`"
            )));
        }
        let tags = tags_with_owner(
            &string_map(cfg.get("tags")),
            &c.settings.default_tags,
            stack,
            addr,
        );
        match self.put(c, cfg, false, Some(&tags)).await {
            Ok(()) => {}
            Err(e) if e.code() == Some("ParameterAlreadyExists") => {
                // Adopt what a crashed run made; refuse anything else.
                if !owned_by(&param_tags(c, &name).await?, stack, addr) {
                    return Err(already_exists(TYPE, &name));
                }
                self.put(c, cfg, true, None)
                    .await
                    .map_err(|e| sdk_error("ssm:PutParameter", e))?;
                set_tags(c, &name, &tags).await?;
            }
            Err(e) => return Err(sdk_error("ssm:PutParameter", e)),
        }
        self.read_name(c, &name, cfg).await
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        let p = match c
            .ssm
            .get_parameter()
            .name(id)
            .with_decryption(true)
            .send()
            .await
        {
            Ok(r) => match r.parameter() {
                Some(p) => p.clone(),
                None => return Ok(None),
            },
            Err(e) => match sdk_error("ssm:GetParameter", e) {
                err if err.kind == ErrorKind::NotFound => return Ok(None),
                err => return Err(err),
            },
        };
        let meta = describe(c, &[id.to_string()]).await?;
        let tags = param_tags(c, id).await?;
        Ok(Some(self.state(&c.settings, &p, meta.get(id), tags, prior)))
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
        let names: Vec<String> = items.iter().map(|(id, _)| id.clone()).collect();
        let fetched = futures::future::try_join3(
            get_values(c, &names),
            describe(c, &names),
            tagging::tags_by_arn(c, "ssm:parameter"),
        )
        .await;
        let (values, metas, tags) = match fetched {
            Ok((v, m, t)) => (v, m, tags_by_name(t)),
            Err(e) => return items.iter().map(|_| Err(e.clone())).collect(),
        };
        items
            .iter()
            .map(|(id, prior)| {
                let Some(p) = values.get(id) else {
                    return Ok(None);
                };
                let t = tags.get(name_key(id)).cloned().unwrap_or_default();
                Ok(Some(self.state(&c.settings, p, metas.get(id), t, prior)))
            })
            .collect()
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        self.put(c, &req.config, true, None)
            .await
            .map_err(|e| sdk_error("ssm:PutParameter", e))?;
        let tags = tags_with_owner(
            &string_map(req.config.get("tags")),
            &c.settings.default_tags,
            &req.owner.stack,
            &req.owner.address,
        );
        set_tags(c, &req.id, &tags).await?;
        self.read_name(c, &req.id, &req.config).await
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        match c.ssm.delete_parameter().name(&req.id).send().await {
            Ok(_) => Ok(()),
            Err(e) => match sdk_error("ssm:DeleteParameter", e) {
                err if err.kind == ErrorKind::NotFound => Ok(()),
                err => Err(err),
            },
        }
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let tags = tags_by_name(tagging::tags_by_arn(c, "ssm:parameter").await?);
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let r = c
                .ssm
                .describe_parameters()
                .max_results(50)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| sdk_error("ssm:DescribeParameters", e))?;
            for m in r.parameters() {
                if let Some(n) = m.name() {
                    out.push(Listed {
                        type_name: TYPE.into(),
                        id: n.to_string(),
                        tags: tags.get(name_key(n)).cloned().unwrap_or_default(),
                    });
                }
            }
            token = r.next_token().filter(|t| !t.is_empty()).map(str::to_string);
            if token.is_none() {
                return Ok(out);
            }
        }
    }
}
