//! `aws_route_table` (with inline `route` blocks) and `aws_route_table_association`.
//!
//! As in Terraform, a route table without `route` blocks leaves its routes alone (standalone
//! routes may manage them), while one with blocks owns exactly those routes; the `local` route
//! and propagated routes are never reported. Both types read in batches: one
//! DescribeRouteTables call answers for all the tables, or all the associations, refreshed.

use crate::clients::{AwsSettings, Clients};
use crate::registry::ResourceType;
use crate::util::{
    attr_str, block_list, plan_tags_all, read_tags, req_str, sdk_error, set_value, sets_blocks,
};
use crate::vpc::{
    create_tags_for, describe_batch, ec2_arn, filter, first_of, gone_ok, id_filter, owner_filters,
    s, spread, sync_tags, tag_map, tag_spec,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType as Ec2Type, Route, RouteOrigin};
use std::collections::BTreeMap;
use terrane_provider::{
    AttrType, Attribute, Block, BlockSchema, CreateRequest, DeleteRequest, ErrorKind, Listed, Map,
    ProviderError, ProviderResult, Schema, UpdateRequest, Value,
};

/// Destination attributes of a route block (exactly one is set).
const DESTS: [&str; 3] = [
    "cidr_block",
    "ipv6_cidr_block",
    "destination_prefix_list_id",
];
/// Target attributes of a route block (exactly one is set).
const TARGETS: [&str; 9] = [
    "gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_peering_connection_id",
    "egress_only_gateway_id",
    "vpc_endpoint_id",
    "carrier_gateway_id",
    "local_gateway_id",
];

fn route_block() -> BlockSchema {
    let mut b = Block::new().attr("core_network_arn", Attribute::optional(s()));
    for k in DESTS.iter().chain(TARGETS.iter()) {
        b = b.attr(k, Attribute::optional(s()));
    }
    BlockSchema::set(b).attribute_syntax()
}

/// A route as the config writes it: (destination key, destination, target key, target).
fn route_of_block(b: &Value) -> Option<(String, String, String, String)> {
    let (dk, dv) = DESTS.iter().find_map(|k| attr_str(b, k).map(|v| (*k, v)))?;
    let (tk, tv) = TARGETS
        .iter()
        .chain(["core_network_arn"].iter())
        .find_map(|k| attr_str(b, k).map(|v| (*k, v)))?;
    Some((dk.into(), dv, tk.into(), tv))
}

fn route_of_cloud(r: &Route) -> Option<(String, String, String, String)> {
    let (dk, dv) = if let Some(c) = r.destination_cidr_block() {
        ("cidr_block", c)
    } else if let Some(c) = r.destination_ipv6_cidr_block() {
        ("ipv6_cidr_block", c)
    } else {
        (
            "destination_prefix_list_id",
            r.destination_prefix_list_id()?,
        )
    };
    let targets = [
        ("gateway_id", r.gateway_id()),
        ("nat_gateway_id", r.nat_gateway_id()),
        ("network_interface_id", r.network_interface_id()),
        ("transit_gateway_id", r.transit_gateway_id()),
        ("vpc_peering_connection_id", r.vpc_peering_connection_id()),
        (
            "egress_only_gateway_id",
            r.egress_only_internet_gateway_id(),
        ),
        ("carrier_gateway_id", r.carrier_gateway_id()),
        ("local_gateway_id", r.local_gateway_id()),
        ("core_network_arn", r.core_network_arn()),
    ];
    let (tk, tv) = targets.into_iter().find_map(|(k, v)| v.map(|v| (k, v)))?;
    // VPC endpoint routes come back as gateway ids starting with vpce-.
    let tk = if tk == "gateway_id" && tv.starts_with("vpce-") {
        "vpc_endpoint_id"
    } else {
        tk
    };
    Some((dk.into(), dv.into(), tk.into(), tv.into()))
}

