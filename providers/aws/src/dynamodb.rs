//! `aws_dynamodb_table`, with the Terraform AWS provider's attribute names and defaults.
//!
//! A table's name is unique per region, so a create retried after a crash finds it by name and
//! adopts it when it carries our `terrane:address` tag. Optional sub-features that AWS always
//! reports (`ttl`, `point_in_time_recovery`, `server_side_encryption`) are returned only when
//! enabled or when the prior state had them, so a config that leaves them out never shows a
//! diff. Updates are applied one UpdateTable call at a time, waiting for the table to be ACTIVE
//! in between, as DynamoDB requires.

use crate::clients::{AwsSettings, Clients};
use crate::registry::ResourceType;
use crate::util::{
    attr_str, block_list, bool_or, opt_i64, owned_by, plan_default, plan_tags_all, read_tags,
    req_str, sdk_error, set_value, str_list, string_map, tags_with_owner,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction,
    DeleteGlobalSecondaryIndexAction, GlobalSecondaryIndex, GlobalSecondaryIndexUpdate,
    KeySchemaElement, KeyType, LocalSecondaryIndex, PointInTimeRecoverySpecification, Projection,
    ProjectionType, ProvisionedThroughput, ScalarAttributeType, SseSpecification,
    StreamSpecification, StreamViewType, TableClass, TableDescription, TableStatus, Tag,
    TimeToLiveSpecification, UpdateGlobalSecondaryIndexAction,
};
use std::collections::BTreeMap;
use std::time::Duration;
use terrane_provider::{
    AttrType, Attribute, Block, BlockSchema, CreateRequest, DeleteRequest, ErrorKind, Listed, Map,
    Owner, ProviderError, ProviderResult, Schema, UpdateRequest, Value,
};

pub(crate) struct Table;

const TYPE: &str = "aws_dynamodb_table";

fn s() -> AttrType {
    AttrType::String
}
fn n() -> AttrType {
    AttrType::Number
}
fn build_err(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::invalid(format!("{TYPE}: {e}"))
}

fn key_schema(hash: &str, range: Option<&str>) -> ProviderResult<Vec<KeySchemaElement>> {
    let mut v = vec![KeySchemaElement::builder()
        .attribute_name(hash)
        .key_type(KeyType::Hash)
        .build()
        .map_err(build_err)?];
    if let Some(r) = range {
        v.push(
            KeySchemaElement::builder()
                .attribute_name(r)
                .key_type(KeyType::Range)
                .build()
                .map_err(build_err)?,
        );
    }
    Ok(v)
}

fn projection(b: &Value) -> Projection {
    let pt = attr_str(b, "projection_type").unwrap_or_else(|| "ALL".into());
    let nka = str_list(b.get("non_key_attributes"));
    Projection::builder()
        .projection_type(ProjectionType::from(pt.as_str()))
        .set_non_key_attributes((!nka.is_empty()).then_some(nka))
        .build()
}

fn throughput(b: &Value) -> ProviderResult<Option<ProvisionedThroughput>> {
    match (opt_i64(b, "read_capacity"), opt_i64(b, "write_capacity")) {
        (None, None) => Ok(None),
        (r, w) => ProvisionedThroughput::builder()
            .read_capacity_units(r.unwrap_or(0))
            .write_capacity_units(w.unwrap_or(0))
            .build()
            .map(Some)
            .map_err(build_err),
    }
}

fn is_on_demand(config: &Value) -> bool {
    attr_str(config, "billing_mode").as_deref() == Some("PAY_PER_REQUEST")
}

fn attribute_definitions(config: &Value) -> ProviderResult<Vec<AttributeDefinition>> {
    block_list(config, "attribute")
        .into_iter()
        .map(|a| {
            AttributeDefinition::builder()
                .attribute_name(req_str(a, "name", "aws_dynamodb_table attribute")?)
                .attribute_type(ScalarAttributeType::from(
                    req_str(a, "type", "aws_dynamodb_table attribute")?.as_str(),
                ))
                .build()
                .map_err(build_err)
        })
        .collect()
}

