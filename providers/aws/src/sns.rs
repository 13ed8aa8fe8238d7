//! SNS: `aws_sns_topic` and `aws_sns_topic_subscription`. Both are string attribute maps on the
//! wire; a table per type maps them to Terraform's typed attributes, so read, create and update
//! share one description of each attribute.
//!
//! A topic's ARN follows from its name, region and account, so a create first looks the ARN up:
//! a topic that exists with our ownership tag is adopted, one without it is refused. Subscribe is
//! idempotent in SNS (same topic, protocol and endpoint give the same subscription), which makes a
//! retried subscription create safe by itself.

use crate::clients::{AwsSettings, Clients};
use crate::meta::account_id;
use crate::registry::ResourceType;
use crate::tagging;
use crate::util::{
    already_exists, attr_str, json_doc_value, json_value, owned_by, partition, plan_default,
    plan_json, plan_json_doc, plan_tags_all, prefix_state, prefixed_name, sdk_error, split_tags,
    string_map, tag_delta, tags_with_owner,
};
use async_trait::async_trait;
use aws_sdk_sns::types::Tag;
use std::collections::{BTreeMap, HashMap};
use terrane_provider::{
    tags_attributes, AttrType, Attribute, Block, CreateRequest, DeleteRequest, ErrorKind, Listed,
    Map, ProviderError, ProviderResult, Schema, UpdateRequest, Value,
};

/// How a string attribute on the wire maps to a typed attribute.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Str,
    Bool,
    Num,
    /// An IAM-style policy document (compared with `normalize_policy`).
    Json,
    /// Any other JSON document (compared with `canonical_json`).
    Doc,
}

/// A settable attribute: Terraform name, SNS attribute name, type, and whether it is
/// optional+computed (left alone when the configuration omits it) or plain optional (cleared).
struct Spec {
    tf: &'static str,
    aws: &'static str,
    kind: Kind,
    computed: bool,
    /// Terraform's default, filled in at plan time and written on create.
    default: Option<&'static str>,
}

const fn spec(tf: &'static str, aws: &'static str, kind: Kind, computed: bool) -> Spec {
    Spec {
        tf,
        aws,
        kind,
        computed,
        default: None,
    }
}

const TOPIC: [Spec; 7] = [
    spec("display_name", "DisplayName", Kind::Str, false),
    spec("policy", "Policy", Kind::Json, true),
    spec("delivery_policy", "DeliveryPolicy", Kind::Doc, false),
    spec("kms_master_key_id", "KmsMasterKeyId", Kind::Str, false),
    spec("signature_version", "SignatureVersion", Kind::Num, true),
    spec("tracing_config", "TracingConfig", Kind::Str, true),
    Spec {
        default: Some("false"),
        ..spec(
            "content_based_deduplication",
            "ContentBasedDeduplication",
            Kind::Bool,
            false,
        )
    },
];

const SUBSCRIPTION: [Spec; 6] = [
    Spec {
        default: Some("false"),
        ..spec(
            "raw_message_delivery",
            "RawMessageDelivery",
            Kind::Bool,
            false,
        )
    },
    spec("filter_policy", "FilterPolicy", Kind::Doc, false),
    spec("filter_policy_scope", "FilterPolicyScope", Kind::Str, true),
    spec("delivery_policy", "DeliveryPolicy", Kind::Doc, false),
    spec("redrive_policy", "RedrivePolicy", Kind::Doc, false),
    spec(
        "subscription_role_arn",
        "SubscriptionRoleArn",
        Kind::Str,
        false,
    ),
];

fn attr_type(k: Kind) -> AttrType {
    match k {
        Kind::Str => AttrType::String,
        Kind::Bool => AttrType::Bool,
        Kind::Num => AttrType::Number,
        Kind::Json | Kind::Doc => AttrType::Json,
    }
}

fn schema_attrs(mut body: Block, specs: &[Spec]) -> Block {
    for s in specs {
        let mut a = if s.computed {
            Attribute::optional_computed(attr_type(s.kind))
        } else {
            Attribute::optional(attr_type(s.kind))
        };
        if let Some(d) = s.default {
            a = a.default(typed(s.kind, d));
        }
        body = body.attr(s.tf, a);
    }
    body
}