fn route_value(r: &(String, String, String, String)) -> Value {
    let mut m: Map = DESTS
        .iter()
        .chain(TARGETS.iter())
        .chain(["core_network_arn"].iter())
        .map(|k| (k.to_string(), Value::string("")))
        .collect();
    m.insert(r.0.clone(), Value::String(r.1.clone()));
    m.insert(r.2.clone(), Value::String(r.3.clone()));
    Value::Map(m)
}

// ---------------------------------------------------------------------------------------------
// aws_route_table

pub(crate) struct RouteTable;

impl RouteTable {
    async fn describe(
        c: &Clients,
        ids: Vec<String>,
    ) -> ProviderResult<Vec<(String, aws_sdk_ec2::types::RouteTable)>> {
        let out = c
            .ec2
            .describe_route_tables()
            .filters(id_filter("route-table-id", &ids))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeRouteTables", e))?;
        Ok(out
            .route_tables()
            .iter()
            .filter_map(|t| Some((t.route_table_id()?.to_string(), t.clone())))
            .collect())
    }

    /// The routes terrane may manage: created by a call, not `local`, not propagated.
    /// The table's routes as blocks, without the ones AWS makes; the VPC's local route is
    /// kept when `v` declares it (`gateway_id = "local"`), which adopts it as Terraform does.
    fn routes(
        t: &aws_sdk_ec2::types::RouteTable,
        v: &Value,
    ) -> Vec<(String, String, String, String)> {
        let declared_local: Vec<(String, String)> = block_list(v, "route")
            .into_iter()
            .filter_map(route_of_block)
            .filter(|r| r.2 == "gateway_id" && r.3 == "local")
            .map(|r| (r.0, r.1))
            .collect();
        t.routes()
            .iter()
            .filter_map(|r| {
                let route = route_of_cloud(r)?;
                if r.gateway_id() == Some("local") {
                    let key = (route.0.clone(), route.1.clone());
                    return declared_local.contains(&key).then_some(route);
                }
                let aws_made = r.origin() == Some(&RouteOrigin::CreateRouteTable)
                    || r.origin() == Some(&RouteOrigin::EnableVgwRoutePropagation);
                (!aws_made).then_some(route)
            })
            .collect()
    }

    fn to_value(c: &Clients, t: &aws_sdk_ec2::types::RouteTable, prior: &Value) -> Value {
        let id = t.route_table_id().unwrap_or_default();
        let owner = t.owner_id().unwrap_or_default();
        let (tags, tags_all) = read_tags(tag_map(t.tags()), &c.settings.default_tags, prior);
        let mut m = Map::new();
        m.insert("id".to_string(), Value::string(id));
        m.insert(
            "arn".into(),
            Value::String(ec2_arn(c, owner, "route-table", id)),
        );
        m.insert("owner_id".into(), Value::string(owner));
        m.insert(
            "vpc_id".into(),
            t.vpc_id().map(Value::string).unwrap_or(Value::Null),
        );
        let vgws: Vec<String> = t
            .propagating_vgws()
            .iter()
            .filter_map(|v| v.gateway_id().map(str::to_string))
            .collect();
        m.insert("propagating_vgws".into(), set_value(&vgws));
        if prior.is_null() || sets_blocks(prior, "route") {
            m.insert(
                "route".into(),
                Value::List(Self::routes(t, prior).iter().map(route_value).collect()),
            );
        }
        m.insert("tags".into(), tags);
        m.insert("tags_all".into(), tags_all);
        Value::Map(m)
    }

    async fn read_many(
        c: &Clients,
        items: &[(String, Value)],
    ) -> Vec<ProviderResult<Option<Value>>> {
        let ids: Vec<String> = items.iter().map(|(i, _)| i.clone()).collect();
        let found = describe_batch(&ids, |b| Self::describe(c, b)).await;
        spread(items, found, |t, prior| Ok(Self::to_value(c, t, prior)))
    }