fn gsi(b: &Value, on_demand: bool) -> ProviderResult<GlobalSecondaryIndex> {
    let hash = req_str(b, "hash_key", "global_secondary_index")?;
    let mut g = GlobalSecondaryIndex::builder()
        .index_name(req_str(b, "name", "global_secondary_index")?)
        .set_key_schema(Some(key_schema(
            &hash,
            attr_str(b, "range_key").as_deref(),
        )?))
        .projection(projection(b));
    if !on_demand {
        g = g.set_provisioned_throughput(throughput(b)?);
    }
    g.build().map_err(build_err)
}

fn dynamo_tags(m: &BTreeMap<String, String>) -> Vec<Tag> {
    m.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// Everything a read needs, fetched with four calls.
struct Snapshot {
    table: TableDescription,
    ttl: Option<(String, bool)>,
    pitr: bool,
    tags: BTreeMap<String, String>,
}

impl Table {
    async fn describe(c: &Clients, name: &str) -> ProviderResult<Option<TableDescription>> {
        match c.dynamodb.describe_table().table_name(name).send().await {
            Ok(out) => Ok(out.table().cloned()),
            Err(e) => {
                let e = sdk_error("DescribeTable", e);
                if e.kind == ErrorKind::NotFound {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn snapshot(c: &Clients, name: &str) -> ProviderResult<Option<Snapshot>> {
        let Some(table) = Self::describe(c, name).await? else {
            return Ok(None);
        };
        let ttl = c
            .dynamodb
            .describe_time_to_live()
            .table_name(name)
            .send()
            .await
            .map_err(|e| sdk_error("DescribeTimeToLive", e))?;
        let ttl = ttl.time_to_live_description().map(|d| {
            use aws_sdk_dynamodb::types::TimeToLiveStatus as T;
            let enabled = matches!(d.time_to_live_status(), Some(T::Enabled | T::Enabling));
            (d.attribute_name().unwrap_or_default().to_string(), enabled)
        });
        let pitr = c
            .dynamodb
            .describe_continuous_backups()
            .table_name(name)
            .send()
            .await
            .map_err(|e| sdk_error("DescribeContinuousBackups", e))?
            .continuous_backups_description()
            .and_then(|d| d.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status())
            .is_some_and(|s| s.as_str() == "ENABLED");
        let arn = table.table_arn().unwrap_or_default().to_string();
        let mut tags = BTreeMap::new();
        let mut next: Option<String> = None;
        loop {
            let out = c
                .dynamodb
                .list_tags_of_resource()
                .resource_arn(&arn)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| sdk_error("ListTagsOfResource", e))?;
            tags.extend(
                out.tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string())),
            );
            match out.next_token() {
                Some(t) => next = Some(t.to_string()),
                None => break,
            }
        }
        Ok(Some(Snapshot {
            table,
            ttl,
            pitr,
            tags,
        }))
    }

    fn to_value(c: &Clients, snap: &Snapshot, prior: &Value) -> Value {
        let t = &snap.table;
        let on_demand = t
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .is_some_and(|m| *m == BillingMode::PayPerRequest);
        let cap = |p: Option<&aws_sdk_dynamodb::types::ProvisionedThroughputDescription>,
                   read: bool| {
            let v = p.and_then(|p| {
                if read {
                    p.read_capacity_units()
                } else {
                    p.write_capacity_units()
                }
            });
            // On-demand tables have no provisioned capacity: whatever the API still reports
            // (0, or an index's old capacity after a switch from PROVISIONED) is not a value.
            match v {
                _ if on_demand => Value::Null,
                Some(v) => Value::Number(v as f64),
                None => Value::Null,
            }
        };
        let key = |ks: &[KeySchemaElement], kt: KeyType| {
            ks.iter()
                .find(|k| *k.key_type() == kt)
                .map(|k| Value::string(k.attribute_name()))
                .unwrap_or(Value::Null)
        };
        let proj = |p: Option<&Projection>| {
            (
                p.and_then(|p| p.projection_type())
                    .map(|t| Value::string(t.as_str()))
                    .unwrap_or(Value::Null),
                set_value(p.map(|p| p.non_key_attributes()).unwrap_or_default()),
            )
        };
        let (tags, tags_all) = read_tags(snap.tags.clone(), &c.settings.default_tags, prior);
        let mut m = Map::new();
        let name = t.table_name().unwrap_or_default();
        m.insert("id".to_string(), Value::string(name));
        m.insert("name".into(), Value::string(name));
        m.insert(
            "arn".into(),
            Value::string(t.table_arn().unwrap_or_default()),
        );
        m.insert("hash_key".into(), key(t.key_schema(), KeyType::Hash));
        m.insert("range_key".into(), key(t.key_schema(), KeyType::Range));
        m.insert(
            "billing_mode".into(),
            Value::string(if on_demand {
                "PAY_PER_REQUEST"
            } else {
                "PROVISIONED"
            }),
        );
        m.insert(
            "read_capacity".into(),
            cap(t.provisioned_throughput(), true),
        );
        m.insert(
            "write_capacity".into(),
            cap(t.provisioned_throughput(), false),
        );
        m.insert(
            "attribute".into(),
            Value::List(
                t.attribute_definitions()
                    .iter()
                    .map(|a| {
                        Value::map([
                            ("name", Value::string(a.attribute_name())),
                            ("type", Value::string(a.attribute_type().as_str())),
                        ])
                    })
                    .collect(),
            ),
        );
        m.insert(
            "global_secondary_index".into(),
            Value::List(
                t.global_secondary_indexes()
                    .iter()
                    .map(|g| {
                        let (pt, nka) = proj(g.projection());
                        Value::map([
                            ("name", Value::string(g.index_name().unwrap_or_default())),
                            ("hash_key", key(g.key_schema(), KeyType::Hash)),
                            ("range_key", key(g.key_schema(), KeyType::Range)),
                            ("projection_type", pt),
                            ("non_key_attributes", nka),
                            ("read_capacity", cap(g.provisioned_throughput(), true)),
                            ("write_capacity", cap(g.provisioned_throughput(), false)),
                        ])
                    })
                    .collect(),
            ),
        );
        m.insert(
            "local_secondary_index".into(),
            Value::List(
                t.local_secondary_indexes()
                    .iter()
                    .map(|l| {
                        let (pt, nka) = proj(l.projection());
                        Value::map([
                            ("name", Value::string(l.index_name().unwrap_or_default())),
                            ("range_key", key(l.key_schema(), KeyType::Range)),
                            ("projection_type", pt),
                            ("non_key_attributes", nka),
                        ])
                    })
                    .collect(),
            ),
        );
        let stream = t.stream_specification();
        let stream_on = stream.is_some_and(|s| s.stream_enabled());
        m.insert("stream_enabled".into(), Value::Bool(stream_on));
        m.insert(
            "stream_view_type".into(),
            stream
                .filter(|_| stream_on)
                .and_then(|s| s.stream_view_type())
                .map(|v| Value::string(v.as_str()))
                .unwrap_or(Value::Null),
        );
        m.insert(
            "stream_arn".into(),
            t.latest_stream_arn()
                .map(Value::string)
                .unwrap_or(Value::Null),
        );
        m.insert(
            "stream_label".into(),
            t.latest_stream_label()
                .map(Value::string)
                .unwrap_or(Value::Null),
        );
        m.insert(
            "table_class".into(),
            Value::string(
                t.table_class_summary()
                    .and_then(|c| c.table_class())
                    .map(|c| c.as_str())
                    .unwrap_or("STANDARD"),
            ),
        );
        m.insert(
            "deletion_protection_enabled".into(),
            Value::Bool(t.deletion_protection_enabled().unwrap_or(false)),
        );
        let had = |k: &str| !block_list(prior, k).is_empty();
        if let Some((attr, enabled)) = &snap.ttl {
            if *enabled || had("ttl") {
                m.insert(
                    "ttl".into(),
                    Value::List(vec![Value::map([
                        ("attribute_name", Value::string(attr)),
                        ("enabled", Value::Bool(*enabled)),
                    ])]),
                );
            }
        }
        if snap.pitr || had("point_in_time_recovery") {
            m.insert(
                "point_in_time_recovery".into(),
                Value::List(vec![Value::map([("enabled", Value::Bool(snap.pitr))])]),
            );
        }
        let sse = t.sse_description();
        let sse_on = sse
            .and_then(|s| s.status())
            .is_some_and(|s| matches!(s.as_str(), "ENABLED" | "ENABLING" | "UPDATING"));
        if sse_on || had("server_side_encryption") {
            m.insert(
                "server_side_encryption".into(),
                Value::List(vec![Value::map([
                    ("enabled", Value::Bool(sse_on)),
                    (
                        "kms_key_arn",
                        sse.and_then(|s| s.kms_master_key_arn())
                            .map(Value::string)
                            .unwrap_or(Value::Null),
                    ),
                ])]),
            );
        }
        m.insert("tags".into(), tags);
        m.insert("tags_all".into(), tags_all);
        Value::Map(m)
    }

    /// Polls until the table and its indexes are ACTIVE (DynamoDB takes one change at a time).
    async fn wait_active(c: &Clients, name: &str) -> ProviderResult<()> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30 * 60);
        let mut delay = Duration::from_millis(200);
        loop {
            let Some(t) = Self::describe(c, name).await? else {
                return Err(ProviderError::not_found(format!(
                    "DynamoDB table {name} is gone"
                )));
            };
            let table_ok = t.table_status() == Some(&TableStatus::Active);
            let idx_ok = t.global_secondary_indexes().iter().all(|g| {
                g.index_status()
                    .is_none_or(|s| *s == aws_sdk_dynamodb::types::IndexStatus::Active)
            });
            if table_ok && idx_ok {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(ProviderError::other(format!(
                    "DynamoDB table {name} did not become ACTIVE within 30 minutes"
                )));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(10));
        }
    }

    async fn reconcile(
        c: &Clients,
        name: &str,
        config: &Value,
        owner: &Owner,
    ) -> ProviderResult<()> {
        let snap = Self::snapshot(c, name)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("DynamoDB table {name} is gone")))?;
        let cur = Self::to_value(c, &snap, config);
        let on_demand = is_on_demand(config);
        let upd = || c.dynamodb.update_table().table_name(name);

        // Billing mode and table capacity.
        let want_mode = if on_demand {
            "PAY_PER_REQUEST"
        } else {
            "PROVISIONED"
        };
        let cap_differs = !on_demand
            && (opt_i64(config, "read_capacity") != opt_i64(&cur, "read_capacity")
                || opt_i64(config, "write_capacity") != opt_i64(&cur, "write_capacity"));
        if cur.get_str("billing_mode") != Some(want_mode) || cap_differs {
            let mut b = upd().billing_mode(BillingMode::from(want_mode));
            if !on_demand {
                b = b.set_provisioned_throughput(throughput(config)?);
            }
            b.send().await.map_err(|e| sdk_error("UpdateTable", e))?;
            Self::wait_active(c, name).await?;
        }

        // Global secondary indexes: one change per UpdateTable call.
        let want: BTreeMap<String, &Value> = block_list(config, "global_secondary_index")
            .into_iter()
            .filter_map(|g| Some((attr_str(g, "name")?, g)))
            .collect();
        let have: Map = block_list(&cur, "global_secondary_index")
            .into_iter()
            .filter_map(|g| Some((attr_str(g, "name")?, g.clone())))
            .collect();
        let shape = |g: &Value| {
            (
                attr_str(g, "hash_key"),
                attr_str(g, "range_key"),
                attr_str(g, "projection_type").unwrap_or_else(|| "ALL".into()),
                {
                    let mut v = str_list(g.get("non_key_attributes"));
                    v.sort();
                    v
                },
            )
        };
        for (gname, g) in &have {
            if want.get(gname).is_none_or(|w| shape(w) != shape(g)) {
                upd()
                    .global_secondary_index_updates(
                        GlobalSecondaryIndexUpdate::builder()
                            .delete(
                                DeleteGlobalSecondaryIndexAction::builder()
                                    .index_name(gname)
                                    .build()
                                    .map_err(build_err)?,
                            )
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| sdk_error("UpdateTable", e))?;
                Self::wait_active(c, name).await?;
            }
        }
        for (gname, w) in &want {
            match have.get(gname) {
                Some(g) if shape(w) == shape(g) => {
                    let changed = !on_demand
                        && (opt_i64(w, "read_capacity") != opt_i64(g, "read_capacity")
                            || opt_i64(w, "write_capacity") != opt_i64(g, "write_capacity"));
                    if changed {
                        let tp = throughput(w)?.ok_or_else(|| {
                            build_err(format!(
                                "index {gname} needs read_capacity and write_capacity"
                            ))
                        })?;
                        upd()
                            .global_secondary_index_updates(
                                GlobalSecondaryIndexUpdate::builder()
                                    .update(
                                        UpdateGlobalSecondaryIndexAction::builder()
                                            .index_name(gname)
                                            .provisioned_throughput(tp)
                                            .build()
                                            .map_err(build_err)?,
                                    )
                                    .build(),
                            )
                            .send()
                            .await
                            .map_err(|e| sdk_error("UpdateTable", e))?;
                        Self::wait_active(c, name).await?;
                    }
                }
                _ => {
                    let built = gsi(w, on_demand)?;
                    let hash = req_str(w, "hash_key", "global_secondary_index")?;
                    let create = CreateGlobalSecondaryIndexAction::builder()
                        .index_name(gname)
                        .set_key_schema(Some(key_schema(
                            &hash,
                            attr_str(w, "range_key").as_deref(),
                        )?))
                        .projection(projection(w))
                        .set_provisioned_throughput(built.provisioned_throughput().cloned())
                        .build()
                        .map_err(build_err)?;
                    upd()
                        .set_attribute_definitions(Some(attribute_definitions(config)?))
                        .global_secondary_index_updates(
                            GlobalSecondaryIndexUpdate::builder().create(create).build(),
                        )
                        .send()
                        .await
                        .map_err(|e| sdk_error("UpdateTable", e))?;
                    Self::wait_active(c, name).await?;
                }
            }
        }

        // Streams.
        let want_stream = bool_or(config, "stream_enabled", false);
        let want_view = attr_str(config, "stream_view_type");
        if bool_or(&cur, "stream_enabled", false) != want_stream
            || (want_stream && cur.get_str("stream_view_type").map(str::to_string) != want_view)
        {
            let mut spec = StreamSpecification::builder().stream_enabled(want_stream);
            if want_stream {
                spec = spec.set_stream_view_type(want_view.as_deref().map(StreamViewType::from));
            }
            upd()
                .stream_specification(spec.build().map_err(build_err)?)
                .send()
                .await
                .map_err(|e| sdk_error("UpdateTable", e))?;
            Self::wait_active(c, name).await?;
        }

        // Table class and deletion protection.
        let want_class = attr_str(config, "table_class").unwrap_or_else(|| "STANDARD".into());
        if cur.get_str("table_class") != Some(want_class.as_str()) {
            upd()
                .table_class(TableClass::from(want_class.as_str()))
                .send()
                .await
                .map_err(|e| sdk_error("UpdateTable", e))?;
            Self::wait_active(c, name).await?;
        }
        let want_dp = bool_or(config, "deletion_protection_enabled", false);
        if bool_or(&cur, "deletion_protection_enabled", false) != want_dp {
            upd()
                .deletion_protection_enabled(want_dp)
                .send()
                .await
                .map_err(|e| sdk_error("UpdateTable", e))?;
        }

        // Server-side encryption (only when the config says something about it).
        if let Some(sse) = block_list(config, "server_side_encryption").first() {
            let want_on = bool_or(sse, "enabled", false);
            let have_on = block_list(&cur, "server_side_encryption")
                .first()
                .is_some_and(|s| bool_or(s, "enabled", false));
            let want_key = attr_str(sse, "kms_key_arn");
            let have_key = block_list(&cur, "server_side_encryption")
                .first()
                .and_then(|s| attr_str(s, "kms_key_arn"));
            if want_on != have_on || (want_key.is_some() && want_key != have_key) {
                let mut spec = SseSpecification::builder().enabled(want_on);
                if want_on {
                    if let Some(k) = &want_key {
                        spec = spec
                            .sse_type(aws_sdk_dynamodb::types::SseType::Kms)
                            .kms_master_key_id(k);
                    }
                }
                upd()
                    .sse_specification(spec.build())
                    .send()
                    .await
                    .map_err(|e| sdk_error("UpdateTable", e))?;
                Self::wait_active(c, name).await?;
            }
        }

        // Time to live.
        let want_ttl = block_list(config, "ttl").first().map(|t| {
            (
                attr_str(t, "attribute_name").unwrap_or_default(),
                bool_or(t, "enabled", false),
            )
        });
        let have_ttl = snap.ttl.clone().filter(|(_, on)| *on).map(|(a, _)| a);
        // Enable the configured attribute; disable only when the config says enabled = false
        // (a config without a ttl block leaves TTL alone, as Terraform does).
        let ttl_change = match (&want_ttl, &have_ttl) {
            (Some((attr, true)), have) if have.as_ref() != Some(attr) => Some((attr.clone(), true)),
            (Some((_, false)), Some(have)) => Some((have.clone(), false)),
            _ => None,
        };
        if let Some((attr, enabled)) = ttl_change {
            c.dynamodb
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(attr)
                        .enabled(enabled)
                        .build()
                        .map_err(build_err)?,
                )
                .send()
                .await
                .map_err(|e| sdk_error("UpdateTimeToLive", e))?;
        }

        // Point-in-time recovery.
        let want_pitr = block_list(config, "point_in_time_recovery")
            .first()
            .map(|p| bool_or(p, "enabled", false));
        if let Some(want) = want_pitr {
            if want != snap.pitr {
                c.dynamodb
                    .update_continuous_backups()
                    .table_name(name)
                    .point_in_time_recovery_specification(
                        PointInTimeRecoverySpecification::builder()
                            .point_in_time_recovery_enabled(want)
                            .build()
                            .map_err(build_err)?,
                    )
                    .send()
                    .await
                    .map_err(|e| sdk_error("UpdateContinuousBackups", e))?;
            }
        }

        // Tags.
        let arn = snap.table.table_arn().unwrap_or_default().to_string();
        let desired = tags_with_owner(
            &string_map(config.get("tags")),
            &c.settings.default_tags,
            &owner.stack,
            &owner.address,
        );
        let set: BTreeMap<String, String> = desired
            .iter()
            .filter(|(k, v)| snap.tags.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let remove: Vec<String> = snap
            .tags
            .keys()
            .filter(|k| !desired.contains_key(*k))
            .cloned()
            .collect();
        if !set.is_empty() {
            c.dynamodb
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(dynamo_tags(&set)))
                .send()
                .await
                .map_err(|e| sdk_error("TagResource", e))?;
        }
        if !remove.is_empty() {
            c.dynamodb
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(|e| sdk_error("UntagResource", e))?;
        }
        Ok(())
    }

    async fn read_value(c: &Clients, name: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        Ok(Self::snapshot(c, name)
            .await?
            .map(|s| Self::to_value(c, &s, prior)))
    }
}

