//! Data sources about the account and region itself: `aws_caller_identity`, `aws_region` and
//! `aws_availability_zones`. Configurations use them to build ARNs and spread subnets, so they
//! follow Terraform's attribute names exactly.

use crate::clients::Clients;
use crate::registry::ResourceType;
use crate::util::{attr_bool, attr_str, blocks, sdk_error};
use async_trait::async_trait;
use std::collections::BTreeSet;
use terrane_provider::{
    AttrType, Attribute, Block, BlockSchema, ProviderError, ProviderResult, Schema, Value,
};

/// The account the credentials belong to (one STS call).
pub(crate) async fn account_id(c: &Clients) -> ProviderResult<String> {
    let r = c
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| sdk_error("sts:GetCallerIdentity", e))?;
    r.account()
        .map(str::to_string)
        .ok_or_else(|| ProviderError::other("sts:GetCallerIdentity returned no account"))
}

fn list_of_strings() -> AttrType {
    AttrType::List(Box::new(AttrType::String))
}

fn strings(items: impl IntoIterator<Item = String>) -> Value {
    Value::List(items.into_iter().map(Value::String).collect())
}

fn string_list(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_list)
        .map(|l| l.iter().filter_map(Value::to_string_lossy).collect())
        .unwrap_or_default()
}

/// `data "aws_caller_identity"`.
pub(crate) struct CallerIdentity;

#[async_trait]
impl ResourceType for CallerIdentity {
    fn schema(&self) -> Schema {
        let body = Block::new()
            .attr("id", Attribute::computed(AttrType::String))
            .attr("account_id", Attribute::computed(AttrType::String))
            .attr("arn", Attribute::computed(AttrType::String))
            .attr("user_id", Attribute::computed(AttrType::String));
        Schema::data("aws_caller_identity", body)
    }

    async fn read_data(&self, c: &Clients, _config: &Value) -> ProviderResult<Value> {
        let r = c
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| sdk_error("sts:GetCallerIdentity", e))?;
        let s = |v: Option<&str>| v.map_or(Value::Null, Value::string);
        Ok(Value::map([
            ("id", s(r.account())),
            ("account_id", s(r.account())),
            ("arn", s(r.arn())),
            ("user_id", s(r.user_id())),
        ]))
    }
}

/// `data "aws_region"`: the provider's region (or the one asked for), without a network call.
pub(crate) struct Region;

#[async_trait]
impl ResourceType for Region {
    fn schema(&self) -> Schema {
        let body = Block::new()
            .attr("id", Attribute::computed(AttrType::String))
            .attr("name", Attribute::optional_computed(AttrType::String))
            .attr("region", Attribute::optional_computed(AttrType::String))
            .attr("endpoint", Attribute::optional_computed(AttrType::String))
            .attr("description", Attribute::computed(AttrType::String));
        Schema::data("aws_region", body)
    }

    async fn read_data(&self, c: &Clients, config: &Value) -> ProviderResult<Value> {
        let region = attr_str(config, "region")
            .or_else(|| attr_str(config, "name"))
            .unwrap_or_else(|| c.region.clone());
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        let endpoint = format!("ec2.{region}.{suffix}");
        if let Some(want) = attr_str(config, "endpoint") {
            if want != endpoint {
                return Err(ProviderError::invalid(format!(
                    "no region has endpoint {want:?} (region {region} has {endpoint})"
                )));
            }
        }
        Ok(Value::map([
            ("id", Value::string(&region)),
            ("name", Value::string(&region)),
            ("region", Value::string(&region)),
            ("endpoint", Value::string(endpoint)),
            ("description", Value::string(region_description(&region))),
        ]))
    }
}

