//! EC2 networking basics: `aws_vpc`, `aws_subnet` and `aws_internet_gateway`, plus the EC2
//! helpers the security group and route table modules share.
//!
//! These resources have no user-chosen name, so a create retried after a crash cannot find its
//! first attempt by name: every create tags the resource at creation (TagSpecifications, one
//! call) with `terrane:stack` and `terrane:address`, and a create first looks for a resource
//! carrying exactly those tags and adopts it. Reads are batched: one DescribeVpcs /
//! DescribeSubnets / DescribeInternetGateways call answers for every resource of the type being
//! refreshed (falling back to one call per id only when some id no longer exists).

use crate::clients::{AwsSettings, Clients};
use crate::registry::ResourceType;
use crate::util::{
    attr_str, bool_or, plan_default, plan_tags_all, read_tags, req_str, sdk_error, string_map,
    tags_with_owner,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, ResourceType as Ec2Type, Tag, TagSpecification,
};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use terrane_provider::{
    AttrType, Attribute, Block, CreateRequest, DeleteRequest, ErrorKind, Listed, Owner,
    ProviderError, ProviderResult, Schema, UpdateRequest, Value, OWNER_ADDRESS_TAG,
    OWNER_STACK_TAG,
};

pub(crate) fn s() -> AttrType {
    AttrType::String
}

pub(crate) fn ec2_tags(m: &BTreeMap<String, String>) -> Vec<Tag> {
    m.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub(crate) fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// The tags a new resource is created with: the config's, the default tags and ownership tags.
pub(crate) fn create_tags_for(
    c: &Clients,
    config: &Value,
    owner: &Owner,
) -> BTreeMap<String, String> {
    tags_with_owner(
        &string_map(config.get("tags")),
        &c.settings.default_tags,
        &owner.stack,
        &owner.address,
    )
}

pub(crate) fn tag_spec(rt: Ec2Type, tags: &BTreeMap<String, String>) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(rt)
        .set_tags(Some(ec2_tags(tags)))
        .build()
}

pub(crate) fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
}

/// A filter on resource ids. Filters, unlike the `...Ids` parameters, do not fail the whole
/// call when one id no longer exists, so one call answers for a whole batch.
pub(crate) fn id_filter(name: &str, ids: &[String]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(ids.to_vec()))
        .build()
}

/// Filters that find the resource a crashed create made for this owner.
pub(crate) fn owner_filters(owner: &Owner) -> Vec<Filter> {
    vec![
        filter(&format!("tag:{OWNER_ADDRESS_TAG}"), &[&owner.address]),
        filter(&format!("tag:{OWNER_STACK_TAG}"), &[&owner.stack]),
    ]
}

/// Brings an EC2 resource's tags to the config (keeping the ownership tags): one CreateTags and
/// one DeleteTags call at most.
pub(crate) async fn sync_tags(
    c: &Clients,
    id: &str,
    current: &BTreeMap<String, String>,
    config: &Value,
    owner: &Owner,
) -> ProviderResult<()> {
    let desired = create_tags_for(c, config, owner);
    let set: BTreeMap<String, String> = desired
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove: Vec<Tag> = current
        .keys()
        .filter(|k| !desired.contains_key(*k))
        .map(|k| Tag::builder().key(k).build())
        .collect();
    if !set.is_empty() {
        c.ec2
            .create_tags()
            .resources(id)
            .set_tags(Some(ec2_tags(&set)))
            .send()
            .await
            .map_err(|e| sdk_error("CreateTags", e))?;
    }
    if !remove.is_empty() {
        c.ec2
            .delete_tags()
            .resources(id)
            .set_tags(Some(remove))
            .send()
            .await
            .map_err(|e| sdk_error("DeleteTags", e))?;
    }
    Ok(())
}