#[async_trait]
impl ResourceType for Table {
    fn schema(&self) -> Schema {
        let gsi = Block::new()
            .attr("name", Attribute::required(s()))
            .attr("hash_key", Attribute::required(s()))
            .attr("range_key", Attribute::optional(s()))
            .attr("projection_type", Attribute::required(s()))
            .attr(
                "non_key_attributes",
                Attribute::optional(AttrType::Set(Box::new(s()))),
            )
            .attr("read_capacity", Attribute::optional(n()))
            .attr("write_capacity", Attribute::optional(n()));
        let lsi = Block::new()
            .attr("name", Attribute::required(s()))
            .attr("range_key", Attribute::required(s()))
            .attr("projection_type", Attribute::required(s()))
            .attr(
                "non_key_attributes",
                Attribute::optional(AttrType::List(Box::new(s()))),
            );
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("stream_arn", Attribute::computed(s()))
            .attr("stream_label", Attribute::computed(s()))
            .attr("name", Attribute::required(s()).force_new())
            .attr("hash_key", Attribute::required(s()).force_new())
            .attr("range_key", Attribute::optional(s()).force_new())
            .attr(
                "billing_mode",
                Attribute::optional(s()).default(Value::string("PROVISIONED")),
            )
            .attr("read_capacity", Attribute::optional_computed(n()))
            .attr("write_capacity", Attribute::optional_computed(n()))
            .attr(
                "stream_enabled",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            )
            .attr("stream_view_type", Attribute::optional_computed(s()))
            .attr(
                "table_class",
                Attribute::optional(s()).default(Value::string("STANDARD")),
            )
            .attr(
                "deletion_protection_enabled",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            )
            .block(
                "attribute",
                BlockSchema::set(
                    Block::new()
                        .attr("name", Attribute::required(s()))
                        .attr("type", Attribute::required(s())),
                ),
            )
            .block("global_secondary_index", BlockSchema::set(gsi))
            .block("local_secondary_index", BlockSchema::set(lsi).force_new())
            .block(
                "ttl",
                BlockSchema::single(
                    Block::new()
                        .attr("attribute_name", Attribute::optional(s()))
                        .attr(
                            "enabled",
                            Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
                        ),
                ),
            )
            .block(
                "point_in_time_recovery",
                BlockSchema::single(
                    Block::new().attr("enabled", Attribute::required(AttrType::Bool)),
                ),
            )
            .block(
                "server_side_encryption",
                BlockSchema::single(
                    Block::new()
                        .attr("enabled", Attribute::required(AttrType::Bool))
                        .attr("kms_key_arn", Attribute::optional_computed(s())),
                ),
            );
        Schema::managed(TYPE, terrane_provider::tags_attributes(body))
            .crossplane("dynamodb.aws.upbound.io", "Table")
            .taggable()
            .import_id("the table name")
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let name = req_str(cfg, "name", TYPE)?;
        if let Some(t) = Self::describe(c, &name).await? {
            let arn = t.table_arn().unwrap_or_default();
            let tags = c
                .dynamodb
                .list_tags_of_resource()
                .resource_arn(arn)
                .send()
                .await
                .map_err(|e| sdk_error("ListTagsOfResource", e))?;
            let tags: BTreeMap<String, String> = tags
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            if !owned_by(&tags, &req.owner.stack, &req.owner.address) {
                return Err(ProviderError::invalid(format!(
                    "DynamoDB table {name:?} already exists and was not created by terrane for {} \
                     (no matching terrane:address tag); import it with `terrane state import {} {name}` or choose another name",
                    req.owner.address, req.owner.address
                )));
            }
            Self::wait_active(c, &name).await?;
        } else {
            let on_demand = is_on_demand(cfg);
            let hash = req_str(cfg, "hash_key", TYPE)?;
            let mut b = c
                .dynamodb
                .create_table()
                .table_name(&name)
                .set_attribute_definitions(Some(attribute_definitions(cfg)?))
                .set_key_schema(Some(key_schema(
                    &hash,
                    attr_str(cfg, "range_key").as_deref(),
                )?))
                .billing_mode(if on_demand {
                    BillingMode::PayPerRequest
                } else {
                    BillingMode::Provisioned
                })
                .table_class(TableClass::from(
                    attr_str(cfg, "table_class")
                        .unwrap_or_else(|| "STANDARD".into())
                        .as_str(),
                ))
                .deletion_protection_enabled(bool_or(cfg, "deletion_protection_enabled", false))
                .set_tags(Some(dynamo_tags(&tags_with_owner(
                    &string_map(cfg.get("tags")),
                    &c.settings.default_tags,
                    &req.owner.stack,
                    &req.owner.address,
                ))));
            if !on_demand {
                b = b.set_provisioned_throughput(
                    throughput(cfg)?.or(Some(
                        ProvisionedThroughput::builder()
                            .read_capacity_units(0)
                            .write_capacity_units(0)
                            .build()
                            .map_err(build_err)?,
                    )),
                );
            }
            for g in block_list(cfg, "global_secondary_index") {
                b = b.global_secondary_indexes(gsi(g, on_demand)?);
            }
            for l in block_list(cfg, "local_secondary_index") {
                b = b.local_secondary_indexes(
                    LocalSecondaryIndex::builder()
                        .index_name(req_str(l, "name", "local_secondary_index")?)
                        .set_key_schema(Some(key_schema(
                            &hash,
                            Some(&req_str(l, "range_key", "local_secondary_index")?),
                        )?))
                        .projection(projection(l))
                        .build()
                        .map_err(build_err)?,
                );
            }
            if bool_or(cfg, "stream_enabled", false) {
                b = b.stream_specification(
                    StreamSpecification::builder()
                        .stream_enabled(true)
                        .set_stream_view_type(
                            attr_str(cfg, "stream_view_type")
                                .as_deref()
                                .map(StreamViewType::from),
                        )
                        .build()
                        .map_err(build_err)?,
                );
            }
            if let Some(sse) = block_list(cfg, "server_side_encryption").first() {
                if bool_or(sse, "enabled", false) {
                    let mut spec = SseSpecification::builder().enabled(true);
                    if let Some(k) = attr_str(sse, "kms_key_arn") {
                        spec = spec
                            .sse_type(aws_sdk_dynamodb::types::SseType::Kms)
                            .kms_master_key_id(k);
                    }
                    b = b.sse_specification(spec.build());
                }
            }
            b.send().await.map_err(|e| sdk_error("CreateTable", e))?;
            Self::wait_active(c, &name).await?;
        }
        Self::reconcile(c, &name, cfg, &req.owner).await?;
        Self::read_value(c, &name, cfg).await?.ok_or_else(|| {
            ProviderError::other(format!("DynamoDB table {name} vanished after create"))
        })
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        Self::read_value(c, id, prior).await
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        Self::reconcile(c, &req.id, &req.config, &req.owner).await?;
        Self::read_value(c, &req.id, &req.config)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("DynamoDB table {} is gone", req.id)))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        match c.dynamodb.delete_table().table_name(&req.id).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = sdk_error("DeleteTable", e);
                if e.kind == ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let mut out = Vec::new();
        let mut start: Option<String> = None;
        let account = Self::account(c).await?;
        loop {
            let page = c
                .dynamodb
                .list_tables()
                .set_exclusive_start_table_name(start.take())
                .send()
                .await
                .map_err(|e| sdk_error("ListTables", e))?;
            for name in page.table_names() {
                let arn = format!("arn:aws:dynamodb:{}:{account}:table/{name}", c.region);
                let tags = c
                    .dynamodb
                    .list_tags_of_resource()
                    .resource_arn(arn)
                    .send()
                    .await
                    .map(|t| {
                        t.tags()
                            .iter()
                            .map(|t| (t.key().to_string(), t.value().to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                out.push(Listed {
                    type_name: TYPE.into(),
                    id: name.clone(),
                    tags,
                });
            }
            match page.last_evaluated_table_name() {
                Some(n) => start = Some(n.to_string()),
                None => break,
            }
        }
        Ok(out)
    }

    fn plan(&self, settings: &AwsSettings, config: &mut Value) {
        plan_default(config, "billing_mode", Value::string("PROVISIONED"));
        plan_default(config, "stream_enabled", Value::Bool(false));
        plan_default(config, "table_class", Value::string("STANDARD"));
        plan_default(config, "deletion_protection_enabled", Value::Bool(false));
        let name = config.get("name").cloned().unwrap_or(Value::Unknown);
        plan_default(config, "id", name);
        plan_tags_all(&settings.default_tags, config);
    }
}

impl Table {
    async fn account(c: &Clients) -> ProviderResult<String> {
        let id = c
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| sdk_error("GetCallerIdentity", e))?;
        Ok(id.account().unwrap_or_default().to_string())
    }
}
