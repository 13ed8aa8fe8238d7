//! SQS: `aws_sqs_queue` and `aws_sqs_queue_policy`. A queue's settings are all queue attributes
//! (strings on the wire); this module maps them to and from Terraform's typed attributes.
//!
//! Batched refresh: SQS has no call that returns the attributes of several queues, so each
//! queue still costs one GetQueueAttributes, but the tags of every queue come from one Resource
//! Groups Tagging call instead of one ListQueueTags per queue (N+1 calls instead of 2N).

use crate::clients::{AwsSettings, Clients};
use crate::registry::ResourceType;
use crate::tagging;
use crate::util::{
    already_exists, attr_bool, attr_i64, attr_str, json_doc_value, json_value, owned_by,
    plan_default, plan_json, plan_json_doc, plan_tags_all, prefix_state, prefixed_name, sdk_error,
    split_tags, string_map, tag_delta, tags_with_owner,
};
use async_trait::async_trait;
use aws_sdk_sqs::types::QueueAttributeName as Q;
use std::collections::{BTreeMap, HashMap};
use terrane_provider::{
    tags_attributes, AttrType, Attribute, Block, CreateRequest, DeleteRequest, ErrorKind, Listed,
    Map, ProviderError, ProviderResult, Schema, UpdateRequest, Value,
};

/// Numeric queue attributes: (Terraform name, SQS attribute, Terraform's default).
const NUMERIC: [(&str, Q, i64); 5] = [
    ("delay_seconds", Q::DelaySeconds, 0),
    ("max_message_size", Q::MaximumMessageSize, 262_144),
    (
        "message_retention_seconds",
        Q::MessageRetentionPeriod,
        345_600,
    ),
    (
        "receive_wait_time_seconds",
        Q::ReceiveMessageWaitTimeSeconds,
        0,
    ),
    ("visibility_timeout_seconds", Q::VisibilityTimeout, 30),
];

/// JSON document attributes.
const JSON: [(&str, Q); 3] = [
    ("policy", Q::Policy),
    ("redrive_policy", Q::RedrivePolicy),
    ("redrive_allow_policy", Q::RedriveAllowPolicy),
];

/// The queue's name: the last segment of its URL.
fn name_of_url(url: &str) -> &str {
    url.trim_end_matches('/').rsplit('/').next().unwrap_or(url)
}

/// A queue's identity independent of the URL's host form (`account/name`).
fn url_key(url: &str) -> String {
    let mut parts = url.trim_end_matches('/').rsplit('/');
    let name = parts.next().unwrap_or_default();
    let account = parts.next().unwrap_or_default();
    format!("{account}/{name}")
}

/// Normalises a redrive policy: SQS has returned `maxReceiveCount` both as a number and as a
/// string; configurations write a number.
fn normalize_redrive(doc: &str) -> Value {
    let Ok(mut j) = serde_json::from_str::<serde_json::Value>(doc) else {
        return json_doc_value(Some(doc));
    };
    if let Some(o) = j.as_object_mut() {
        for v in o.values_mut() {
            if let Some(n) = v.as_str().and_then(|s| s.parse::<i64>().ok()) {
                *v = serde_json::Value::from(n);
            }
        }
    }
    json_doc_value(Some(&j.to_string()))
}

fn json_attr(name: &str, raw: Option<&String>) -> Value {
    match (name, raw) {
        (_, None) => Value::Null,
        ("redrive_policy", Some(s)) if !s.is_empty() => normalize_redrive(s),
        ("redrive_allow_policy", Some(s)) => json_doc_value(Some(s)),
        (_, Some(s)) => json_value(Some(s)),
    }
}