/// A wire string as a typed value (Null for empty).
fn typed(kind: Kind, raw: &str) -> Value {
    if raw.is_empty() {
        return match kind {
            Kind::Bool => Value::Bool(false),
            _ => Value::Null,
        };
    }
    match kind {
        Kind::Str => Value::string(raw),
        Kind::Bool => Value::Bool(raw == "true"),
        Kind::Num => raw.parse().map_or(Value::string(raw), Value::Number),
        Kind::Json => json_value(Some(raw)),
        Kind::Doc => json_doc_value(Some(raw)),
    }
}

/// A configured value as its wire string (None when unset).
fn wire(cfg: &Value, s: &Spec) -> Option<String> {
    attr_str(cfg, s.tf).or_else(|| s.default.map(str::to_string))
}

fn read_specs(m: &mut Map, specs: &[Spec], attrs: &HashMap<String, String>) {
    for s in specs {
        let v = attrs
            .get(s.aws)
            .map_or_else(|| typed(s.kind, ""), |raw| typed(s.kind, raw));
        m.insert(s.tf.to_string(), v);
    }
}

/// The attribute writes that turn `prior` into `cfg`: changed values, and cleared plain
/// optional attributes.
fn changed_attrs(specs: &[Spec], prior: &Value, cfg: &Value) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for s in specs {
        let want = wire(cfg, s);
        let have = attr_str(prior, s.tf);
        let norm = |v: &Option<String>| match (s.kind, v) {
            (Kind::Json, Some(d)) => Some(crate::util::normalize_policy(d)),
            (Kind::Doc, Some(d)) => Some(crate::util::canonical_json(d)),
            (_, v) => v.clone(),
        };
        match want {
            Some(w) if norm(&Some(w.clone())) != norm(&have) => out.push((s.aws, w)),
            None if !s.computed && have.is_some() => out.push((s.aws, String::new())),
            _ => {}
        }
    }
    out
}

async fn topic_tags(c: &Clients, arn: &str) -> ProviderResult<BTreeMap<String, String>> {
    let r = c
        .sns
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| sdk_error("sns:ListTagsForResource", e))?;
    Ok(r.tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

fn sns_tags(tags: &BTreeMap<String, String>) -> ProviderResult<Vec<Tag>> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ProviderError::other(format!("building SNS tags: {e}")))
}

async fn set_topic_tags(
    c: &Clients,
    arn: &str,
    want: &BTreeMap<String, String>,
) -> ProviderResult<()> {
    let have = topic_tags(c, arn).await?;
    let (removed, set) = tag_delta(&have, want);
    if !removed.is_empty() {
        c.sns
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| sdk_error("sns:UntagResource", e))?;
    }
    if !set.is_empty() {
        c.sns
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sns_tags(&set)?))
            .send()
            .await
            .map_err(|e| sdk_error("sns:TagResource", e))?;
    }
    Ok(())
}

/// Topic attributes, or None when the topic does not exist.
async fn topic_attributes(
    c: &Clients,
    arn: &str,
) -> ProviderResult<Option<HashMap<String, String>>> {
    match c.sns.get_topic_attributes().topic_arn(arn).send().await {
        Ok(r) => Ok(Some(r.attributes().cloned().unwrap_or_default())),
        Err(e) => match sdk_error("sns:GetTopicAttributes", e) {
            err if err.kind == ErrorKind::NotFound => Ok(None),
            err => Err(err),
        },
    }
}

/// `aws_sns_topic`.
pub(crate) struct Topic;

impl Topic {
    fn state(
        &self,
        settings: &AwsSettings,
        arn: &str,
        attrs: &HashMap<String, String>,
        tags: BTreeMap<String, String>,
        prior: &Value,
    ) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), Value::string(arn));
        m.insert("arn".into(), Value::string(arn));
        m.insert(
            "name".into(),
            Value::string(arn.rsplit(':').next().unwrap_or_default()),
        );
        m.insert(
            "name_prefix".into(),
            prefix_state(
                prior,
                "name_prefix",
                arn.rsplit(':').next().unwrap_or_default(),
            ),
        );
        m.insert(
            "owner".into(),
            attrs.get("Owner").map_or(Value::Null, Value::string),
        );
        m.insert(
            "fifo_topic".into(),
            Value::Bool(attrs.get("FifoTopic").is_some_and(|v| v == "true")),
        );
        read_specs(&mut m, &TOPIC, attrs);
        let (own, all) = split_tags(tags, &settings.default_tags, prior);
        m.insert("tags".into(), own);
        m.insert("tags_all".into(), all);
        Value::Map(m)
    }

    async fn read_arn(&self, c: &Clients, arn: &str, prior: &Value) -> ProviderResult<Value> {
        self.read(c, arn, prior).await?.ok_or_else(|| {
            ProviderError::not_found(format!("topic {arn} disappeared while configuring it"))
        })
    }
}