    async fn sync_routes(
        c: &Clients,
        t: &aws_sdk_ec2::types::RouteTable,
        config: &Value,
        prior: &Value,
    ) -> ProviderResult<()> {
        let blocks = block_list(config, "route");
        if !sets_blocks(config, "route") && !sets_blocks(prior, "route") {
            return Ok(());
        }
        let id = t.route_table_id().unwrap_or_default();
        let mut want = Vec::new();
        for (i, b) in blocks.iter().enumerate() {
            want.push(route_of_block(b).ok_or_else(|| {
                ProviderError::invalid(format!(
                    "aws_route_table {id}: route {i} needs one destination ({}) and one target ({})",
                    DESTS.join(", "),
                    TARGETS.join(", ")
                ))
            })?);
        }
        let have = Self::routes(t, config);
        for r in &have {
            if !want.iter().any(|w| w.0 == r.0 && w.1 == r.1) {
                let mut b = c.ec2.delete_route().route_table_id(id);
                b = match r.0.as_str() {
                    "cidr_block" => b.destination_cidr_block(&r.1),
                    "ipv6_cidr_block" => b.destination_ipv6_cidr_block(&r.1),
                    _ => b.destination_prefix_list_id(&r.1),
                };
                gone_ok(
                    b.send()
                        .await
                        .map(|_| ())
                        .map_err(|e| sdk_error("DeleteRoute", e)),
                )?;
            }
        }
        for w in &want {
            match have.iter().find(|r| r.0 == w.0 && r.1 == w.1) {
                Some(r) if r == w => {}
                Some(_) => {
                    let mut b = c.ec2.replace_route().route_table_id(id);
                    b = match w.0.as_str() {
                        "cidr_block" => b.destination_cidr_block(&w.1),
                        "ipv6_cidr_block" => b.destination_ipv6_cidr_block(&w.1),
                        _ => b.destination_prefix_list_id(&w.1),
                    };
                    b = match w.2.as_str() {
                        "gateway_id" | "vpc_endpoint_id" => b.gateway_id(&w.3),
                        "nat_gateway_id" => b.nat_gateway_id(&w.3),
                        "network_interface_id" => b.network_interface_id(&w.3),
                        "transit_gateway_id" => b.transit_gateway_id(&w.3),
                        "vpc_peering_connection_id" => b.vpc_peering_connection_id(&w.3),
                        "egress_only_gateway_id" => b.egress_only_internet_gateway_id(&w.3),
                        "carrier_gateway_id" => b.carrier_gateway_id(&w.3),
                        "local_gateway_id" => b.local_gateway_id(&w.3),
                        _ => b.core_network_arn(&w.3),
                    };
                    b.send().await.map_err(|e| sdk_error("ReplaceRoute", e))?;
                }
                None => {
                    let mut b = c.ec2.create_route().route_table_id(id);
                    b = match w.0.as_str() {
                        "cidr_block" => b.destination_cidr_block(&w.1),
                        "ipv6_cidr_block" => b.destination_ipv6_cidr_block(&w.1),
                        _ => b.destination_prefix_list_id(&w.1),
                    };
                    b = match w.2.as_str() {
                        "gateway_id" => b.gateway_id(&w.3),
                        "vpc_endpoint_id" => b.vpc_endpoint_id(&w.3),
                        "nat_gateway_id" => b.nat_gateway_id(&w.3),
                        "network_interface_id" => b.network_interface_id(&w.3),
                        "transit_gateway_id" => b.transit_gateway_id(&w.3),
                        "vpc_peering_connection_id" => b.vpc_peering_connection_id(&w.3),
                        "egress_only_gateway_id" => b.egress_only_internet_gateway_id(&w.3),
                        "carrier_gateway_id" => b.carrier_gateway_id(&w.3),
                        "local_gateway_id" => b.local_gateway_id(&w.3),
                        _ => b.core_network_arn(&w.3),
                    };
                    b.send().await.map_err(|e| sdk_error("CreateRoute", e))?;
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl ResourceType for RouteTable {
    fn schema(&self) -> Schema {
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("owner_id", Attribute::computed(s()))
            .attr("vpc_id", Attribute::required(s()).force_new())
            .attr(
                "propagating_vgws",
                Attribute::optional_computed(AttrType::Set(Box::new(AttrType::String))),
            )
            .block("route", route_block());
        Schema::managed("aws_route_table", terrane_provider::tags_attributes(body))
            .crossplane("ec2.aws.upbound.io", "RouteTable")
            .taggable()
            .import_id("the route table id (rtb-...)")
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let found = c
            .ec2
            .describe_route_tables()
            .set_filters(Some(owner_filters(&req.owner)))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeRouteTables", e))?;
        let table = if let Some(t) = found.route_tables().first() {
            sync_tags(
                c,
                t.route_table_id().unwrap_or_default(),
                &tag_map(t.tags()),
                cfg,
                &req.owner,
            )
            .await?;
            t.clone()
        } else {
            let out = c
                .ec2
                .create_route_table()
                .vpc_id(req_str(cfg, "vpc_id", "aws_route_table")?)
                .tag_specifications(tag_spec(
                    Ec2Type::RouteTable,
                    &create_tags_for(c, cfg, &req.owner),
                ))
                .send()
                .await
                .map_err(|e| sdk_error("CreateRouteTable", e))?;
            out.route_table()
                .cloned()
                .ok_or_else(|| ProviderError::other("CreateRouteTable returned no table"))?
        };
        Self::sync_routes(c, &table, cfg, &Value::Null).await?;
        for vgw in crate::util::str_list(cfg.get("propagating_vgws")) {
            c.ec2
                .enable_vgw_route_propagation()
                .route_table_id(table.route_table_id().unwrap_or_default())
                .gateway_id(vgw)
                .send()
                .await
                .map_err(|e| sdk_error("EnableVgwRoutePropagation", e))?;
        }
        let id = table.route_table_id().unwrap_or_default().to_string();
        first_of(Self::read_many(c, &[(id.clone(), cfg.clone())]).await)?
            .ok_or_else(|| ProviderError::other(format!("route table {id} vanished after create")))
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
        let t = Self::describe(c, vec![req.id.clone()])
            .await?
            .pop()
            .map(|(_, t)| t)
            .ok_or_else(|| ProviderError::not_found(format!("route table {} is gone", req.id)))?;
        Self::sync_routes(c, &t, &req.config, &req.prior).await?;
        if let Some(Value::List(_)) = req.config.get("propagating_vgws") {
            let want = crate::util::str_list(req.config.get("propagating_vgws"));
            let have: Vec<String> = t
                .propagating_vgws()
                .iter()
                .filter_map(|v| v.gateway_id().map(str::to_string))
                .collect();
            for g in want.iter().filter(|g| !have.contains(g)) {
                c.ec2
                    .enable_vgw_route_propagation()
                    .route_table_id(&req.id)
                    .gateway_id(g)
                    .send()
                    .await
                    .map_err(|e| sdk_error("EnableVgwRoutePropagation", e))?;
            }
            for g in have.iter().filter(|g| !want.contains(g)) {
                c.ec2
                    .disable_vgw_route_propagation()
                    .route_table_id(&req.id)
                    .gateway_id(g)
                    .send()
                    .await
                    .map_err(|e| sdk_error("DisableVgwRoutePropagation", e))?;
            }
        }
        sync_tags(c, &req.id, &tag_map(t.tags()), &req.config, &req.owner).await?;
        first_of(Self::read_many(c, &[(req.id.clone(), req.config.clone())]).await)?
            .ok_or_else(|| ProviderError::not_found(format!("route table {} is gone", req.id)))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        // Associations hold a table back from deletion; Terraform removes them first.
        match Self::describe(c, vec![req.id.clone()]).await {
            Ok(mut v) => {
                if let Some((_, t)) = v.pop() {
                    for a in t.associations().iter().filter(|a| a.main() != Some(true)) {
                        if let Some(aid) = a.route_table_association_id() {
                            gone_ok(
                                c.ec2
                                    .disassociate_route_table()
                                    .association_id(aid)
                                    .send()
                                    .await
                                    .map(|_| ())
                                    .map_err(|e| sdk_error("DisassociateRouteTable", e)),
                            )?;
                        }
                    }
                }
            }
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
        gone_ok(
            c.ec2
                .delete_route_table()
                .route_table_id(&req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("DeleteRouteTable", e)),
        )
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let out = c
            .ec2
            .describe_route_tables()
            .send()
            .await
            .map_err(|e| sdk_error("DescribeRouteTables", e))?;
        Ok(out
            .route_tables()
            .iter()
            .filter(|t| !t.associations().iter().any(|a| a.main() == Some(true)))
            .filter_map(|t| {
                Some(Listed {
                    type_name: "aws_route_table".into(),
                    id: t.route_table_id()?.to_string(),
                    tags: tag_map(t.tags()),
                })
            })
            .collect())
    }

    fn plan(&self, settings: &AwsSettings, config: &mut Value) {
        plan_tags_all(&settings.default_tags, config);
    }
}

// ---------------------------------------------------------------------------------------------
// aws_route_table_association: id = association id; import id `subnet-.../rtb-...`

pub(crate) struct RouteTableAssociation;

impl RouteTableAssociation {
    /// Finds associations by id, in one DescribeRouteTables call.
    async fn describe(c: &Clients, ids: Vec<String>) -> ProviderResult<Vec<(String, Value)>> {
        let idr: Vec<&str> = ids.iter().map(String::as_str).collect();
        let out = c
            .ec2
            .describe_route_tables()
            .filters(filter("association.route-table-association-id", &idr))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeRouteTables", e))?;
        let mut found = Vec::new();
        for t in out.route_tables() {
            for a in t.associations() {
                let Some(aid) = a.route_table_association_id() else {
                    continue;
                };
                if ids.iter().any(|i| i == aid) {
                    found.push((aid.to_string(), Self::value_of(t, a)));
                }
            }
        }
        Ok(found)
    }

    fn value_of(
        t: &aws_sdk_ec2::types::RouteTable,
        a: &aws_sdk_ec2::types::RouteTableAssociation,
    ) -> Value {
        let opt = |o: Option<&str>| o.map(Value::string).unwrap_or(Value::Null);
        Value::map([
            ("id", opt(a.route_table_association_id())),
            (
                "route_table_id",
                opt(a.route_table_id().or(t.route_table_id())),
            ),
            ("subnet_id", opt(a.subnet_id())),
            ("gateway_id", opt(a.gateway_id())),
        ])
    }

    async fn read_many(
        c: &Clients,
        items: &[(String, Value)],
    ) -> Vec<ProviderResult<Option<Value>>> {
        let ids: Vec<String> = items.iter().map(|(i, _)| i.clone()).collect();
        let found = describe_batch(&ids, |b| Self::describe(c, b)).await;
        spread(items, found, |v, _| Ok(v.clone()))
    }

    /// The association of a subnet or gateway, if any (for adoption and import).
    async fn find_for(
        c: &Clients,
        subnet: Option<&str>,
        gateway: Option<&str>,
    ) -> ProviderResult<Option<Value>> {
        let (name, value) = match (subnet, gateway) {
            (Some(s), _) => ("association.subnet-id", s),
            (None, Some(g)) => ("association.gateway-id", g),
            (None, None) => return Ok(None),
        };
        let out = c
            .ec2
            .describe_route_tables()
            .filters(filter(name, &[value]))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeRouteTables", e))?;
        for t in out.route_tables() {
            for a in t.associations() {
                if a.subnet_id() == Some(value) || a.gateway_id() == Some(value) {
                    return Ok(Some(Self::value_of(t, a)));
                }
            }
        }
        Ok(None)
    }
}

#[async_trait]
impl ResourceType for RouteTableAssociation {
    fn schema(&self) -> Schema {
        Schema::managed(
            "aws_route_table_association",
            Block::new()
                .attr("id", Attribute::computed(s()))
                .attr("route_table_id", Attribute::required(s()))
                .attr("subnet_id", Attribute::optional(s()).force_new())
                .attr("gateway_id", Attribute::optional(s()).force_new()),
        )
        .crossplane("ec2.aws.upbound.io", "RouteTableAssociation")
        .import_id("subnet_id/route_table_id (or gateway_id/route_table_id)")
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let rtb = req_str(cfg, "route_table_id", "aws_route_table_association")?;
        let subnet = attr_str(cfg, "subnet_id");
        let gateway = attr_str(cfg, "gateway_id");
        if subnet.is_some() == gateway.is_some() {
            return Err(ProviderError::invalid(
                "aws_route_table_association: set exactly one of subnet_id and gateway_id",
            ));
        }
        // A retry after a crash finds the association the first attempt made.
        if let Some(existing) = Self::find_for(c, subnet.as_deref(), gateway.as_deref()).await? {
            if existing.get_str("route_table_id") == Some(rtb.as_str()) {
                return Ok(existing);
            }
        }
        let out = c
            .ec2
            .associate_route_table()
            .route_table_id(&rtb)
            .set_subnet_id(subnet)
            .set_gateway_id(gateway)
            .send()
            .await
            .map_err(|e| sdk_error("AssociateRouteTable", e))?;
        let id = out
            .association_id()
            .ok_or_else(|| ProviderError::other("AssociateRouteTable returned no id"))?
            .to_string();
        first_of(Self::read_many(c, &[(id.clone(), Value::Null)]).await)?
            .ok_or_else(|| ProviderError::other(format!("association {id} vanished after create")))
    }

    async fn read(&self, c: &Clients, id: &str, _prior: &Value) -> ProviderResult<Option<Value>> {
        first_of(Self::read_many(c, &[(id.to_string(), Value::Null)]).await)
    }

    async fn read_batch(
        &self,
        c: &Clients,
        items: &[(String, Value)],
    ) -> Vec<ProviderResult<Option<Value>>> {
        Self::read_many(c, items).await
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        let rtb = req_str(&req.config, "route_table_id", "aws_route_table_association")?;
        let out = c
            .ec2
            .replace_route_table_association()
            .association_id(&req.id)
            .route_table_id(&rtb)
            .send()
            .await
            .map_err(|e| sdk_error("ReplaceRouteTableAssociation", e))?;
        let id = out.new_association_id().unwrap_or(&req.id).to_string();
        first_of(Self::read_many(c, &[(id.clone(), Value::Null)]).await)?
            .ok_or_else(|| ProviderError::not_found(format!("association {id} is gone")))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        gone_ok(
            c.ec2
                .disassociate_route_table()
                .association_id(&req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("DisassociateRouteTable", e)),
        )
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        let Some((target, rtb)) = id.split_once('/') else {
            return self.read(c, id, &Value::Null).await;
        };
        let (subnet, gateway) = if target.starts_with("subnet-") {
            (Some(target), None)
        } else {
            (None, Some(target))
        };
        Ok(Self::find_for(c, subnet, gateway)
            .await?
            .filter(|v| v.get_str("route_table_id") == Some(rtb)))
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let out = c
            .ec2
            .describe_route_tables()
            .send()
            .await
            .map_err(|e| sdk_error("DescribeRouteTables", e))?;
        Ok(out
            .route_tables()
            .iter()
            .flat_map(|t| t.associations())
            .filter(|a| a.main() != Some(true))
            .filter_map(|a| {
                Some(Listed {
                    type_name: "aws_route_table_association".into(),
                    id: a.route_table_association_id()?.to_string(),
                    tags: BTreeMap::new(),
                })
            })
            .collect())
    }
}