async fn queue_tags(c: &Clients, url: &str) -> ProviderResult<BTreeMap<String, String>> {
    let r = c
        .sqs
        .list_queue_tags()
        .queue_url(url)
        .send()
        .await
        .map_err(|e| sdk_error("sqs:ListQueueTags", e))?;
    Ok(r.tags()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

async fn set_tags(c: &Clients, url: &str, want: &BTreeMap<String, String>) -> ProviderResult<()> {
    let have = queue_tags(c, url).await?;
    let (removed, set) = tag_delta(&have, want);
    if !removed.is_empty() {
        c.sqs
            .untag_queue()
            .queue_url(url)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| sdk_error("sqs:UntagQueue", e))?;
    }
    if !set.is_empty() {
        c.sqs
            .tag_queue()
            .queue_url(url)
            .set_tags(Some(set.into_iter().collect()))
            .send()
            .await
            .map_err(|e| sdk_error("sqs:TagQueue", e))?;
    }
    Ok(())
}

/// `None` when the queue does not exist.
async fn queue_attributes(c: &Clients, url: &str) -> ProviderResult<Option<HashMap<Q, String>>> {
    match c
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(Q::All)
        .send()
        .await
    {
        Ok(r) => Ok(Some(r.attributes().cloned().unwrap_or_default())),
        Err(e) => {
            let err = sdk_error("sqs:GetQueueAttributes", e);
            if err.kind == ErrorKind::NotFound {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

/// `aws_sqs_queue`.
pub(crate) struct Queue;

impl Queue {
    fn state(
        &self,
        settings: &AwsSettings,
        url: &str,
        attrs: &HashMap<Q, String>,
        tags: BTreeMap<String, String>,
        prior: &Value,
    ) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_string(), v);
        };
        let raw = |a: Q| attrs.get(&a);
        let num = |a: Q| {
            raw(a)
                .and_then(|s| s.parse::<f64>().ok())
                .map(Value::Number)
        };
        let boolean = |a: Q| Value::Bool(raw(a).is_some_and(|s| s == "true"));
        let string = |a: Q| {
            raw(a)
                .filter(|s| !s.is_empty())
                .map_or(Value::Null, |s| Value::string(s.clone()))
        };
        put("id", Value::string(url));
        put("url", Value::string(url));
        put("name", Value::string(name_of_url(url)));
        put(
            "name_prefix",
            prefix_state(prior, "name_prefix", name_of_url(url)),
        );
        put("arn", string(Q::QueueArn));
        for (name, a, default) in NUMERIC {
            put(name, num(a).unwrap_or(Value::Number(default as f64)));
        }
        for (name, a) in JSON {
            put(name, json_attr(name, raw(a)));
        }
        put("fifo_queue", boolean(Q::FifoQueue));
        put(
            "content_based_deduplication",
            boolean(Q::ContentBasedDeduplication),
        );
        put("deduplication_scope", string(Q::DeduplicationScope));
        put("fifo_throughput_limit", string(Q::FifoThroughputLimit));
        put("kms_master_key_id", string(Q::KmsMasterKeyId));
        put(
            "kms_data_key_reuse_period_seconds",
            num(Q::KmsDataKeyReusePeriodSeconds).unwrap_or(Value::Number(300.0)),
        );
        put("sqs_managed_sse_enabled", boolean(Q::SqsManagedSseEnabled));
        let (own, all) = split_tags(tags, &settings.default_tags, prior);
        put("tags", own);
        put("tags_all", all);
        Value::Map(m)
    }

    /// Queue attributes from the configuration. `create` adds the create-only ones.
    fn desired(&self, cfg: &Value, create: bool) -> HashMap<Q, String> {
        let mut out = HashMap::new();
        for (name, a, default) in NUMERIC {
            out.insert(a, attr_i64(cfg, name).unwrap_or(default).to_string());
        }
        for (name, a) in JSON {
            if let Some(doc) = attr_str(cfg, name) {
                out.insert(a, doc);
            }
        }
        let fifo = attr_bool(cfg, "fifo_queue") == Some(true);
        if fifo {
            if create {
                out.insert(Q::FifoQueue, "true".into());
            }
            let cbd = attr_bool(cfg, "content_based_deduplication").unwrap_or(false);
            out.insert(Q::ContentBasedDeduplication, cbd.to_string());
            if let Some(s) = attr_str(cfg, "deduplication_scope") {
                out.insert(Q::DeduplicationScope, s);
            }
            if let Some(s) = attr_str(cfg, "fifo_throughput_limit") {
                out.insert(Q::FifoThroughputLimit, s);
            }
        }
        if let Some(k) = attr_str(cfg, "kms_master_key_id") {
            out.insert(Q::KmsMasterKeyId, k);
        }
        if let Some(n) = attr_i64(cfg, "kms_data_key_reuse_period_seconds") {
            out.insert(Q::KmsDataKeyReusePeriodSeconds, n.to_string());
        }
        if let Some(b) = attr_bool(cfg, "sqs_managed_sse_enabled") {
            out.insert(Q::SqsManagedSseEnabled, b.to_string());
        }
        out
    }

    async fn read_url(&self, c: &Clients, url: &str, prior: &Value) -> ProviderResult<Value> {
        self.read(c, url, prior).await?.ok_or_else(|| {
            ProviderError::not_found(format!("queue {url} disappeared while configuring it"))
        })
    }
}

#[async_trait]
impl ResourceType for Queue {
    fn schema(&self) -> Schema {
        let s = || AttrType::String;
        let mut body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("url", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("name", Attribute::optional_computed(s()).force_new())
            .attr("name_prefix", Attribute::optional_computed(s()).force_new())
            .attr(
                "fifo_queue",
                Attribute::optional(AttrType::Bool)
                    .default(Value::Bool(false))
                    .force_new(),
            )
            .attr(
                "content_based_deduplication",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            )
            .attr("deduplication_scope", Attribute::optional_computed(s()))
            .attr("fifo_throughput_limit", Attribute::optional_computed(s()))
            .attr("kms_master_key_id", Attribute::optional_computed(s()))
            .attr(
                "kms_data_key_reuse_period_seconds",
                Attribute::optional_computed(AttrType::Number),
            )
            .attr(
                "sqs_managed_sse_enabled",
                Attribute::optional_computed(AttrType::Bool),
            );
        for (name, _, default) in NUMERIC {
            body = body.attr(
                name,
                Attribute::optional(AttrType::Number).default(Value::Number(default as f64)),
            );
        }
        for (name, _) in JSON {
            body = body.attr(name, Attribute::optional_computed(AttrType::Json));
        }
        Schema::managed("aws_sqs_queue", tags_attributes(body))
            .crossplane("sqs.aws.upbound.io", "Queue")
            .taggable()
            .import_id("the queue URL")
    }

    fn plan(&self, settings: &AwsSettings, config: &mut Value) {
        plan_tags_all(&settings.default_tags, config);
        for (name, _, default) in NUMERIC {
            plan_default(config, name, Value::Number(default as f64));
        }
        plan_default(config, "fifo_queue", Value::Bool(false));
        plan_default(config, "content_based_deduplication", Value::Bool(false));
        for (name, _) in JSON {
            if name == "redrive_policy" {
                if let Some(Value::String(s)) = config.get(name).cloned() {
                    if let Some(m) = config.as_map_mut() {
                        m.insert(name.into(), normalize_redrive(&s));
                    }
                }
            } else if name == "redrive_allow_policy" {
                plan_json_doc(config, name);
            } else {
                plan_json(config, name);
            }
        }
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let (stack, addr) = (&req.owner.stack, &req.owner.address);
        let fifo = attr_bool(cfg, "fifo_queue") == Some(true);
        let name = match attr_str(cfg, "name") {
            Some(n) => n,
            None => {
                let owned = tagging::find_owned(c, "sqs:queue", stack, addr).await?;
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
        if fifo != name.ends_with(".fifo") {
            return Err(ProviderError::invalid(format!(
                "queue name {name:?}: a FIFO queue's name must end in \".fifo\" and only a FIFO \
                 queue's may (set fifo_queue = {})",
                !fifo
            )));
        }
        let tags = tags_with_owner(
            &string_map(cfg.get("tags")),
            &c.settings.default_tags,
            stack,
            addr,
        );
        let existing = match c.sqs.get_queue_url().queue_name(&name).send().await {
            Ok(r) => r.queue_url().map(str::to_string),
            Err(e) => {
                let err = sdk_error("sqs:GetQueueUrl", e);
                if err.kind != ErrorKind::NotFound {
                    return Err(err);
                }
                None
            }
        };
        let url = if let Some(url) = existing {
            // Adopt what a crashed run made; refuse anything else.
            if !owned_by(&queue_tags(c, &url).await?, stack, addr) {
                return Err(already_exists("aws_sqs_queue", &name));
            }
            c.sqs
                .set_queue_attributes()
                .queue_url(&url)
                .set_attributes(Some(self.desired(cfg, false)))
                .send()
                .await
                .map_err(|e| sdk_error("sqs:SetQueueAttributes", e))?;
            set_tags(c, &url, &tags).await?;
            url
        } else {
            let r = c
                .sqs
                .create_queue()
                .queue_name(&name)
                .set_attributes(Some(self.desired(cfg, true)))
                .set_tags(Some(tags.into_iter().collect()))
                .send()
                .await
                .map_err(|e| sdk_error("sqs:CreateQueue", e))?;
            r.queue_url()
                .ok_or_else(|| ProviderError::other("sqs:CreateQueue returned no queue URL"))?
                .to_string()
        };
        self.read_url(c, &url, cfg).await
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        let Some(attrs) = queue_attributes(c, id).await? else {
            return Ok(None);
        };
        let tags = queue_tags(c, id).await?;
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
        let tags = match tagging::tags_by_arn(c, "sqs:queue").await {
            Ok(t) => t,
            Err(e) => return items.iter().map(|_| Err(e.clone())).collect(),
        };
        let futs = items.iter().map(|(id, prior)| {
            let tags = &tags;
            async move {
                let Some(attrs) = queue_attributes(c, id).await? else {
                    return Ok(None);
                };
                let t = attrs
                    .get(&Q::QueueArn)
                    .and_then(|arn| tags.get(arn))
                    .cloned()
                    .unwrap_or_default();
                Ok(Some(self.state(&c.settings, id, &attrs, t, prior)))
            }
        });
        futures::future::join_all(futs).await
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        c.sqs
            .set_queue_attributes()
            .queue_url(&req.id)
            .set_attributes(Some(self.desired(&req.config, false)))
            .send()
            .await
            .map_err(|e| sdk_error("sqs:SetQueueAttributes", e))?;
        let tags = tags_with_owner(
            &string_map(req.config.get("tags")),
            &c.settings.default_tags,
            &req.owner.stack,
            &req.owner.address,
        );
        set_tags(c, &req.id, &tags).await?;
        self.read_url(c, &req.id, &req.config).await
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        match c.sqs.delete_queue().queue_url(&req.id).send().await {
            Ok(_) => Ok(()),
            Err(e) => match sdk_error("sqs:DeleteQueue", e) {
                err if err.kind == ErrorKind::NotFound => Ok(()),
                err => Err(err),
            },
        }
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let urls = list_queue_urls(c).await?;
        let tags = tagging::tags_by_arn(c, "sqs:queue").await?;
        let by_key: HashMap<String, BTreeMap<String, String>> = tags
            .into_iter()
            .map(|(arn, t)| {
                // arn:aws:sqs:REGION:ACCOUNT:NAME -> ACCOUNT/NAME
                let mut p = arn.rsplit(':');
                let name = p.next().unwrap_or_default().to_string();
                let account = p.next().unwrap_or_default();
                (format!("{account}/{name}"), t)
            })
            .collect();
        Ok(urls
            .into_iter()
            .map(|url| Listed {
                type_name: "aws_sqs_queue".into(),
                tags: by_key.get(&url_key(&url)).cloned().unwrap_or_default(),
                id: url,
            })
            .collect())
    }
}

async fn list_queue_urls(c: &Clients) -> ProviderResult<Vec<String>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let r = c
            .sqs
            .list_queues()
            .max_results(1000)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| sdk_error("sqs:ListQueues", e))?;
        out.extend(r.queue_urls().iter().cloned());
        token = r.next_token().filter(|t| !t.is_empty()).map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// `aws_sqs_queue_policy`: the queue's Policy attribute as a resource of its own. It does not
/// list for the unmanaged report: it is part of its queue, which `aws_sqs_queue` lists (listing
/// every queue as a candidate reported each queue's policy as unmanaged, managed queues too).
pub(crate) struct QueuePolicy;

impl QueuePolicy {
    async fn put(&self, c: &Clients, cfg: &Value) -> ProviderResult<Value> {
        let url = attr_str(cfg, "queue_url")
            .ok_or_else(|| ProviderError::invalid("aws_sqs_queue_policy needs `queue_url`"))?;
        let policy = attr_str(cfg, "policy")
            .ok_or_else(|| ProviderError::invalid("aws_sqs_queue_policy needs `policy`"))?;
        c.sqs
            .set_queue_attributes()
            .queue_url(&url)
            .attributes(Q::Policy, policy)
            .send()
            .await
            .map_err(|e| sdk_error("sqs:SetQueueAttributes", e))?;
        self.read(c, &url, cfg).await?.ok_or_else(|| {
            ProviderError::not_found(format!("queue {url} disappeared while setting its policy"))
        })
    }
}

#[async_trait]
impl ResourceType for QueuePolicy {
    fn schema(&self) -> Schema {
        let body = Block::new()
            .attr("id", Attribute::computed(AttrType::String))
            .attr(
                "queue_url",
                Attribute::required(AttrType::String).force_new(),
            )
            .attr("policy", Attribute::required(AttrType::Json));
        Schema::managed("aws_sqs_queue_policy", body)
            .crossplane("sqs.aws.upbound.io", "QueuePolicy")
            .import_id("the queue URL")
    }

    fn plan(&self, _settings: &AwsSettings, config: &mut Value) {
        plan_json(config, "policy");
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        self.put(c, &req.config).await
    }

    async fn read(&self, c: &Clients, id: &str, _prior: &Value) -> ProviderResult<Option<Value>> {
        let Some(attrs) = queue_attributes(c, id).await? else {
            return Ok(None);
        };
        let policy = json_attr("policy", attrs.get(&Q::Policy));
        if policy.is_null() {
            return Ok(None);
        }
        Ok(Some(Value::map([
            ("id", Value::string(id)),
            ("queue_url", Value::string(id)),
            ("policy", policy),
        ])))
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        self.put(c, &req.config).await
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        let r = c
            .sqs
            .set_queue_attributes()
            .queue_url(&req.id)
            .attributes(Q::Policy, "")
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) => match sdk_error("sqs:SetQueueAttributes", e) {
                err if err.kind == ErrorKind::NotFound => Ok(()),
                err => Err(err),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redrive_counts_read_as_numbers() {
        let a = normalize_redrive(r#"{"maxReceiveCount":"4","deadLetterTargetArn":"arn:x"}"#);
        let b = normalize_redrive(r#"{"deadLetterTargetArn": "arn:x", "maxReceiveCount": 4}"#);
        assert_eq!(a, b);
    }

    #[test]
    fn queue_identity_ignores_the_host() {
        assert_eq!(
            url_key("https://sqs.us-east-1.amazonaws.com/123456789012/q1"),
            url_key("http://127.0.0.1:5000/123456789012/q1")
        );
        assert_eq!(name_of_url("http://h/1/q.fifo"), "q.fifo");
    }
}
