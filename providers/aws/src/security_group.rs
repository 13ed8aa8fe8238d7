//! `aws_security_group` (with Terraform's inline `ingress`/`egress` semantics) and the
//! standalone rule types `aws_vpc_security_group_ingress_rule` / `..._egress_rule`.
//!
//! Inline rules follow the Terraform AWS provider: on create the allow-all egress rule AWS adds
//! is revoked, so a group has exactly the rules its blocks declare; a group without `ingress` or
//! `egress` blocks leaves that direction alone (standalone rule resources may manage it). AWS
//! stores one permission per (protocol, ports) with many sources, while a config block may
//! list several sources with one description; reading splits the cloud's permissions back into
//! the blocks the prior state had, so equal rule sets never show up as a change.

use crate::clients::{AwsSettings, Clients};
use crate::registry::ResourceType;
use crate::util::{
    attr_str, block_list, bool_or, opt_i64, owned_by, plan_default, plan_tags_all, read_tags,
    req_str, sdk_error, set_value, sets_blocks, str_list, unique_name,
};
use crate::vpc::{
    create_tags_for, describe_batch, ec2_arn, filter, first_of, gone_ok, id_filter, owner_filters,
    s, spread, sync_tags, tag_map, tag_spec,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType as Ec2Type, SecurityGroupRule,
    SecurityGroupRuleRequest, SecurityGroupRuleUpdate, UserIdGroupPair,
};
use std::collections::BTreeMap;
use terrane_provider::{
    AttrType, Attribute, Block, BlockSchema, CreateRequest, DeleteRequest, ErrorKind, Listed, Map,
    Owner, ProviderError, ProviderResult, Schema, UpdateRequest, Value,
};

/// Terraform's protocol normal form: lower case, `all` = `-1`, well-known numbers as names.
pub(crate) fn normalize_protocol(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "all" | "-1" => "-1".into(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        "58" => "icmpv6".into(),
        other => other.to_string(),
    }
}

/// One source of one rule: the unit AWS and the config agree on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Atom {
    protocol: String,
    from: i64,
    to: i64,
    description: String,
    source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Cidr(String),
    Cidr6(String),
    PrefixList(String),
    Group(String),
    SelfRef,
}

/// The atoms of a config (or prior) rule block.
fn block_atoms(b: &Value, self_id: &str) -> Vec<Atom> {
    let protocol = normalize_protocol(&attr_str(b, "protocol").unwrap_or_else(|| "-1".into()));
    let (from, to) = if protocol == "-1" {
        (0, 0)
    } else {
        (
            opt_i64(b, "from_port").unwrap_or(0),
            opt_i64(b, "to_port").unwrap_or(0),
        )
    };
    let description = attr_str(b, "description").unwrap_or_default();
    let mut sources = Vec::new();
    sources.extend(str_list(b.get("cidr_blocks")).into_iter().map(Source::Cidr));
    sources.extend(
        str_list(b.get("ipv6_cidr_blocks"))
            .into_iter()
            .map(Source::Cidr6),
    );
    sources.extend(
        str_list(b.get("prefix_list_ids"))
            .into_iter()
            .map(Source::PrefixList),
    );
    for g in str_list(b.get("security_groups")) {
        sources.push(if g == self_id {
            Source::SelfRef
        } else {
            Source::Group(g)
        });
    }
    if bool_or(b, "self", false) {
        sources.push(Source::SelfRef);
    }
    sources
        .into_iter()
        .map(|source| Atom {
            protocol: protocol.clone(),
            from,
            to,
            description: description.clone(),
            source,
        })
        .collect()
}