pub(crate) fn gone_ok(r: ProviderResult<()>) -> ProviderResult<()> {
    match r {
        Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Describes many ids, in one call per 200 ids (the filter value limit); if a call fails because
/// some id is gone, falls back to one call per id so the others are still answered.
/// Returns id -> item.
pub(crate) async fn describe_batch<T, F, Fut>(
    ids: &[String],
    describe: F,
) -> ProviderResult<HashMap<String, T>>
where
    F: Fn(Vec<String>) -> Fut,
    Fut: Future<Output = ProviderResult<Vec<(String, T)>>>,
{
    let mut unique: Vec<String> = ids.to_vec();
    unique.sort();
    unique.dedup();
    if unique.is_empty() {
        return Ok(HashMap::new());
    }
    let mut out = HashMap::new();
    for chunk in unique.chunks(200) {
        match describe(chunk.to_vec()).await {
            Ok(items) => out.extend(items),
            Err(e) if e.kind == ErrorKind::NotFound => {
                for id in chunk {
                    match describe(vec![id.clone()]).await {
                        Ok(items) => out.extend(items),
                        Err(e) if e.kind == ErrorKind::NotFound => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The ARN of an EC2 resource (`arn:aws:ec2:region:account:kind/id`).
pub(crate) fn ec2_arn(c: &Clients, owner_id: &str, kind: &str, id: &str) -> String {
    let partition = if c.region.starts_with("cn-") {
        "aws-cn"
    } else if c.region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    format!("arn:{partition}:ec2:{}:{owner_id}:{kind}/{id}", c.region)
}

fn bool_attr(v: bool) -> AttributeBooleanValue {
    AttributeBooleanValue::builder().value(v).build()
}

/// Spreads one batched result over the requested ids, in order.
pub(crate) fn spread<T>(
    items: &[(String, Value)],
    found: ProviderResult<HashMap<String, T>>,
    to_value: impl Fn(&T, &Value) -> ProviderResult<Value>,
) -> Vec<ProviderResult<Option<Value>>> {
    match found {
        Ok(map) => items
            .iter()
            .map(|(id, prior)| map.get(id).map(|t| to_value(t, prior)).transpose())
            .collect(),
        Err(e) => items.iter().map(|_| Err(e.clone())).collect(),
    }
}

pub(crate) fn first_of(mut v: Vec<ProviderResult<Option<Value>>>) -> ProviderResult<Option<Value>> {
    v.pop().unwrap_or(Ok(None))
}

// ---------------------------------------------------------------------------------------------
// aws_vpc

pub(crate) struct Vpc;

/// What one VPC read needs beyond DescribeVpcs: its attributes and its default resources.
#[derive(Default, Clone)]
struct VpcExtras {
    dns_support: Option<bool>,
    dns_hostnames: Option<bool>,
    main_route_table: Option<String>,
    default_sg: Option<String>,
    default_acl: Option<String>,
}

impl Vpc {
    async fn describe(
        c: &Clients,
        ids: Vec<String>,
    ) -> ProviderResult<Vec<(String, aws_sdk_ec2::types::Vpc)>> {
        let out = c
            .ec2
            .describe_vpcs()
            .filters(id_filter("vpc-id", &ids))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeVpcs", e))?;
        Ok(out
            .vpcs()
            .iter()
            .filter_map(|v| Some((v.vpc_id()?.to_string(), v.clone())))
            .collect())
    }

    /// Default route table, security group and network ACL of many VPCs: three calls in all.
    async fn extras(c: &Clients, ids: &[String]) -> ProviderResult<HashMap<String, VpcExtras>> {
        let mut out: HashMap<String, VpcExtras> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let idr: Vec<&str> = ids.iter().map(String::as_str).collect();
        let rts = c
            .ec2
            .describe_route_tables()
            .filters(filter("vpc-id", &idr))
            .filters(filter("association.main", &["true"]))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeRouteTables", e))?;
        for rt in rts.route_tables() {
            if let (Some(vpc), Some(id)) = (rt.vpc_id(), rt.route_table_id()) {
                out.entry(vpc.to_string()).or_default().main_route_table = Some(id.to_string());
            }
        }
        let sgs = c
            .ec2
            .describe_security_groups()
            .filters(filter("vpc-id", &idr))
            .filters(filter("group-name", &["default"]))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeSecurityGroups", e))?;
        for sg in sgs.security_groups() {
            if let (Some(vpc), Some(id)) = (sg.vpc_id(), sg.group_id()) {
                out.entry(vpc.to_string()).or_default().default_sg = Some(id.to_string());
            }
        }
        let acls = c
            .ec2
            .describe_network_acls()
            .filters(filter("vpc-id", &idr))
            .filters(filter("default", &["true"]))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeNetworkAcls", e))?;
        for acl in acls.network_acls() {
            if let (Some(vpc), Some(id)) = (acl.vpc_id(), acl.network_acl_id()) {
                out.entry(vpc.to_string()).or_default().default_acl = Some(id.to_string());
            }
        }
        // DescribeVpcAttribute answers one attribute of one VPC per call.
        for id in ids {
            use aws_sdk_ec2::types::VpcAttributeName as N;
            let e = out.entry(id.clone()).or_default();
            for (name, slot) in [
                (N::EnableDnsSupport, &mut e.dns_support),
                (N::EnableDnsHostnames, &mut e.dns_hostnames),
            ] {
                let a = c
                    .ec2
                    .describe_vpc_attribute()
                    .vpc_id(id)
                    .attribute(name.clone())
                    .send()
                    .await
                    .map_err(|e| sdk_error("DescribeVpcAttribute", e))?;
                *slot = match name {
                    N::EnableDnsSupport => a.enable_dns_support().and_then(|v| v.value()),
                    _ => a.enable_dns_hostnames().and_then(|v| v.value()),
                };
            }
        }
        Ok(out)
    }

    fn to_value(c: &Clients, v: &aws_sdk_ec2::types::Vpc, x: &VpcExtras, prior: &Value) -> Value {
        let id = v.vpc_id().unwrap_or_default();
        let owner = v.owner_id().unwrap_or_default();
        let (tags, tags_all) = read_tags(tag_map(v.tags()), &c.settings.default_tags, prior);
        let ipv6 = v
            .ipv6_cidr_block_association_set()
            .iter()
            .find(|a| a.ipv6_cidr_block().is_some());
        let opt = |o: Option<&str>| o.map(Value::string).unwrap_or(Value::Null);
        Value::map([
            ("id", Value::string(id)),
            ("arn", Value::String(ec2_arn(c, owner, "vpc", id))),
            ("owner_id", Value::string(owner)),
            ("cidr_block", opt(v.cidr_block())),
            (
                "instance_tenancy",
                Value::string(
                    v.instance_tenancy()
                        .map(|t| t.as_str())
                        .unwrap_or("default"),
                ),
            ),
            (
                "enable_dns_support",
                Value::Bool(x.dns_support.unwrap_or(true)),
            ),
            (
                "enable_dns_hostnames",
                Value::Bool(x.dns_hostnames.unwrap_or(false)),
            ),
            (
                "assign_generated_ipv6_cidr_block",
                Value::Bool(
                    ipv6.is_some() && bool_or(prior, "assign_generated_ipv6_cidr_block", true),
                ),
            ),
            (
                "ipv6_cidr_block",
                opt(ipv6.and_then(|a| a.ipv6_cidr_block())),
            ),
            (
                "ipv6_association_id",
                opt(ipv6.and_then(|a| a.association_id())),
            ),
            ("dhcp_options_id", opt(v.dhcp_options_id())),
            ("main_route_table_id", opt(x.main_route_table.as_deref())),
            ("default_route_table_id", opt(x.main_route_table.as_deref())),
            ("default_security_group_id", opt(x.default_sg.as_deref())),
            ("default_network_acl_id", opt(x.default_acl.as_deref())),
            ("tags", tags),
            ("tags_all", tags_all),
        ])
    }

    async fn read_many(
        c: &Clients,
        items: &[(String, Value)],
    ) -> Vec<ProviderResult<Option<Value>>> {
        let ids: Vec<String> = items.iter().map(|(i, _)| i.clone()).collect();
        let found = describe_batch(&ids, |b| Self::describe(c, b)).await;
        let present: Vec<String> = match &found {
            Ok(m) => m.keys().cloned().collect(),
            Err(_) => vec![],
        };
        let extras = match Self::extras(c, &present).await {
            Ok(x) => x,
            Err(e) => return items.iter().map(|_| Err(e.clone())).collect(),
        };
        spread(items, found, |v, prior| {
            let id = v.vpc_id().unwrap_or_default();
            Ok(Self::to_value(
                c,
                v,
                &extras.get(id).cloned().unwrap_or_default(),
                prior,
            ))
        })
    }

    async fn apply_attrs(
        c: &Clients,
        id: &str,
        config: &Value,
        current: Option<&Value>,
    ) -> ProviderResult<()> {
        let cur = |k: &str, d: bool| current.map(|v| bool_or(v, k, d));
        let want_support = bool_or(config, "enable_dns_support", true);
        // A new VPC already has DNS support on: only turning it off needs a call.
        if (!want_support || current.is_some())
            && cur("enable_dns_support", true) != Some(want_support)
        {
            c.ec2
                .modify_vpc_attribute()
                .vpc_id(id)
                .enable_dns_support(bool_attr(want_support))
                .send()
                .await
                .map_err(|e| sdk_error("ModifyVpcAttribute", e))?;
        }
        let want_hostnames = bool_or(config, "enable_dns_hostnames", false);
        if (want_hostnames || current.is_some())
            && cur("enable_dns_hostnames", false) != Some(want_hostnames)
        {
            c.ec2
                .modify_vpc_attribute()
                .vpc_id(id)
                .enable_dns_hostnames(bool_attr(want_hostnames))
                .send()
                .await
                .map_err(|e| sdk_error("ModifyVpcAttribute", e))?;
        }
        let want_tenancy = attr_str(config, "instance_tenancy").unwrap_or_else(|| "default".into());
        if let Some(cur) = current.and_then(|v| v.get_str("instance_tenancy")) {
            if cur != want_tenancy && want_tenancy == "default" {
                c.ec2
                    .modify_vpc_tenancy()
                    .vpc_id(id)
                    .instance_tenancy(aws_sdk_ec2::types::VpcTenancy::Default)
                    .send()
                    .await
                    .map_err(|e| sdk_error("ModifyVpcTenancy", e))?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl ResourceType for Vpc {
    fn schema(&self) -> Schema {
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("owner_id", Attribute::computed(s()))
            .attr("cidr_block", Attribute::optional_computed(s()).force_new())
            .attr(
                "instance_tenancy",
                Attribute::optional(s()).default(Value::string("default")),
            )
            .attr(
                "enable_dns_support",
                Attribute::optional(AttrType::Bool).default(Value::Bool(true)),
            )
            .attr(
                "enable_dns_hostnames",
                Attribute::optional_computed(AttrType::Bool),
            )
            .attr(
                "assign_generated_ipv6_cidr_block",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            )
            .attr("ipv6_cidr_block", Attribute::computed(s()))
            .attr("ipv6_association_id", Attribute::computed(s()))
            .attr("dhcp_options_id", Attribute::computed(s()))
            .attr("main_route_table_id", Attribute::computed(s()))
            .attr("default_route_table_id", Attribute::computed(s()))
            .attr("default_security_group_id", Attribute::computed(s()))
            .attr("default_network_acl_id", Attribute::computed(s()));
        Schema::managed("aws_vpc", terrane_provider::tags_attributes(body))
            .crossplane("ec2.aws.upbound.io", "VPC")
            .taggable()
            .import_id("the VPC id (vpc-...)")
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        // Adopt what a crashed earlier attempt made.
        let found = c
            .ec2
            .describe_vpcs()
            .set_filters(Some(owner_filters(&req.owner)))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeVpcs", e))?;
        let id = if let Some(v) = found.vpcs().first().and_then(|v| v.vpc_id()) {
            let id = v.to_string();
            let current = first_of(Self::read_many(c, &[(id.clone(), cfg.clone())]).await)?;
            Self::apply_attrs(c, &id, cfg, current.as_ref()).await?;
            let tags = found
                .vpcs()
                .first()
                .map(|v| tag_map(v.tags()))
                .unwrap_or_default();
            sync_tags(c, &id, &tags, cfg, &req.owner).await?;
            id
        } else {
            let cidr = req_str(cfg, "cidr_block", "aws_vpc")?;
            let tenancy = attr_str(cfg, "instance_tenancy").unwrap_or_else(|| "default".into());
            let out = c
                .ec2
                .create_vpc()
                .cidr_block(cidr)
                .instance_tenancy(aws_sdk_ec2::types::Tenancy::from(tenancy.as_str()))
                .amazon_provided_ipv6_cidr_block(bool_or(
                    cfg,
                    "assign_generated_ipv6_cidr_block",
                    false,
                ))
                .tag_specifications(tag_spec(Ec2Type::Vpc, &create_tags_for(c, cfg, &req.owner)))
                .send()
                .await
                .map_err(|e| sdk_error("CreateVpc", e))?;
            let id = out
                .vpc()
                .and_then(|v| v.vpc_id())
                .ok_or_else(|| ProviderError::other("CreateVpc returned no VPC id"))?
                .to_string();
            Self::apply_attrs(c, &id, cfg, None).await?;
            id
        };
        first_of(Self::read_many(c, &[(id.clone(), cfg.clone())]).await)?
            .ok_or_else(|| ProviderError::other(format!("VPC {id} vanished after create")))
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        first_of(Self::read_many(c, &[(id.to_string(), prior.clone())]).await)
    }

    async fn read_batch(
        &self,
        c: &Clients,
        items: &[(String, Value)],
    ) -> Vec<ProviderResult<Option<Value>>> {
        Self::read_many(c, items).await
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        let current = first_of(Self::read_many(c, &[(req.id.clone(), req.prior.clone())]).await)?
            .ok_or_else(|| ProviderError::not_found(format!("VPC {} is gone", req.id)))?;
        Self::apply_attrs(c, &req.id, &req.config, Some(&current)).await?;
        let tags = Self::describe(c, vec![req.id.clone()])
            .await?
            .first()
            .map(|(_, v)| tag_map(v.tags()))
            .unwrap_or_default();
        sync_tags(c, &req.id, &tags, &req.config, &req.owner).await?;
        first_of(Self::read_many(c, &[(req.id.clone(), req.config.clone())]).await)?
            .ok_or_else(|| ProviderError::not_found(format!("VPC {} is gone", req.id)))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        gone_ok(
            c.ec2
                .delete_vpc()
                .vpc_id(&req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("DeleteVpc", e)),
        )
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let out = c
            .ec2
            .describe_vpcs()
            .send()
            .await
            .map_err(|e| sdk_error("DescribeVpcs", e))?;
        Ok(out
            .vpcs()
            .iter()
            .filter(|v| v.is_default() != Some(true))
            .filter_map(|v| {
                Some(Listed {
                    type_name: "aws_vpc".into(),
                    id: v.vpc_id()?.to_string(),
                    tags: tag_map(v.tags()),
                })
            })
            .collect())
    }

    fn plan(&self, settings: &AwsSettings, config: &mut Value) {
        plan_default(config, "instance_tenancy", Value::string("default"));
        plan_default(config, "enable_dns_support", Value::Bool(true));
        plan_default(config, "enable_dns_hostnames", Value::Bool(false));
        plan_default(
            config,
            "assign_generated_ipv6_cidr_block",
            Value::Bool(false),
        );
        plan_tags_all(&settings.default_tags, config);
    }
}

// ---------------------------------------------------------------------------------------------
// aws_subnet

pub(crate) struct Subnet;

impl Subnet {
    async fn describe(
        c: &Clients,
        ids: Vec<String>,
    ) -> ProviderResult<Vec<(String, aws_sdk_ec2::types::Subnet)>> {
        let out = c
            .ec2
            .describe_subnets()
            .filters(id_filter("subnet-id", &ids))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeSubnets", e))?;
        Ok(out
            .subnets()
            .iter()
            .filter_map(|v| Some((v.subnet_id()?.to_string(), v.clone())))
            .collect())
    }

    fn to_value(c: &Clients, v: &aws_sdk_ec2::types::Subnet, prior: &Value) -> Value {
        let id = v.subnet_id().unwrap_or_default();
        let owner = v.owner_id().unwrap_or_default();
        let (tags, tags_all) = read_tags(tag_map(v.tags()), &c.settings.default_tags, prior);
        let opt = |o: Option<&str>| o.map(Value::string).unwrap_or(Value::Null);
        let ipv6 = v
            .ipv6_cidr_block_association_set()
            .iter()
            .find(|a| a.ipv6_cidr_block().is_some());
        Value::map([
            ("id", Value::string(id)),
            (
                "arn",
                v.subnet_arn()
                    .map(Value::string)
                    .unwrap_or_else(|| Value::String(ec2_arn(c, owner, "subnet", id))),
            ),
            ("owner_id", Value::string(owner)),
            ("vpc_id", opt(v.vpc_id())),
            ("cidr_block", opt(v.cidr_block())),
            ("availability_zone", opt(v.availability_zone())),
            ("availability_zone_id", opt(v.availability_zone_id())),
            (
                "map_public_ip_on_launch",
                Value::Bool(v.map_public_ip_on_launch().unwrap_or(false)),
            ),
            (
                "assign_ipv6_address_on_creation",
                Value::Bool(v.assign_ipv6_address_on_creation().unwrap_or(false)),
            ),
            (
                "enable_dns64",
                Value::Bool(v.enable_dns64().unwrap_or(false)),
            ),
            (
                "ipv6_cidr_block",
                opt(ipv6.and_then(|a| a.ipv6_cidr_block())),
            ),
            (
                "ipv6_cidr_block_association_id",
                opt(ipv6.and_then(|a| a.association_id())),
            ),
            ("tags", tags),
            ("tags_all", tags_all),
        ])
    }

    async fn read_many(
        c: &Clients,
        items: &[(String, Value)],
    ) -> Vec<ProviderResult<Option<Value>>> {
        let ids: Vec<String> = items.iter().map(|(i, _)| i.clone()).collect();
        let found = describe_batch(&ids, |b| Self::describe(c, b)).await;
        spread(items, found, |v, prior| Ok(Self::to_value(c, v, prior)))
    }

    async fn apply_attrs(
        c: &Clients,
        id: &str,
        config: &Value,
        current: &Value,
    ) -> ProviderResult<()> {
        for key in [
            "map_public_ip_on_launch",
            "assign_ipv6_address_on_creation",
            "enable_dns64",
        ] {
            let want = bool_or(config, key, false);
            if bool_or(current, key, false) == want {
                continue;
            }
            let mut b = c.ec2.modify_subnet_attribute().subnet_id(id);
            b = match key {
                "map_public_ip_on_launch" => b.map_public_ip_on_launch(bool_attr(want)),
                "assign_ipv6_address_on_creation" => {
                    b.assign_ipv6_address_on_creation(bool_attr(want))
                }
                _ => b.enable_dns64(bool_attr(want)),
            };
            b.send()
                .await
                .map_err(|e| sdk_error("ModifySubnetAttribute", e))?;
        }
        Ok(())
    }
}

#[async_trait]
impl ResourceType for Subnet {
    fn schema(&self) -> Schema {
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("owner_id", Attribute::computed(s()))
            .attr("vpc_id", Attribute::required(s()).force_new())
            .attr("cidr_block", Attribute::optional(s()).force_new())
            .attr(
                "availability_zone",
                Attribute::optional_computed(s()).force_new(),
            )
            .attr(
                "availability_zone_id",
                Attribute::optional_computed(s()).force_new(),
            )
            .attr(
                "map_public_ip_on_launch",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            )
            .attr(
                "assign_ipv6_address_on_creation",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            )
            .attr(
                "enable_dns64",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            )
            .attr("ipv6_cidr_block", Attribute::optional_computed(s()))
            .attr("ipv6_cidr_block_association_id", Attribute::computed(s()));
        Schema::managed("aws_subnet", terrane_provider::tags_attributes(body))
            .crossplane("ec2.aws.upbound.io", "Subnet")
            .taggable()
            .import_id("the subnet id (subnet-...)")
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let found = c
            .ec2
            .describe_subnets()
            .set_filters(Some(owner_filters(&req.owner)))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeSubnets", e))?;
        let id = if let Some(sn) = found.subnets().first() {
            let id = sn.subnet_id().unwrap_or_default().to_string();
            Self::apply_attrs(c, &id, cfg, &Self::to_value(c, sn, cfg)).await?;
            sync_tags(c, &id, &tag_map(sn.tags()), cfg, &req.owner).await?;
            id
        } else {
            let mut b = c
                .ec2
                .create_subnet()
                .vpc_id(req_str(cfg, "vpc_id", "aws_subnet")?)
                .cidr_block(req_str(cfg, "cidr_block", "aws_subnet")?)
                .tag_specifications(tag_spec(
                    Ec2Type::Subnet,
                    &create_tags_for(c, cfg, &req.owner),
                ));
            if let Some(az) = attr_str(cfg, "availability_zone") {
                b = b.availability_zone(az);
            } else if let Some(az) = attr_str(cfg, "availability_zone_id") {
                b = b.availability_zone_id(az);
            }
            if let Some(v6) = attr_str(cfg, "ipv6_cidr_block") {
                b = b.ipv6_cidr_block(v6);
            }
            let out = b.send().await.map_err(|e| sdk_error("CreateSubnet", e))?;
            let sn = out
                .subnet()
                .ok_or_else(|| ProviderError::other("CreateSubnet returned no subnet"))?;
            let id = sn.subnet_id().unwrap_or_default().to_string();
            Self::apply_attrs(c, &id, cfg, &Self::to_value(c, sn, cfg)).await?;
            id
        };
        first_of(Self::read_many(c, &[(id.clone(), cfg.clone())]).await)?
            .ok_or_else(|| ProviderError::other(format!("subnet {id} vanished after create")))
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        first_of(Self::read_many(c, &[(id.to_string(), prior.clone())]).await)
    }

    async fn read_batch(
        &self,
        c: &Clients,
        items: &[(String, Value)],
    ) -> Vec<ProviderResult<Option<Value>>> {
        Self::read_many(c, items).await
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        let found = Self::describe(c, vec![req.id.clone()]).await?;
        let (_, sn) = found
            .first()
            .ok_or_else(|| ProviderError::not_found(format!("subnet {} is gone", req.id)))?;
        Self::apply_attrs(c, &req.id, &req.config, &Self::to_value(c, sn, &req.prior)).await?;
        sync_tags(c, &req.id, &tag_map(sn.tags()), &req.config, &req.owner).await?;
        first_of(Self::read_many(c, &[(req.id.clone(), req.config.clone())]).await)?
            .ok_or_else(|| ProviderError::not_found(format!("subnet {} is gone", req.id)))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        gone_ok(
            c.ec2
                .delete_subnet()
                .subnet_id(&req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("DeleteSubnet", e)),
        )
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let out = c
            .ec2
            .describe_subnets()
            .send()
            .await
            .map_err(|e| sdk_error("DescribeSubnets", e))?;
        Ok(out
            .subnets()
            .iter()
            .filter(|v| v.default_for_az() != Some(true))
            .filter_map(|v| {
                Some(Listed {
                    type_name: "aws_subnet".into(),
                    id: v.subnet_id()?.to_string(),
                    tags: tag_map(v.tags()),
                })
            })
            .collect())
    }

    fn plan(&self, settings: &AwsSettings, config: &mut Value) {
        for k in [
            "map_public_ip_on_launch",
            "assign_ipv6_address_on_creation",
            "enable_dns64",
        ] {
            plan_default(config, k, Value::Bool(false));
        }
        plan_tags_all(&settings.default_tags, config);
    }
}

// ---------------------------------------------------------------------------------------------
// aws_internet_gateway

pub(crate) struct InternetGateway;

impl InternetGateway {
    async fn describe(
        c: &Clients,
        ids: Vec<String>,
    ) -> ProviderResult<Vec<(String, aws_sdk_ec2::types::InternetGateway)>> {
        let out = c
            .ec2
            .describe_internet_gateways()
            .filters(id_filter("internet-gateway-id", &ids))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeInternetGateways", e))?;
        Ok(out
            .internet_gateways()
            .iter()
            .filter_map(|v| Some((v.internet_gateway_id()?.to_string(), v.clone())))
            .collect())
    }

    fn to_value(c: &Clients, v: &aws_sdk_ec2::types::InternetGateway, prior: &Value) -> Value {
        let id = v.internet_gateway_id().unwrap_or_default();
        let owner = v.owner_id().unwrap_or_default();
        let (tags, tags_all) = read_tags(tag_map(v.tags()), &c.settings.default_tags, prior);
        let vpc = v.attachments().iter().find_map(|a| a.vpc_id());
        Value::map([
            ("id", Value::string(id)),
            (
                "arn",
                Value::String(ec2_arn(c, owner, "internet-gateway", id)),
            ),
            ("owner_id", Value::string(owner)),
            ("vpc_id", vpc.map(Value::string).unwrap_or(Value::Null)),
            ("tags", tags),
            ("tags_all", tags_all),
        ])
    }

    async fn read_many(
        c: &Clients,
        items: &[(String, Value)],
    ) -> Vec<ProviderResult<Option<Value>>> {
        let ids: Vec<String> = items.iter().map(|(i, _)| i.clone()).collect();
        let found = describe_batch(&ids, |b| Self::describe(c, b)).await;
        spread(items, found, |v, prior| Ok(Self::to_value(c, v, prior)))
    }

    /// Attaches to the configured VPC (detaching from another first).
    async fn set_vpc(
        c: &Clients,
        id: &str,
        current: Option<&str>,
        want: Option<&str>,
    ) -> ProviderResult<()> {
        if current == want {
            return Ok(());
        }
        if let Some(old) = current {
            gone_ok(
                c.ec2
                    .detach_internet_gateway()
                    .internet_gateway_id(id)
                    .vpc_id(old)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_error("DetachInternetGateway", e)),
            )?;
        }
        if let Some(new) = want {
            c.ec2
                .attach_internet_gateway()
                .internet_gateway_id(id)
                .vpc_id(new)
                .send()
                .await
                .map_err(|e| sdk_error("AttachInternetGateway", e))?;
        }
        Ok(())
    }
}

#[async_trait]
impl ResourceType for InternetGateway {
    fn schema(&self) -> Schema {
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("owner_id", Attribute::computed(s()))
            .attr("vpc_id", Attribute::optional(s()));
        Schema::managed(
            "aws_internet_gateway",
            terrane_provider::tags_attributes(body),
        )
        .crossplane("ec2.aws.upbound.io", "InternetGateway")
        .taggable()
        .import_id("the internet gateway id (igw-...)")
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let found = c
            .ec2
            .describe_internet_gateways()
            .set_filters(Some(owner_filters(&req.owner)))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeInternetGateways", e))?;
        let (id, current_vpc) = if let Some(g) = found.internet_gateways().first() {
            let id = g.internet_gateway_id().unwrap_or_default().to_string();
            sync_tags(c, &id, &tag_map(g.tags()), cfg, &req.owner).await?;
            let vpc = g
                .attachments()
                .iter()
                .find_map(|a| a.vpc_id())
                .map(str::to_string);
            (id, vpc)
        } else {
            let out = c
                .ec2
                .create_internet_gateway()
                .tag_specifications(tag_spec(
                    Ec2Type::InternetGateway,
                    &create_tags_for(c, cfg, &req.owner),
                ))
                .send()
                .await
                .map_err(|e| sdk_error("CreateInternetGateway", e))?;
            let id = out
                .internet_gateway()
                .and_then(|g| g.internet_gateway_id())
                .ok_or_else(|| ProviderError::other("CreateInternetGateway returned no id"))?
                .to_string();
            (id, None)
        };
        Self::set_vpc(
            c,
            &id,
            current_vpc.as_deref(),
            attr_str(cfg, "vpc_id").as_deref(),
        )
        .await?;
        first_of(Self::read_many(c, &[(id.clone(), cfg.clone())]).await)?.ok_or_else(|| {
            ProviderError::other(format!("internet gateway {id} vanished after create"))
        })
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        first_of(Self::read_many(c, &[(id.to_string(), prior.clone())]).await)
    }

    async fn read_batch(
        &self,
        c: &Clients,
        items: &[(String, Value)],
    ) -> Vec<ProviderResult<Option<Value>>> {
        Self::read_many(c, items).await
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        let found = Self::describe(c, vec![req.id.clone()]).await?;
        let (_, g) = found.first().ok_or_else(|| {
            ProviderError::not_found(format!("internet gateway {} is gone", req.id))
        })?;
        let vpc = g
            .attachments()
            .iter()
            .find_map(|a| a.vpc_id())
            .map(str::to_string);
        Self::set_vpc(
            c,
            &req.id,
            vpc.as_deref(),
            attr_str(&req.config, "vpc_id").as_deref(),
        )
        .await?;
        sync_tags(c, &req.id, &tag_map(g.tags()), &req.config, &req.owner).await?;
        first_of(Self::read_many(c, &[(req.id.clone(), req.config.clone())]).await)?
            .ok_or_else(|| ProviderError::not_found(format!("internet gateway {} is gone", req.id)))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        let found = match Self::describe(c, vec![req.id.clone()]).await {
            Ok(f) => f,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if let Some((_, g)) = found.first() {
            let vpc = g
                .attachments()
                .iter()
                .find_map(|a| a.vpc_id())
                .map(str::to_string);
            Self::set_vpc(c, &req.id, vpc.as_deref(), None).await?;
        }
        gone_ok(
            c.ec2
                .delete_internet_gateway()
                .internet_gateway_id(&req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("DeleteInternetGateway", e)),
        )
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let out = c
            .ec2
            .describe_internet_gateways()
            .send()
            .await
            .map_err(|e| sdk_error("DescribeInternetGateways", e))?;
        Ok(out
            .internet_gateways()
            .iter()
            .filter_map(|v| {
                Some(Listed {
                    type_name: "aws_internet_gateway".into(),
                    id: v.internet_gateway_id()?.to_string(),
                    tags: tag_map(v.tags()),
                })
            })
            .collect())
    }

    fn plan(&self, settings: &AwsSettings, config: &mut Value) {
        plan_tags_all(&settings.default_tags, config);
    }
}