fn region_description(region: &str) -> String {
    match region {
        "us-east-1" => "US East (N. Virginia)",
        "us-east-2" => "US East (Ohio)",
        "us-west-1" => "US West (N. California)",
        "us-west-2" => "US West (Oregon)",
        "eu-west-1" => "Europe (Ireland)",
        "eu-west-2" => "Europe (London)",
        "eu-west-3" => "Europe (Paris)",
        "eu-central-1" => "Europe (Frankfurt)",
        "eu-north-1" => "Europe (Stockholm)",
        "ap-south-1" => "Asia Pacific (Mumbai)",
        "ap-northeast-1" => "Asia Pacific (Tokyo)",
        "ap-northeast-2" => "Asia Pacific (Seoul)",
        "ap-southeast-1" => "Asia Pacific (Singapore)",
        "ap-southeast-2" => "Asia Pacific (Sydney)",
        "ca-central-1" => "Canada (Central)",
        "sa-east-1" => "South America (Sao Paulo)",
        other => other,
    }
    .to_string()
}

/// `data "aws_availability_zones"`.
pub(crate) struct AvailabilityZones;

#[async_trait]
impl ResourceType for AvailabilityZones {
    fn schema(&self) -> Schema {
        let filter = Block::new()
            .attr("name", Attribute::required(AttrType::String))
            .attr("values", Attribute::required(list_of_strings()));
        let body = Block::new()
            .attr("id", Attribute::computed(AttrType::String))
            .attr(
                "all_availability_zones",
                Attribute::optional(AttrType::Bool),
            )
            .attr("state", Attribute::optional(AttrType::String))
            .attr("exclude_names", Attribute::optional(list_of_strings()))
            .attr("exclude_zone_ids", Attribute::optional(list_of_strings()))
            .attr("names", Attribute::computed(list_of_strings()))
            .attr("zone_ids", Attribute::computed(list_of_strings()))
            .attr("group_names", Attribute::computed(list_of_strings()))
            .block("filter", BlockSchema::set(filter));
        Schema::data("aws_availability_zones", body)
    }

    async fn read_data(&self, c: &Clients, config: &Value) -> ProviderResult<Value> {
        use aws_sdk_ec2::types::Filter;
        let mut req = c.ec2.describe_availability_zones();
        if let Some(all) = attr_bool(config, "all_availability_zones") {
            req = req.all_availability_zones(all);
        }
        if let Some(state) = attr_str(config, "state") {
            req = req.filters(Filter::builder().name("state").values(state).build());
        }
        for f in blocks(config, "filter") {
            req = req.filters(
                Filter::builder()
                    .set_name(attr_str(f, "name"))
                    .set_values(Some(string_list(f, "values")))
                    .build(),
            );
        }
        let r = req
            .send()
            .await
            .map_err(|e| sdk_error("ec2:DescribeAvailabilityZones", e))?;
        let ex_names: BTreeSet<String> = string_list(config, "exclude_names").into_iter().collect();
        let ex_ids: BTreeSet<String> = string_list(config, "exclude_zone_ids")
            .into_iter()
            .collect();
        let mut zones: Vec<(String, String, String)> = r
            .availability_zones()
            .iter()
            .filter_map(|z| {
                let name = z.zone_name()?.to_string();
                let id = z.zone_id().unwrap_or_default().to_string();
                let group = z.group_name().unwrap_or_default().to_string();
                Some((name, id, group))
            })
            .filter(|(n, id, _)| !ex_names.contains(n) && !ex_ids.contains(id))
            .collect();
        // Terraform sorts by name, so `names[0]` is stable.
        zones.sort();
        let groups: BTreeSet<String> = zones
            .iter()
            .map(|z| z.2.clone())
            .filter(|g| !g.is_empty())
            .collect();
        Ok(Value::map([
            ("id", Value::string(&c.region)),
            ("names", strings(zones.iter().map(|z| z.0.clone()))),
            ("zone_ids", strings(zones.iter().map(|z| z.1.clone()))),
            ("group_names", strings(groups)),
            (
                "all_availability_zones",
                config
                    .get("all_availability_zones")
                    .cloned()
                    .unwrap_or(Value::Null),
            ),
            ("state", config.get("state").cloned().unwrap_or(Value::Null)),
            (
                "exclude_names",
                config.get("exclude_names").cloned().unwrap_or(Value::Null),
            ),
            (
                "exclude_zone_ids",
                config
                    .get("exclude_zone_ids")
                    .cloned()
                    .unwrap_or(Value::Null),
            ),
            (
                "filter",
                config.get("filter").cloned().unwrap_or(Value::List(vec![])),
            ),
        ]))
    }
}