/// The atoms of the permissions AWS reports.
fn permission_atoms(perms: &[IpPermission], self_id: &str) -> Vec<Atom> {
    let mut out = Vec::new();
    for p in perms {
        let protocol = normalize_protocol(p.ip_protocol().unwrap_or("-1"));
        let (from, to) = if protocol == "-1" {
            (0, 0)
        } else {
            (
                i64::from(p.from_port().unwrap_or(0)),
                i64::from(p.to_port().unwrap_or(0)),
            )
        };
        let mut push = |d: Option<&str>, source: Source| {
            out.push(Atom {
                protocol: protocol.clone(),
                from,
                to,
                description: d.unwrap_or_default().to_string(),
                source,
            })
        };
        for r in p.ip_ranges() {
            if let Some(c) = r.cidr_ip() {
                push(r.description(), Source::Cidr(c.to_string()));
            }
        }
        for r in p.ipv6_ranges() {
            if let Some(c) = r.cidr_ipv6() {
                push(r.description(), Source::Cidr6(c.to_string()));
            }
        }
        for r in p.prefix_list_ids() {
            if let Some(c) = r.prefix_list_id() {
                push(r.description(), Source::PrefixList(c.to_string()));
            }
        }
        for g in p.user_id_group_pairs() {
            if let Some(id) = g.group_id() {
                let src = if id == self_id {
                    Source::SelfRef
                } else {
                    Source::Group(id.to_string())
                };
                push(g.description(), src);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn atoms_to_block(atoms: &[Atom]) -> Value {
    let first = &atoms[0];
    let mut cidr = Vec::new();
    let mut cidr6 = Vec::new();
    let mut pl = Vec::new();
    let mut groups = Vec::new();
    let mut self_ref = false;
    for a in atoms {
        match &a.source {
            Source::Cidr(x) => cidr.push(x.clone()),
            Source::Cidr6(x) => cidr6.push(x.clone()),
            Source::PrefixList(x) => pl.push(x.clone()),
            Source::Group(x) => groups.push(x.clone()),
            Source::SelfRef => self_ref = true,
        }
    }
    Value::map([
        ("protocol", Value::String(first.protocol.clone())),
        ("from_port", Value::Number(first.from as f64)),
        ("to_port", Value::Number(first.to as f64)),
        ("description", Value::String(first.description.clone())),
        ("cidr_blocks", crate::util::list_value(&cidr)),
        ("ipv6_cidr_blocks", crate::util::list_value(&cidr6)),
        ("prefix_list_ids", crate::util::list_value(&pl)),
        ("security_groups", set_value(&groups)),
        ("self", Value::Bool(self_ref)),
    ])
}

/// Regroups the cloud's atoms into blocks: first the blocks of the prior state that are still
/// wholly present (so the user's grouping is kept), then the rest grouped by protocol, ports and
/// description.
fn regroup(mut atoms: Vec<Atom>, prior_blocks: &[&Value], self_id: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for pb in prior_blocks {
        let want = block_atoms(pb, self_id);
        if want.is_empty() || !want.iter().all(|a| atoms.contains(a)) {
            continue;
        }
        atoms.retain(|a| !want.contains(a));
        out.push(atoms_to_block(&want));
    }
    let mut groups: BTreeMap<(String, i64, i64, String), Vec<Atom>> = BTreeMap::new();
    for a in atoms {
        groups
            .entry((a.protocol.clone(), a.from, a.to, a.description.clone()))
            .or_default()
            .push(a);
    }
    out.extend(groups.values().map(|g| atoms_to_block(g)));
    out
}

/// IpPermissions for a set of atoms (one permission per atom keeps descriptions exact).
fn to_permissions(atoms: &[Atom], self_id: &str) -> Vec<IpPermission> {
    atoms
        .iter()
        .map(|a| {
            let mut b = IpPermission::builder().ip_protocol(&a.protocol);
            if a.protocol != "-1" {
                b = b.from_port(a.from as i32).to_port(a.to as i32);
            }
            let d = (!a.description.is_empty()).then(|| a.description.clone());
            match &a.source {
                Source::Cidr(c) => {
                    b = b.ip_ranges(IpRange::builder().cidr_ip(c).set_description(d).build())
                }
                Source::Cidr6(c) => {
                    b = b.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(d).build())
                }
                Source::PrefixList(p) => {
                    b = b.prefix_list_ids(
                        PrefixListId::builder()
                            .prefix_list_id(p)
                            .set_description(d)
                            .build(),
                    )
                }
                Source::Group(g) => {
                    b = b.user_id_group_pairs(
                        UserIdGroupPair::builder()
                            .group_id(g)
                            .set_description(d)
                            .build(),
                    )
                }
                Source::SelfRef => {
                    b = b.user_id_group_pairs(
                        UserIdGroupPair::builder()
                            .group_id(self_id)
                            .set_description(d)
                            .build(),
                    )
                }
            }
            b.build()
        })
        .collect()
}

fn rule_block() -> BlockSchema {
    let strs = || AttrType::List(Box::new(AttrType::String));
    BlockSchema::set(
        Block::new()
            .attr("from_port", Attribute::required(AttrType::Number))
            .attr("to_port", Attribute::required(AttrType::Number))
            .attr("protocol", Attribute::required(s()))
            .attr("cidr_blocks", Attribute::optional(strs()))
            .attr("ipv6_cidr_blocks", Attribute::optional(strs()))
            .attr("prefix_list_ids", Attribute::optional(strs()))
            .attr(
                "security_groups",
                Attribute::optional(AttrType::Set(Box::new(AttrType::String))),
            )
            .attr(
                "self",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            )
            .attr("description", Attribute::optional(s())),
    )
    // As in Terraform, no blocks in config means the group's rules are managed elsewhere
    // (aws_vpc_security_group_*_rule), so an imported group's rules are not planned away.
    .computed()
    .attribute_syntax()
}

// ---------------------------------------------------------------------------------------------
// aws_security_group

pub(crate) struct SecurityGroup;

impl SecurityGroup {
    async fn describe(
        c: &Clients,
        ids: Vec<String>,
    ) -> ProviderResult<Vec<(String, aws_sdk_ec2::types::SecurityGroup)>> {
        let out = c
            .ec2
            .describe_security_groups()
            .filters(id_filter("group-id", &ids))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeSecurityGroups", e))?;
        Ok(out
            .security_groups()
            .iter()
            .filter_map(|g| Some((g.group_id()?.to_string(), g.clone())))
            .collect())
    }

    fn to_value(c: &Clients, g: &aws_sdk_ec2::types::SecurityGroup, prior: &Value) -> Value {
        let id = g.group_id().unwrap_or_default();
        let owner = g.owner_id().unwrap_or_default();
        let (tags, tags_all) = read_tags(tag_map(g.tags()), &c.settings.default_tags, prior);
        let mut m = Map::new();
        m.insert("id".to_string(), Value::string(id));
        m.insert(
            "arn".into(),
            g.security_group_arn()
                .map(Value::string)
                .unwrap_or_else(|| Value::String(ec2_arn(c, owner, "security-group", id))),
        );
        m.insert("owner_id".into(), Value::string(owner));
        m.insert(
            "name".into(),
            Value::string(g.group_name().unwrap_or_default()),
        );
        m.insert(
            "description".into(),
            Value::string(g.description().unwrap_or_default()),
        );
        m.insert(
            "vpc_id".into(),
            g.vpc_id().map(Value::string).unwrap_or(Value::Null),
        );
        m.insert(
            "revoke_rules_on_delete".into(),
            Value::Bool(bool_or(prior, "revoke_rules_on_delete", false)),
        );
        if let Some(v) = prior.get("name_prefix") {
            m.insert("name_prefix".into(), v.clone());
        }
        // A direction is reported when this group manages it (prior blocks) or on import.
        for (key, perms) in [
            ("ingress", g.ip_permissions()),
            ("egress", g.ip_permissions_egress()),
        ] {
            let prior_blocks = block_list(prior, key);
            if prior.is_null() || sets_blocks(prior, key) {
                let blocks = regroup(permission_atoms(perms, id), &prior_blocks, id);
                m.insert(key.into(), Value::List(blocks));
            }
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
        spread(items, found, |g, prior| Ok(Self::to_value(c, g, prior)))
    }

    /// Makes one direction's rules exactly the config's blocks.
    async fn sync_rules(
        c: &Clients,
        id: &str,
        egress: bool,
        current: &[IpPermission],
        want_blocks: &[&Value],
    ) -> ProviderResult<()> {
        let have = permission_atoms(current, id);
        let mut want: Vec<Atom> = want_blocks
            .iter()
            .flat_map(|b| block_atoms(b, id))
            .collect();
        want.sort();
        want.dedup();
        let add: Vec<Atom> = want.iter().filter(|a| !have.contains(a)).cloned().collect();
        // A description change is a remove plus an add of the same source.
        let remove: Vec<Atom> = have.iter().filter(|a| !want.contains(a)).cloned().collect();
        if !remove.is_empty() {
            let perms = to_permissions(&remove, id);
            if egress {
                c.ec2
                    .revoke_security_group_egress()
                    .group_id(id)
                    .set_ip_permissions(Some(perms))
                    .send()
                    .await
                    .map_err(|e| sdk_error("RevokeSecurityGroupEgress", e))?;
            } else {
                c.ec2
                    .revoke_security_group_ingress()
                    .group_id(id)
                    .set_ip_permissions(Some(perms))
                    .send()
                    .await
                    .map_err(|e| sdk_error("RevokeSecurityGroupIngress", e))?;
            }
        }
        if !add.is_empty() {
            let perms = to_permissions(&add, id);
            if egress {
                c.ec2
                    .authorize_security_group_egress()
                    .group_id(id)
                    .set_ip_permissions(Some(perms))
                    .send()
                    .await
                    .map_err(|e| sdk_error("AuthorizeSecurityGroupEgress", e))?;
            } else {
                c.ec2
                    .authorize_security_group_ingress()
                    .group_id(id)
                    .set_ip_permissions(Some(perms))
                    .send()
                    .await
                    .map_err(|e| sdk_error("AuthorizeSecurityGroupIngress", e))?;
            }
        }
        Ok(())
    }

    async fn reconcile(
        c: &Clients,
        g: &aws_sdk_ec2::types::SecurityGroup,
        config: &Value,
        prior: &Value,
        owner: &Owner,
        fresh: bool,
    ) -> ProviderResult<()> {
        let id = g.group_id().unwrap_or_default();
        let ingress = block_list(config, "ingress");
        if sets_blocks(config, "ingress") || sets_blocks(prior, "ingress") {
            Self::sync_rules(c, id, false, g.ip_permissions(), &ingress).await?;
        }
        let egress = block_list(config, "egress");
        // A new group starts with AWS's allow-all egress rule; Terraform removes it.
        if fresh || sets_blocks(config, "egress") || sets_blocks(prior, "egress") {
            Self::sync_rules(c, id, true, g.ip_permissions_egress(), &egress).await?;
        }
        sync_tags(c, id, &tag_map(g.tags()), config, owner).await
    }
}

#[async_trait]
impl ResourceType for SecurityGroup {
    fn schema(&self) -> Schema {
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("owner_id", Attribute::computed(s()))
            .attr("name", Attribute::optional_computed(s()).force_new())
            .attr("name_prefix", Attribute::optional(s()).force_new())
            .attr(
                "description",
                Attribute::optional(s())
                    .default(Value::string("Managed by Terraform"))
                    .force_new(),
            )
            .attr("vpc_id", Attribute::optional_computed(s()).force_new())
            .attr(
                "revoke_rules_on_delete",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            )
            .block("ingress", rule_block())
            .block("egress", rule_block());
        Schema::managed(
            "aws_security_group",
            terrane_provider::tags_attributes(body),
        )
        .crossplane("ec2.aws.upbound.io", "SecurityGroup")
        .taggable()
        .import_id("the security group id (sg-...)")
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let name = attr_str(cfg, "name").unwrap_or_else(|| {
            unique_name(&attr_str(cfg, "name_prefix").unwrap_or_else(|| "terraform-".into()))
        });
        let vpc = attr_str(cfg, "vpc_id");
        // A generated name cannot be found again after a crash: look for our tags instead.
        let mut filters = if attr_str(cfg, "name").is_some() {
            vec![filter("group-name", &[&name])]
        } else {
            owner_filters(&req.owner)
        };
        if let Some(v) = &vpc {
            filters.push(filter("vpc-id", &[v]));
        }
        let found = c
            .ec2
            .describe_security_groups()
            .set_filters(Some(filters))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeSecurityGroups", e))?;
        let (group, fresh) = if let Some(g) = found.security_groups().first() {
            if !owned_by(&tag_map(g.tags()), &req.owner.stack, &req.owner.address) {
                return Err(ProviderError::invalid(format!(
                    "security group {name:?} already exists{} and was not created by terrane for {} \
                     (no matching terrane:address tag); import it with `terrane state import {} {}` or choose another name",
                    vpc.as_deref().map(|v| format!(" in {v}")).unwrap_or_default(),
                    req.owner.address,
                    req.owner.address,
                    g.group_id().unwrap_or_default()
                )));
            }
            (g.clone(), false)
        } else {
            let mut b = c
                .ec2
                .create_security_group()
                .group_name(&name)
                .description(
                    attr_str(cfg, "description").unwrap_or_else(|| "Managed by Terraform".into()),
                )
                .tag_specifications(tag_spec(
                    Ec2Type::SecurityGroup,
                    &create_tags_for(c, cfg, &req.owner),
                ));
            if let Some(v) = &vpc {
                b = b.vpc_id(v);
            }
            let out = b
                .send()
                .await
                .map_err(|e| sdk_error("CreateSecurityGroup", e))?;
            let id = out
                .group_id()
                .ok_or_else(|| ProviderError::other("CreateSecurityGroup returned no id"))?
                .to_string();
            let g = Self::describe(c, vec![id.clone()])
                .await?
                .pop()
                .map(|(_, g)| g)
                .ok_or_else(|| ProviderError::other(format!("security group {id} vanished")))?;
            (g, true)
        };
        Self::reconcile(c, &group, cfg, &Value::Null, &req.owner, fresh).await?;
        let id = group.group_id().unwrap_or_default().to_string();
        first_of(Self::read_many(c, &[(id.clone(), cfg.clone())]).await)?.ok_or_else(|| {
            ProviderError::other(format!("security group {id} vanished after create"))
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
        let g = Self::describe(c, vec![req.id.clone()])
            .await?
            .pop()
            .map(|(_, g)| g)
            .ok_or_else(|| {
                ProviderError::not_found(format!("security group {} is gone", req.id))
            })?;
        Self::reconcile(c, &g, &req.config, &req.prior, &req.owner, false).await?;
        first_of(Self::read_many(c, &[(req.id.clone(), req.config.clone())]).await)?
            .ok_or_else(|| ProviderError::not_found(format!("security group {} is gone", req.id)))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        if bool_or(&req.prior, "revoke_rules_on_delete", false) {
            match Self::describe(c, vec![req.id.clone()]).await {
                Ok(mut v) => {
                    if let Some((_, g)) = v.pop() {
                        Self::sync_rules(c, &req.id, false, g.ip_permissions(), &[]).await?;
                        Self::sync_rules(c, &req.id, true, g.ip_permissions_egress(), &[]).await?;
                    }
                }
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        gone_ok(
            c.ec2
                .delete_security_group()
                .group_id(&req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("DeleteSecurityGroup", e)),
        )
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let out = c
            .ec2
            .describe_security_groups()
            .send()
            .await
            .map_err(|e| sdk_error("DescribeSecurityGroups", e))?;
        Ok(out
            .security_groups()
            .iter()
            .filter(|g| g.group_name() != Some("default"))
            .filter_map(|g| {
                Some(Listed {
                    type_name: "aws_security_group".into(),
                    id: g.group_id()?.to_string(),
                    tags: tag_map(g.tags()),
                })
            })
            .collect())
    }

    fn plan(&self, settings: &AwsSettings, config: &mut Value) {
        plan_default(config, "description", Value::string("Managed by Terraform"));
        plan_default(config, "revoke_rules_on_delete", Value::Bool(false));
        if let Some(m) = config.as_map_mut() {
            for key in ["ingress", "egress"] {
                if let Some(Value::List(blocks)) = m.get_mut(key) {
                    for b in blocks.iter_mut() {
                        if let Some(Value::String(p)) =
                            b.as_map_mut().and_then(|bm| bm.get_mut("protocol"))
                        {
                            *p = normalize_protocol(p);
                        }
                    }
                }
            }
        }
        plan_tags_all(&settings.default_tags, config);
    }
}

// ---------------------------------------------------------------------------------------------
// aws_vpc_security_group_ingress_rule / aws_vpc_security_group_egress_rule

/// A standalone rule. It does not list for the unmanaged report: every group's rules would be
/// listed, those an `aws_security_group` manages inline and those AWS creates (the default
/// egress rule, the default group's rules) included, and a listed rule does not say which group
/// it belongs to, so the report could not tell them from rules nobody manages. Groups are
/// listed; a rule added by hand to a group with inline rules is drift of that group.
pub(crate) struct SgRule {
    pub egress: bool,
}

impl SgRule {
    fn type_name(&self) -> &'static str {
        if self.egress {
            "aws_vpc_security_group_egress_rule"
        } else {
            "aws_vpc_security_group_ingress_rule"
        }
    }

    async fn describe(
        c: &Clients,
        ids: Vec<String>,
    ) -> ProviderResult<Vec<(String, SecurityGroupRule)>> {
        let out = c
            .ec2
            .describe_security_group_rules()
            .filters(id_filter("security-group-rule-id", &ids))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeSecurityGroupRules", e))?;
        Ok(out
            .security_group_rules()
            .iter()
            .filter_map(|r| Some((r.security_group_rule_id()?.to_string(), r.clone())))
            .collect())
    }

    fn to_value(&self, c: &Clients, r: &SecurityGroupRule, prior: &Value) -> Option<Value> {
        if r.is_egress() != Some(self.egress) {
            return None;
        }
        let id = r.security_group_rule_id().unwrap_or_default();
        let owner = r.group_owner_id().unwrap_or_default();
        let (tags, tags_all) = read_tags(tag_map(r.tags()), &c.settings.default_tags, prior);
        let protocol = normalize_protocol(r.ip_protocol().unwrap_or("-1"));
        // All-protocol rules have no ports (AWS reports -1); others keep theirs, ICMP's -1 included.
        let port = |p: Option<i32>| match p {
            Some(p) if protocol != "-1" => Value::Number(f64::from(p)),
            _ => Value::Null,
        };
        let opt = |o: Option<&str>| o.map(Value::string).unwrap_or(Value::Null);
        Some(Value::map([
            ("id", Value::string(id)),
            ("security_group_rule_id", Value::string(id)),
            (
                "arn",
                r.security_group_rule_arn()
                    .map(Value::string)
                    .unwrap_or_else(|| Value::String(ec2_arn(c, owner, "security-group-rule", id))),
            ),
            ("security_group_id", opt(r.group_id())),
            ("ip_protocol", Value::String(protocol.clone())),
            ("from_port", port(r.from_port())),
            ("to_port", port(r.to_port())),
            ("cidr_ipv4", opt(r.cidr_ipv4())),
            ("cidr_ipv6", opt(r.cidr_ipv6())),
            ("prefix_list_id", opt(r.prefix_list_id())),
            (
                "referenced_security_group_id",
                opt(r.referenced_group_info().and_then(|g| g.group_id())),
            ),
            ("description", opt(r.description())),
            ("tags", tags),
            ("tags_all", tags_all),
        ]))
    }

    async fn read_many(
        &self,
        c: &Clients,
        items: &[(String, Value)],
    ) -> Vec<ProviderResult<Option<Value>>> {
        let ids: Vec<String> = items.iter().map(|(i, _)| i.clone()).collect();
        let found = describe_batch(&ids, |b| Self::describe(c, b)).await;
        match found {
            Ok(map) => items
                .iter()
                .map(|(id, prior)| Ok(map.get(id).and_then(|r| self.to_value(c, r, prior))))
                .collect(),
            Err(e) => items.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    fn request(config: &Value) -> SecurityGroupRuleRequest {
        let protocol =
            normalize_protocol(&attr_str(config, "ip_protocol").unwrap_or_else(|| "-1".into()));
        let mut b = SecurityGroupRuleRequest::builder().ip_protocol(&protocol);
        if protocol != "-1" {
            b = b
                .set_from_port(opt_i64(config, "from_port").map(|p| p as i32))
                .set_to_port(opt_i64(config, "to_port").map(|p| p as i32));
        }
        b.set_cidr_ipv4(attr_str(config, "cidr_ipv4"))
            .set_cidr_ipv6(attr_str(config, "cidr_ipv6"))
            .set_prefix_list_id(attr_str(config, "prefix_list_id"))
            .set_referenced_group_id(attr_str(config, "referenced_security_group_id"))
            .set_description(attr_str(config, "description"))
            .build()
    }

    fn permission(config: &Value) -> IpPermission {
        let protocol =
            normalize_protocol(&attr_str(config, "ip_protocol").unwrap_or_else(|| "-1".into()));
        let d = attr_str(config, "description");
        let mut b = IpPermission::builder().ip_protocol(&protocol);
        if protocol != "-1" {
            b = b
                .set_from_port(opt_i64(config, "from_port").map(|p| p as i32))
                .set_to_port(opt_i64(config, "to_port").map(|p| p as i32));
        }
        if let Some(c) = attr_str(config, "cidr_ipv4") {
            b = b.ip_ranges(
                IpRange::builder()
                    .cidr_ip(c)
                    .set_description(d.clone())
                    .build(),
            );
        }
        if let Some(c) = attr_str(config, "cidr_ipv6") {
            b = b.ipv6_ranges(
                Ipv6Range::builder()
                    .cidr_ipv6(c)
                    .set_description(d.clone())
                    .build(),
            );
        }
        if let Some(p) = attr_str(config, "prefix_list_id") {
            b = b.prefix_list_ids(
                PrefixListId::builder()
                    .prefix_list_id(p)
                    .set_description(d.clone())
                    .build(),
            );
        }
        if let Some(g) = attr_str(config, "referenced_security_group_id") {
            b = b.user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(g)
                    .set_description(d)
                    .build(),
            );
        }
        b.build()
    }

    fn check(&self, config: &Value) -> ProviderResult<()> {
        let n = [
            "cidr_ipv4",
            "cidr_ipv6",
            "prefix_list_id",
            "referenced_security_group_id",
        ]
        .iter()
        .filter(|k| attr_str(config, k).is_some())
        .count();
        if n != 1 {
            return Err(ProviderError::invalid(format!(
                "{}: exactly one of cidr_ipv4, cidr_ipv6, prefix_list_id or referenced_security_group_id must be set ({n} set)",
                self.type_name()
            )));
        }
        let protocol = normalize_protocol(&attr_str(config, "ip_protocol").unwrap_or_default());
        if protocol != "-1"
            && (opt_i64(config, "from_port").is_none() || opt_i64(config, "to_port").is_none())
        {
            return Err(ProviderError::invalid(format!(
                "{}: from_port and to_port must be set when ip_protocol is {protocol:?}",
                self.type_name()
            )));
        }
        Ok(())
    }
}

#[async_trait]
impl ResourceType for SgRule {
    fn schema(&self) -> Schema {
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("security_group_rule_id", Attribute::computed(s()))
            .attr("security_group_id", Attribute::required(s()).force_new())
            .attr("ip_protocol", Attribute::required(s()))
            .attr("from_port", Attribute::optional(AttrType::Number))
            .attr("to_port", Attribute::optional(AttrType::Number))
            .attr("cidr_ipv4", Attribute::optional(s()))
            .attr("cidr_ipv6", Attribute::optional(s()))
            .attr("prefix_list_id", Attribute::optional(s()))
            .attr("referenced_security_group_id", Attribute::optional(s()))
            .attr("description", Attribute::optional(s()));
        let kind = if self.egress {
            "SecurityGroupEgressRule"
        } else {
            "SecurityGroupIngressRule"
        };
        Schema::managed(self.type_name(), terrane_provider::tags_attributes(body))
            .crossplane("ec2.aws.upbound.io", kind)
            .taggable()
            .import_id("the security group rule id (sgr-...)")
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        self.check(cfg)?;
        let group = req_str(cfg, "security_group_id", self.type_name())?;
        // After a crash, the rule may exist with our tags: find it among the group's rules.
        let existing = c
            .ec2
            .describe_security_group_rules()
            .filters(filter("group-id", &[&group]))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeSecurityGroupRules", e))?;
        let adopted = existing.security_group_rules().iter().find(|r| {
            r.is_egress() == Some(self.egress)
                && owned_by(&tag_map(r.tags()), &req.owner.stack, &req.owner.address)
        });
        if let Some(r) = adopted {
            let upd = UpdateRequest {
                type_name: req.type_name.clone(),
                owner: req.owner.clone(),
                id: r.security_group_rule_id().unwrap_or_default().to_string(),
                prior: Value::Null,
                config: cfg.clone(),
            };
            return self.update(c, &upd).await;
        }
        let id = {
            let spec = tag_spec(
                Ec2Type::SecurityGroupRule,
                &create_tags_for(c, cfg, &req.owner),
            );
            let rules: Vec<SecurityGroupRule> = if self.egress {
                c.ec2
                    .authorize_security_group_egress()
                    .group_id(&group)
                    .ip_permissions(Self::permission(cfg))
                    .tag_specifications(spec)
                    .send()
                    .await
                    .map_err(|e| sdk_error("AuthorizeSecurityGroupEgress", e))?
                    .security_group_rules()
                    .to_vec()
            } else {
                c.ec2
                    .authorize_security_group_ingress()
                    .group_id(&group)
                    .ip_permissions(Self::permission(cfg))
                    .tag_specifications(spec)
                    .send()
                    .await
                    .map_err(|e| sdk_error("AuthorizeSecurityGroupIngress", e))?
                    .security_group_rules()
                    .to_vec()
            };
            let r = rules
                .first()
                .ok_or_else(|| ProviderError::other("Authorize returned no security group rule"))?;
            let id = r.security_group_rule_id().unwrap_or_default().to_string();
            // Not every endpoint applies TagSpecifications to rules: make sure the tags are there.
            sync_tags(c, &id, &tag_map(r.tags()), cfg, &req.owner).await?;
            id
        };
        first_of(self.read_many(c, &[(id.clone(), cfg.clone())]).await)?.ok_or_else(|| {
            ProviderError::other(format!("security group rule {id} vanished after create"))
        })
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        first_of(self.read_many(c, &[(id.to_string(), prior.clone())]).await)
    }

    async fn read_batch(
        &self,
        c: &Clients,
        items: &[(String, Value)],
    ) -> Vec<ProviderResult<Option<Value>>> {
        self.read_many(c, items).await
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        self.check(&req.config)?;
        let current = Self::describe(c, vec![req.id.clone()])
            .await?
            .pop()
            .map(|(_, r)| r)
            .ok_or_else(|| {
                ProviderError::not_found(format!("security group rule {} is gone", req.id))
            })?;
        let group = current.group_id().unwrap_or_default().to_string();
        let want = self.to_value(c, &current, &req.prior);
        let rule_changed = [
            "ip_protocol",
            "from_port",
            "to_port",
            "cidr_ipv4",
            "cidr_ipv6",
            "prefix_list_id",
            "referenced_security_group_id",
            "description",
        ]
        .iter()
        .any(|k| {
            let have = want
                .as_ref()
                .and_then(|w| w.get(k))
                .and_then(Value::to_string_lossy);
            let mut cfg = req.config.get(k).and_then(Value::to_string_lossy);
            if *k == "ip_protocol" {
                cfg = cfg.map(|p| normalize_protocol(&p));
            }
            have.filter(|s| !s.is_empty()) != cfg.filter(|s| !s.is_empty())
        });
        if rule_changed {
            c.ec2
                .modify_security_group_rules()
                .group_id(&group)
                .security_group_rules(
                    SecurityGroupRuleUpdate::builder()
                        .security_group_rule_id(&req.id)
                        .security_group_rule(Self::request(&req.config))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| sdk_error("ModifySecurityGroupRules", e))?;
        }
        sync_tags(
            c,
            &req.id,
            &tag_map(current.tags()),
            &req.config,
            &req.owner,
        )
        .await?;
        first_of(
            self.read_many(c, &[(req.id.clone(), req.config.clone())])
                .await,
        )?
        .ok_or_else(|| ProviderError::not_found(format!("security group rule {} is gone", req.id)))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        let group = match req.prior.get_str("security_group_id") {
            Some(g) => g.to_string(),
            None => match Self::describe(c, vec![req.id.clone()]).await {
                Ok(mut v) => match v.pop() {
                    Some((_, r)) => r.group_id().unwrap_or_default().to_string(),
                    None => return Ok(()),
                },
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e),
            },
        };
        let r = if self.egress {
            c.ec2
                .revoke_security_group_egress()
                .group_id(&group)
                .security_group_rule_ids(&req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("RevokeSecurityGroupEgress", e))
        } else {
            c.ec2
                .revoke_security_group_ingress()
                .group_id(&group)
                .security_group_rule_ids(&req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("RevokeSecurityGroupIngress", e))
        };
        gone_ok(r)
    }

    fn plan(&self, settings: &AwsSettings, config: &mut Value) {
        if let Some(Value::String(p)) = config.as_map_mut().and_then(|m| m.get_mut("ip_protocol")) {
            *p = normalize_protocol(p);
        }
        plan_tags_all(&settings.default_tags, config);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(pairs: Vec<(&str, Value)>) -> Value {
        Value::map(pairs)
    }

    #[test]
    fn protocols_normalise_like_terraform() {
        assert_eq!(normalize_protocol("ALL"), "-1");
        assert_eq!(normalize_protocol("6"), "tcp");
        assert_eq!(normalize_protocol("udp"), "udp");
    }

    #[test]
    fn regroup_keeps_the_prior_grouping() {
        let b1 = block(vec![
            ("protocol", Value::string("tcp")),
            ("from_port", Value::Number(443.0)),
            ("to_port", Value::Number(443.0)),
            (
                "cidr_blocks",
                crate::util::list_value(&["10.0.0.0/16", "10.1.0.0/16"]),
            ),
            ("description", Value::string("TLS")),
        ]);
        let b2 = block(vec![
            ("protocol", Value::string("tcp")),
            ("from_port", Value::Number(443.0)),
            ("to_port", Value::Number(443.0)),
            ("cidr_blocks", crate::util::list_value(&["10.2.0.0/16"])),
            ("description", Value::string("TLS")),
        ]);
        let mut atoms: Vec<Atom> = [&b1, &b2]
            .iter()
            .flat_map(|b| block_atoms(b, "sg-1"))
            .collect();
        atoms.sort();
        let blocks = regroup(atoms.clone(), &[&b1, &b2], "sg-1");
        assert_eq!(blocks.len(), 2);
        assert_eq!(
            blocks[0].get("cidr_blocks"),
            Some(&crate::util::list_value(&["10.0.0.0/16", "10.1.0.0/16"]))
        );
        // Without a prior grouping, atoms with the same key form one block.
        assert_eq!(regroup(atoms, &[], "sg-1").len(), 1);
    }
}