#[async_trait]
impl ResourceType for Topic {
    fn schema(&self) -> Schema {
        let s = || AttrType::String;
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("owner", Attribute::computed(s()))
            .attr("name", Attribute::optional_computed(s()).force_new())
            .attr("name_prefix", Attribute::optional_computed(s()).force_new())
            .attr(
                "fifo_topic",
                Attribute::optional(AttrType::Bool)
                    .default(Value::Bool(false))
                    .force_new(),
            );
        Schema::managed("aws_sns_topic", tags_attributes(schema_attrs(body, &TOPIC)))
            .crossplane("sns.aws.upbound.io", "Topic")
            .taggable()
            .import_id("the topic ARN")
    }

    fn plan(&self, settings: &AwsSettings, config: &mut Value) {
        plan_tags_all(&settings.default_tags, config);
        plan_default(config, "fifo_topic", Value::Bool(false));
        plan_default(config, "content_based_deduplication", Value::Bool(false));
        plan_json(config, "policy");
        plan_json_doc(config, "delivery_policy");
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let (stack, addr) = (&req.owner.stack, &req.owner.address);
        let fifo = cfg.get("fifo_topic").and_then(Value::as_bool) == Some(true);
        let name = match attr_str(cfg, "name") {
            Some(n) => n,
            None => {
                let owned = tagging::find_owned(c, "sns", stack, addr).await?;
                match owned.first().and_then(|arn| arn.rsplit(':').next()) {
                    Some(n) => n.to_string(),
                    None => {
                        let n = prefixed_name(
                            &attr_str(cfg, "name_prefix").unwrap_or_else(|| "terraform-".into()),
                        );
                        if fifo {
                            format!("{n}.fifo")
                        } else {
                            n
                        }
                    }
                }
            }
        };
        let tags = tags_with_owner(
            &string_map(cfg.get("tags")),
            &c.settings.default_tags,
            stack,
            addr,
        );
        let account = account_id(c).await?;
        let arn = format!(
            "arn:{}:sns:{}:{account}:{name}",
            partition(&c.region),
            c.region
        );
        if topic_attributes(c, &arn).await?.is_some() {
            if !owned_by(&topic_tags(c, &arn).await?, stack, addr) {
                return Err(already_exists("aws_sns_topic", &name));
            }
            // Adopted: bring its settings in line with the configuration.
            let prior = self.read_arn(c, &arn, &Value::Null).await?;
            for (k, v) in changed_attrs(&TOPIC, &prior, cfg) {
                set_topic_attribute(c, &arn, k, v).await?;
            }
            set_topic_tags(c, &arn, &tags).await?;
        } else {
            let mut attrs: HashMap<String, String> = TOPIC
                .iter()
                .filter_map(|s| wire(cfg, s).map(|v| (s.aws.to_string(), v)))
                .collect();
            if fifo {
                attrs.insert("FifoTopic".into(), "true".into());
            } else {
                attrs.remove("ContentBasedDeduplication");
            }
            let r = c
                .sns
                .create_topic()
                .name(&name)
                .set_attributes(Some(attrs))
                .set_tags(Some(sns_tags(&tags)?))
                .send()
                .await
                .map_err(|e| sdk_error("sns:CreateTopic", e))?;
            if let Some(a) = r.topic_arn() {
                if a != arn {
                    return Err(ProviderError::other(format!(
                        "sns:CreateTopic returned {a}, expected {arn}"
                    )));
                }
            }
        }
        self.read_arn(c, &arn, cfg).await
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        let Some(attrs) = topic_attributes(c, id).await? else {
            return Ok(None);
        };
        let tags = topic_tags(c, id).await?;
        Ok(Some(self.state(&c.settings, id, &attrs, tags, prior)))
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
        let tags = match tagging::tags_by_arn(c, "sns").await {
            Ok(t) => t,
            Err(e) => return items.iter().map(|_| Err(e.clone())).collect(),
        };
        let futs = items.iter().map(|(id, prior)| {
            let tags = &tags;
            async move {
                let Some(attrs) = topic_attributes(c, id).await? else {
                    return Ok(None);
                };
                let t = tags.get(id).cloned().unwrap_or_default();
                Ok(Some(self.state(&c.settings, id, &attrs, t, prior)))
            }
        });
        futures::future::join_all(futs).await
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        for (k, v) in changed_attrs(&TOPIC, &req.prior, &req.config) {
            set_topic_attribute(c, &req.id, k, v).await?;
        }
        let tags = tags_with_owner(
            &string_map(req.config.get("tags")),
            &c.settings.default_tags,
            &req.owner.stack,
            &req.owner.address,
        );
        set_topic_tags(c, &req.id, &tags).await?;
        self.read_arn(c, &req.id, &req.config).await
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        match c.sns.delete_topic().topic_arn(&req.id).send().await {
            Ok(_) => Ok(()),
            Err(e) => match sdk_error("sns:DeleteTopic", e) {
                err if err.kind == ErrorKind::NotFound => Ok(()),
                err => Err(err),
            },
        }
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let tags = tagging::tags_by_arn(c, "sns").await?;
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let r = c
                .sns
                .list_topics()
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| sdk_error("sns:ListTopics", e))?;
            for t in r.topics() {
                if let Some(arn) = t.topic_arn() {
                    out.push(Listed {
                        type_name: "aws_sns_topic".into(),
                        id: arn.to_string(),
                        tags: tags.get(arn).cloned().unwrap_or_default(),
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

async fn set_topic_attribute(c: &Clients, arn: &str, k: &str, v: String) -> ProviderResult<()> {
    c.sns
        .set_topic_attributes()
        .topic_arn(arn)
        .attribute_name(k)
        .attribute_value(v)
        .send()
        .await
        .map_err(|e| sdk_error("sns:SetTopicAttributes", e))?;
    Ok(())
}

/// `aws_sns_topic_subscription`.
pub(crate) struct Subscription;

impl Subscription {
    fn state(&self, arn: &str, attrs: &HashMap<String, String>, prior: &Value) -> Value {
        let mut m = Map::new();
        let get = |k: &str| attrs.get(k).map_or(Value::Null, Value::string);
        m.insert("id".into(), Value::string(arn));
        m.insert("arn".into(), Value::string(arn));
        m.insert("topic_arn".into(), get("TopicArn"));
        m.insert("protocol".into(), get("Protocol"));
        m.insert("endpoint".into(), get("Endpoint"));
        m.insert("owner_id".into(), get("Owner"));
        m.insert(
            "pending_confirmation".into(),
            Value::Bool(
                attrs
                    .get("PendingConfirmation")
                    .is_some_and(|v| v == "true"),
            ),
        );
        m.insert(
            "confirmation_was_authenticated".into(),
            Value::Bool(
                attrs
                    .get("ConfirmationWasAuthenticated")
                    .is_some_and(|v| v == "true"),
            ),
        );
        // Settings that only affect the create call.
        for (k, d) in [
            ("endpoint_auto_confirms", Value::Bool(false)),
            ("confirmation_timeout_in_minutes", Value::Number(1.0)),
        ] {
            m.insert(
                k.into(),
                prior.get(k).cloned().filter(|v| !v.is_null()).unwrap_or(d),
            );
        }
        read_specs(&mut m, &SUBSCRIPTION, attrs);
        Value::Map(m)
    }
}

async fn subscription_attributes(
    c: &Clients,
    arn: &str,
) -> ProviderResult<Option<HashMap<String, String>>> {
    match c
        .sns
        .get_subscription_attributes()
        .subscription_arn(arn)
        .send()
        .await
    {
        Ok(r) => Ok(Some(r.attributes().cloned().unwrap_or_default())),
        Err(e) => match sdk_error("sns:GetSubscriptionAttributes", e) {
            err if err.kind == ErrorKind::NotFound => Ok(None),
            err => Err(err),
        },
    }
}

#[async_trait]
impl ResourceType for Subscription {
    fn schema(&self) -> Schema {
        let s = || AttrType::String;
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("owner_id", Attribute::computed(s()))
            .attr("pending_confirmation", Attribute::computed(AttrType::Bool))
            .attr(
                "confirmation_was_authenticated",
                Attribute::computed(AttrType::Bool),
            )
            .attr("topic_arn", Attribute::required(s()).force_new())
            .attr("protocol", Attribute::required(s()).force_new())
            .attr("endpoint", Attribute::required(s()).force_new())
            .attr(
                "endpoint_auto_confirms",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            )
            .attr(
                "confirmation_timeout_in_minutes",
                Attribute::optional(AttrType::Number).default(Value::Number(1.0)),
            );
        Schema::managed(
            "aws_sns_topic_subscription",
            schema_attrs(body, &SUBSCRIPTION),
        )
        .crossplane("sns.aws.upbound.io", "TopicSubscription")
        .import_id("the subscription ARN")
    }

    fn plan(&self, _settings: &AwsSettings, config: &mut Value) {
        plan_default(config, "raw_message_delivery", Value::Bool(false));
        plan_default(config, "endpoint_auto_confirms", Value::Bool(false));
        plan_default(
            config,
            "confirmation_timeout_in_minutes",
            Value::Number(1.0),
        );
        for k in ["filter_policy", "delivery_policy", "redrive_policy"] {
            plan_json_doc(config, k);
        }
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let need = |k: &str| {
            attr_str(cfg, k).ok_or_else(|| {
                ProviderError::invalid(format!("aws_sns_topic_subscription needs `{k}`"))
            })
        };
        let attrs: HashMap<String, String> = SUBSCRIPTION
            .iter()
            .filter_map(|s| wire(cfg, s).map(|v| (s.aws.to_string(), v)))
            .collect();
        let r = c
            .sns
            .subscribe()
            .topic_arn(need("topic_arn")?)
            .protocol(need("protocol")?)
            .endpoint(need("endpoint")?)
            .set_attributes(Some(attrs))
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(|e| sdk_error("sns:Subscribe", e))?;
        let arn = r
            .subscription_arn()
            .ok_or_else(|| ProviderError::other("sns:Subscribe returned no subscription ARN"))?;
        self.read(c, arn, cfg).await?.ok_or_else(|| {
            ProviderError::not_found(format!("subscription {arn} disappeared after creating it"))
        })
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        Ok(subscription_attributes(c, id)
            .await?
            .map(|a| self.state(id, &a, prior)))
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        for (k, v) in changed_attrs(&SUBSCRIPTION, &req.prior, &req.config) {
            c.sns
                .set_subscription_attributes()
                .subscription_arn(&req.id)
                .attribute_name(k)
                .attribute_value(v)
                .send()
                .await
                .map_err(|e| sdk_error("sns:SetSubscriptionAttributes", e))?;
        }
        self.read(c, &req.id, &req.config)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("subscription {} disappeared", req.id)))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        match c.sns.unsubscribe().subscription_arn(&req.id).send().await {
            Ok(_) => Ok(()),
            Err(e) => match sdk_error("sns:Unsubscribe", e) {
                err if err.kind == ErrorKind::NotFound => Ok(()),
                err => Err(err),
            },
        }
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let r = c
                .sns
                .list_subscriptions()
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| sdk_error("sns:ListSubscriptions", e))?;
            for s in r.subscriptions() {
                if let Some(arn) = s.subscription_arn().filter(|a| a.starts_with("arn:")) {
                    out.push(Listed {
                        type_name: "aws_sns_topic_subscription".into(),
                        id: arn.to_string(),
                        tags: BTreeMap::new(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_or_cleared_attributes_are_written() {
        let prior = Value::map([
            ("display_name", Value::string("old")),
            ("policy", Value::string(r#"{"a":1}"#)),
            ("delivery_policy", Value::string(r#"{"x":1}"#)),
        ]);
        let cfg = Value::map([
            ("display_name", Value::string("new")),
            ("policy", Value::string(r#"{ "a" : 1 }"#)),
        ]);
        let got = changed_attrs(&TOPIC, &prior, &cfg);
        assert!(got.contains(&("DisplayName", "new".to_string())));
        assert!(got.contains(&("DeliveryPolicy", String::new())));
        assert!(!got.iter().any(|(k, _)| *k == "Policy"));
    }
}
