//! IAM: `aws_iam_role`, `aws_iam_policy`, `aws_iam_role_policy`,
//! `aws_iam_role_policy_attachment` and `aws_iam_user`, with the Terraform AWS provider's
//! attribute names, defaults and import ids.
//!
//! IAM names are unique per account, so a create retried after a crash finds the resource by
//! its name: carrying our `terrane:address` tag it is adopted, otherwise the user is told it
//! already exists. Policy documents come back URL-encoded and reformatted by IAM; they are
//! decoded and normalised on read so that formatting never shows up as drift.

use crate::clients::Clients;
use crate::registry::ResourceType;
use crate::util::{
    attr_str, block_list, bool_or, opt_i64, owned_by, plan_default, plan_tags_all,
    policy_from_cloud, read_tags, req_str, sdk_error, set_value, str_list, string_map,
    tags_with_owner, unique_name,
};
use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use std::collections::{BTreeMap, BTreeSet};
use terrane_provider::{
    AttrType, Attribute, Block, BlockSchema, CreateRequest, DeleteRequest, ErrorKind, Listed, Map,
    Owner, ProviderError, ProviderResult, Schema, UpdateRequest, Value,
};

fn s() -> AttrType {
    AttrType::String
}
fn str_set() -> AttrType {
    AttrType::Set(Box::new(AttrType::String))
}

/// Treats NotFound as `None` and passes every other error on.
fn found<T>(r: ProviderResult<T>) -> ProviderResult<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Treats NotFound as success (deleting something already gone).
fn gone_ok(r: ProviderResult<()>) -> ProviderResult<()> {
    match r {
        Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

fn iam_tags(m: &BTreeMap<String, String>) -> Vec<Tag> {
    m.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

/// The name to create: `name`, else `name_prefix` + a unique suffix, else `terraform-` + one.
fn chosen_name(config: &Value) -> String {
    attr_str(config, "name").unwrap_or_else(|| {
        unique_name(&attr_str(config, "name_prefix").unwrap_or_else(|| "terraform-".into()))
    })
}

fn already_exists(kind: &str, name: &str, owner: &Owner) -> ProviderError {
    ProviderError::invalid(format!(
        "{kind} {name:?} already exists and was not created by terrane for {} (no matching terrane:address tag); \
         import it with `terrane state import {} {name}` or choose another name",
        owner.address, owner.address
    ))
}

/// The tag changes that turn `current` into `desired`: (to set, keys to remove).
fn tag_delta(
    current: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let set = desired
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = current
        .keys()
        .filter(|k| !desired.contains_key(*k))
        .cloned()
        .collect();
    (set, remove)
}

/// Desired tags for an update: the config's tags over the default tags, keeping our ownership
/// tags as the cloud has them (or adding them if missing).
fn desired_tags(c: &Clients, config: &Value, owner: &Owner) -> BTreeMap<String, String> {
    tags_with_owner(
        &string_map(config.get("tags")),
        &c.settings.default_tags,
        &owner.stack,
        &owner.address,
    )
}

// ---------------------------------------------------------------------------------------------
// aws_iam_role

pub(crate) struct Role;

impl Role {
    async fn get(c: &Clients, name: &str) -> ProviderResult<Option<aws_sdk_iam::types::Role>> {
        let r = c.iam.get_role().role_name(name).send().await;
        found(r.map_err(|e| sdk_error("GetRole", e))).map(|o| o.and_then(|out| out.role().cloned()))
    }

    async fn inline_policies(c: &Clients, name: &str) -> ProviderResult<BTreeMap<String, String>> {
        let mut names = Vec::new();
        let mut marker = None;
        loop {
            let out = c
                .iam
                .list_role_policies()
                .role_name(name)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| sdk_error("ListRolePolicies", e))?;
            names.extend(out.policy_names().iter().cloned());
            match out.marker() {
                Some(m) if out.is_truncated() => marker = Some(m.to_string()),
                _ => break,
            }
        }
        let mut out = BTreeMap::new();
        for p in names {
            let doc = c
                .iam
                .get_role_policy()
                .role_name(name)
                .policy_name(&p)
                .send()
                .await
                .map_err(|e| sdk_error("GetRolePolicy", e))?;
            out.insert(p, policy_from_cloud(doc.policy_document()));
        }
        Ok(out)
    }

    async fn attached(c: &Clients, name: &str) -> ProviderResult<Vec<String>> {
        let mut arns = Vec::new();
        let mut marker = None;
        loop {
            let out = c
                .iam
                .list_attached_role_policies()
                .role_name(name)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| sdk_error("ListAttachedRolePolicies", e))?;
            arns.extend(
                out.attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_string)),
            );
            match out.marker() {
                Some(m) if out.is_truncated() => marker = Some(m.to_string()),
                _ => break,
            }
        }
        Ok(arns)
    }

    /// Brings an existing role to the config: trust policy, settings, tags, inline and
    /// managed policies (the last two only when the config manages them).
    async fn reconcile(
        c: &Clients,
        name: &str,
        config: &Value,
        prior: &Value,
        owner: &Owner,
    ) -> ProviderResult<()> {
        let role = Self::get(c, name)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("IAM role {name} does not exist")))?;
        let want_trust =
            crate::util::normalize_policy(&req_str(config, "assume_role_policy", "aws_iam_role")?);
        let have_trust = role
            .assume_role_policy_document()
            .map(policy_from_cloud)
            .unwrap_or_default();
        if want_trust != have_trust {
            c.iam
                .update_assume_role_policy()
                .role_name(name)
                .policy_document(&want_trust)
                .send()
                .await
                .map_err(|e| sdk_error("UpdateAssumeRolePolicy", e))?;
        }
        let want_desc = attr_str(config, "description").unwrap_or_default();
        let want_max = opt_i64(config, "max_session_duration").unwrap_or(3600) as i32;
        if role.description().unwrap_or_default() != want_desc
            || role.max_session_duration().unwrap_or(3600) != want_max
        {
            c.iam
                .update_role()
                .role_name(name)
                .description(&want_desc)
                .max_session_duration(want_max)
                .send()
                .await
                .map_err(|e| sdk_error("UpdateRole", e))?;
        }
        let want_pb = attr_str(config, "permissions_boundary");
        let have_pb = role
            .permissions_boundary()
            .and_then(|p| p.permissions_boundary_arn())
            .map(str::to_string);
        if want_pb != have_pb {
            match &want_pb {
                Some(arn) => c
                    .iam
                    .put_role_permissions_boundary()
                    .role_name(name)
                    .permissions_boundary(arn)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_error("PutRolePermissionsBoundary", e))?,
                None => c
                    .iam
                    .delete_role_permissions_boundary()
                    .role_name(name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_error("DeleteRolePermissionsBoundary", e))?,
            }
        }
        let (set, remove) = tag_delta(&tag_map(role.tags()), &desired_tags(c, config, owner));
        if !set.is_empty() {
            c.iam
                .tag_role()
                .role_name(name)
                .set_tags(Some(iam_tags(&set)))
                .send()
                .await
                .map_err(|e| sdk_error("TagRole", e))?;
        }
        if !remove.is_empty() {
            c.iam
                .untag_role()
                .role_name(name)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(|e| sdk_error("UntagRole", e))?;
        }
        let manages_inline = !block_list(config, "inline_policy").is_empty()
            || !block_list(prior, "inline_policy").is_empty();
        if manages_inline {
            let want: BTreeMap<String, String> = block_list(config, "inline_policy")
                .into_iter()
                .filter_map(|b| Some((attr_str(b, "name")?, attr_str(b, "policy")?)))
                .collect();
            let have = Self::inline_policies(c, name).await?;
            for (pname, doc) in &want {
                if have.get(pname) != Some(&crate::util::normalize_policy(doc)) {
                    c.iam
                        .put_role_policy()
                        .role_name(name)
                        .policy_name(pname)
                        .policy_document(doc)
                        .send()
                        .await
                        .map_err(|e| sdk_error("PutRolePolicy", e))?;
                }
            }
            for pname in have.keys().filter(|k| !want.contains_key(*k)) {
                gone_ok(
                    c.iam
                        .delete_role_policy()
                        .role_name(name)
                        .policy_name(pname)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| sdk_error("DeleteRolePolicy", e)),
                )?;
            }
        }
        if let Some(Value::List(_)) = config.get("managed_policy_arns") {
            let want: BTreeSet<String> = str_list(config.get("managed_policy_arns"))
                .into_iter()
                .collect();
            let have: BTreeSet<String> = Self::attached(c, name).await?.into_iter().collect();
            for arn in want.difference(&have) {
                c.iam
                    .attach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(|e| sdk_error("AttachRolePolicy", e))?;
            }
            for arn in have.difference(&want) {
                gone_ok(
                    c.iam
                        .detach_role_policy()
                        .role_name(name)
                        .policy_arn(arn)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| sdk_error("DetachRolePolicy", e)),
                )?;
            }
        }
        Ok(())
    }

    async fn read_role(c: &Clients, name: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        let Some(role) = Self::get(c, name).await? else {
            return Ok(None);
        };
        let (tags, tags_all) = read_tags(tag_map(role.tags()), &c.settings.default_tags, prior);
        let mut m = Map::new();
        m.insert("id".to_string(), Value::string(role.role_name()));
        m.insert("name".into(), Value::string(role.role_name()));
        m.insert("arn".into(), Value::string(role.arn()));
        m.insert("unique_id".into(), Value::string(role.role_id()));
        m.insert("path".into(), Value::string(role.path()));
        m.insert(
            "create_date".into(),
            Value::string(
                role.create_date()
                    .fmt(aws_smithy_types::date_time::Format::DateTime)
                    .unwrap_or_default(),
            ),
        );
        m.insert(
            "assume_role_policy".into(),
            Value::String(
                role.assume_role_policy_document()
                    .map(policy_from_cloud)
                    .unwrap_or_default(),
            ),
        );
        m.insert(
            "description".into(),
            Value::string(role.description().unwrap_or_default()),
        );
        m.insert(
            "max_session_duration".into(),
            Value::Number(f64::from(role.max_session_duration().unwrap_or(3600))),
        );
        m.insert(
            "permissions_boundary".into(),
            role.permissions_boundary()
                .and_then(|p| p.permissions_boundary_arn())
                .map(Value::string)
                .unwrap_or(Value::Null),
        );
        m.insert("tags".into(), tags);
        m.insert("tags_all".into(), tags_all);
        // Config-only settings survive from the prior state.
        for k in ["force_detach_policies", "name_prefix"] {
            if let Some(v) = prior.get(k) {
                m.insert(k.into(), v.clone());
            }
        }
        if prior.get("force_detach_policies").is_none() {
            m.insert("force_detach_policies".into(), Value::Bool(false));
        }
        m.insert(
            "managed_policy_arns".into(),
            set_value(&Self::attached(c, name).await?),
        );
        // Inline policies are reported when this resource manages them (or on import), so that
        // separate aws_iam_role_policy resources do not show up as drift here.
        let manages_inline = prior.is_null() || !block_list(prior, "inline_policy").is_empty();
        if manages_inline {
            let inline = Self::inline_policies(c, name).await?;
            let prior_blocks = block_list(prior, "inline_policy");
            if !inline.is_empty() {
                m.insert(
                    "inline_policy".into(),
                    Value::List(
                        inline
                            .into_iter()
                            .map(|(n, p)| {
                                Value::map([
                                    ("name", Value::String(n)),
                                    ("policy", Value::String(p)),
                                ])
                            })
                            .collect(),
                    ),
                );
            } else if !prior_blocks.is_empty()
                && prior_blocks.iter().all(|b| attr_str(b, "name").is_none())
            {
                // `inline_policy {}` is how a config asks for no inline policies: while there
                // are none, it is what the cloud holds; one added outside is then drift.
                if let Some(v) = prior.get("inline_policy") {
                    m.insert("inline_policy".into(), v.clone());
                }
            }
        }
        Ok(Some(Value::Map(m)))
    }
}

#[async_trait]
impl ResourceType for Role {
    fn schema(&self) -> Schema {
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("unique_id", Attribute::computed(s()))
            .attr("create_date", Attribute::computed(s()))
            .attr("name", Attribute::optional_computed(s()).force_new())
            .attr("name_prefix", Attribute::optional(s()).force_new())
            .attr("assume_role_policy", Attribute::required(AttrType::Json))
            .attr("description", Attribute::optional(s()))
            .attr(
                "force_detach_policies",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            )
            .attr(
                "max_session_duration",
                Attribute::optional(AttrType::Number).default(Value::Number(3600.0)),
            )
            .attr(
                "path",
                Attribute::optional(s())
                    .default(Value::string("/"))
                    .force_new(),
            )
            .attr("permissions_boundary", Attribute::optional(s()))
            .attr(
                "managed_policy_arns",
                Attribute::optional_computed(str_set()),
            )
            .block(
                "inline_policy",
                BlockSchema::set(
                    Block::new()
                        .attr("name", Attribute::optional(s()))
                        .attr("policy", Attribute::optional(AttrType::Json)),
                )
                .computed(),
            );
        Schema::managed("aws_iam_role", terrane_provider::tags_attributes(body))
            .crossplane("iam.aws.upbound.io", "Role")
            .taggable()
            .import_id("the role name")
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let name = chosen_name(cfg);
        if let Some(existing) = Self::get(c, &name).await? {
            if !owned_by(
                &tag_map(existing.tags()),
                &req.owner.stack,
                &req.owner.address,
            ) {
                return Err(already_exists("IAM role", &name, &req.owner));
            }
        } else {
            let trust = req_str(cfg, "assume_role_policy", "aws_iam_role")?;
            let tags = desired_tags(c, cfg, &req.owner);
            let mut b = c
                .iam
                .create_role()
                .role_name(&name)
                .assume_role_policy_document(crate::util::normalize_policy(&trust))
                .path(attr_str(cfg, "path").unwrap_or_else(|| "/".into()))
                .max_session_duration(opt_i64(cfg, "max_session_duration").unwrap_or(3600) as i32)
                .set_tags(Some(iam_tags(&tags)));
            if let Some(d) = attr_str(cfg, "description") {
                b = b.description(d);
            }
            if let Some(pb) = attr_str(cfg, "permissions_boundary") {
                b = b.permissions_boundary(pb);
            }
            b.send().await.map_err(|e| sdk_error("CreateRole", e))?;
        }
        Self::reconcile(c, &name, cfg, &Value::Null, &req.owner).await?;
        let mut prior = cfg.clone();
        plan_default(&mut prior, "force_detach_policies", Value::Bool(false));
        Self::read_role(c, &name, &prior)
            .await?
            .ok_or_else(|| ProviderError::other(format!("IAM role {name} vanished after create")))
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        Self::read_role(c, id, prior).await
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        Self::reconcile(c, &req.id, &req.config, &req.prior, &req.owner).await?;
        let mut prior = req.config.clone();
        plan_default(&mut prior, "force_detach_policies", Value::Bool(false));
        Self::read_role(c, &req.id, &prior)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("IAM role {} is gone", req.id)))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        let name = req.id.as_str();
        if Self::get(c, name).await?.is_none() {
            return Ok(());
        }
        // Instance profiles always hold the role back from deletion; policies only when
        // force_detach_policies is set or this resource manages them.
        let profiles = c
            .iam
            .list_instance_profiles_for_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| sdk_error("ListInstanceProfilesForRole", e))?;
        for p in profiles.instance_profiles() {
            gone_ok(
                c.iam
                    .remove_role_from_instance_profile()
                    .instance_profile_name(p.instance_profile_name())
                    .role_name(name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_error("RemoveRoleFromInstanceProfile", e)),
            )?;
        }
        let force = bool_or(&req.prior, "force_detach_policies", false);
        let inline: Vec<String> = if force {
            Self::inline_policies(c, name).await?.into_keys().collect()
        } else {
            block_list(&req.prior, "inline_policy")
                .into_iter()
                .filter_map(|b| attr_str(b, "name"))
                .collect()
        };
        for p in inline {
            gone_ok(
                c.iam
                    .delete_role_policy()
                    .role_name(name)
                    .policy_name(&p)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_error("DeleteRolePolicy", e)),
            )?;
        }
        let managed = if force {
            Self::attached(c, name).await?
        } else {
            str_list(req.prior.get("managed_policy_arns"))
        };
        for arn in managed {
            gone_ok(
                c.iam
                    .detach_role_policy()
                    .role_name(name)
                    .policy_arn(&arn)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_error("DetachRolePolicy", e)),
            )?;
        }
        gone_ok(
            c.iam
                .delete_role()
                .role_name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("DeleteRole", e)),
        )
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let mut out = Vec::new();
        let mut marker = None;
        loop {
            let page = c
                .iam
                .list_roles()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| sdk_error("ListRoles", e))?;
            for r in page.roles() {
                let tags = c
                    .iam
                    .list_role_tags()
                    .role_name(r.role_name())
                    .send()
                    .await
                    .map(|t| tag_map(t.tags()))
                    .unwrap_or_default();
                out.push(Listed {
                    type_name: "aws_iam_role".into(),
                    id: r.role_name().to_string(),
                    tags,
                });
            }
            match page.marker() {
                Some(m) if page.is_truncated() => marker = Some(m.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }

    fn plan(&self, settings: &crate::clients::AwsSettings, config: &mut Value) {
        plan_default(config, "path", Value::string("/"));
        plan_default(config, "max_session_duration", Value::Number(3600.0));
        plan_default(config, "force_detach_policies", Value::Bool(false));
        normalize_json_attr(config, "assume_role_policy");
        // Inline policies are read back normalised; plan them the same way so that a
        // reformatted document (e.g. `Action = ["x"]` against IAM's `"x"`) is not drift.
        if let Some(Value::List(blocks)) =
            config.as_map_mut().and_then(|m| m.get_mut("inline_policy"))
        {
            for b in blocks {
                normalize_json_attr(b, "policy");
            }
        }
        plan_tags_all(&settings.default_tags, config);
    }
}

/// Normalises a JSON policy attribute in a planned value, when it is known.
fn normalize_json_attr(config: &mut Value, key: &str) {
    if let Some(Value::String(doc)) = config.as_map_mut().and_then(|m| m.get_mut(key)) {
        *doc = crate::util::normalize_policy(doc);
    }
}

// ---------------------------------------------------------------------------------------------
// aws_iam_policy

pub(crate) struct Policy;

impl Policy {
    async fn read_policy(c: &Clients, arn: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        let r = c.iam.get_policy().policy_arn(arn).send().await;
        let Some(out) = found(r.map_err(|e| sdk_error("GetPolicy", e)))? else {
            return Ok(None);
        };
        let Some(p) = out.policy() else {
            return Ok(None);
        };
        let version = p.default_version_id().unwrap_or("v1");
        let doc = c
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .map_err(|e| sdk_error("GetPolicyVersion", e))?;
        let document = doc
            .policy_version()
            .and_then(|v| v.document())
            .map(policy_from_cloud)
            .unwrap_or_default();
        // GetPolicy does not return tags on every endpoint; ListPolicyTags always does.
        let tags = c
            .iam
            .list_policy_tags()
            .policy_arn(arn)
            .send()
            .await
            .map(|t| tag_map(t.tags()))
            .map_err(|e| sdk_error("ListPolicyTags", e))?;
        let (tags, tags_all) = read_tags(tags, &c.settings.default_tags, prior);
        let mut m = Map::new();
        m.insert("id".to_string(), Value::string(arn));
        m.insert("arn".into(), Value::string(arn));
        m.insert(
            "name".into(),
            Value::string(p.policy_name().unwrap_or_default()),
        );
        m.insert("path".into(), Value::string(p.path().unwrap_or("/")));
        m.insert(
            "policy_id".into(),
            Value::string(p.policy_id().unwrap_or_default()),
        );
        m.insert(
            "description".into(),
            Value::string(p.description().unwrap_or_default()),
        );
        m.insert(
            "attachment_count".into(),
            Value::Number(f64::from(p.attachment_count().unwrap_or(0))),
        );
        m.insert("policy".into(), Value::String(document));
        m.insert("tags".into(), tags);
        m.insert("tags_all".into(), tags_all);
        if let Some(v) = prior.get("name_prefix") {
            m.insert("name_prefix".into(), v.clone());
        }
        Ok(Some(Value::Map(m)))
    }

    fn arn_for(c: &Clients, account: &str, path: &str, name: &str) -> String {
        let partition = if c.region.starts_with("cn-") {
            "aws-cn"
        } else if c.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        };
        format!("arn:{partition}:iam::{account}:policy{path}{name}")
    }

    async fn account(c: &Clients) -> ProviderResult<String> {
        let id = c
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| sdk_error("GetCallerIdentity", e))?;
        Ok(id.account().unwrap_or_default().to_string())
    }

    async fn set_tags(c: &Clients, arn: &str, config: &Value, owner: &Owner) -> ProviderResult<()> {
        let current = c
            .iam
            .list_policy_tags()
            .policy_arn(arn)
            .send()
            .await
            .map(|t| tag_map(t.tags()))
            .map_err(|e| sdk_error("ListPolicyTags", e))?;
        let (set, remove) = tag_delta(&current, &desired_tags(c, config, owner));
        if !set.is_empty() {
            c.iam
                .tag_policy()
                .policy_arn(arn)
                .set_tags(Some(iam_tags(&set)))
                .send()
                .await
                .map_err(|e| sdk_error("TagPolicy", e))?;
        }
        if !remove.is_empty() {
            c.iam
                .untag_policy()
                .policy_arn(arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(|e| sdk_error("UntagPolicy", e))?;
        }
        Ok(())
    }

    /// Makes `doc` the default version, first deleting the oldest non-default version when
    /// IAM's limit of five versions is reached.
    async fn set_document(c: &Clients, arn: &str, doc: &str) -> ProviderResult<()> {
        let versions = c
            .iam
            .list_policy_versions()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| sdk_error("ListPolicyVersions", e))?;
        let mut old: Vec<_> = versions
            .versions()
            .iter()
            .filter(|v| !v.is_default_version())
            .collect();
        if versions.versions().len() >= 5 {
            old.sort_by_key(|v| v.create_date().map(|d| d.secs()).unwrap_or(0));
            if let Some(v) = old.first().and_then(|v| v.version_id()) {
                c.iam
                    .delete_policy_version()
                    .policy_arn(arn)
                    .version_id(v)
                    .send()
                    .await
                    .map_err(|e| sdk_error("DeletePolicyVersion", e))?;
            }
        }
        c.iam
            .create_policy_version()
            .policy_arn(arn)
            .policy_document(doc)
            .set_as_default(true)
            .send()
            .await
            .map_err(|e| sdk_error("CreatePolicyVersion", e))?;
        Ok(())
    }
}

#[async_trait]
impl ResourceType for Policy {
    fn schema(&self) -> Schema {
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("policy_id", Attribute::computed(s()))
            .attr("attachment_count", Attribute::computed(AttrType::Number))
            .attr("name", Attribute::optional_computed(s()).force_new())
            .attr("name_prefix", Attribute::optional(s()).force_new())
            .attr(
                "path",
                Attribute::optional(s())
                    .default(Value::string("/"))
                    .force_new(),
            )
            .attr("description", Attribute::optional(s()).force_new())
            .attr("policy", Attribute::required(AttrType::Json));
        Schema::managed("aws_iam_policy", terrane_provider::tags_attributes(body))
            .crossplane("iam.aws.upbound.io", "Policy")
            .taggable()
            .import_id("the policy ARN")
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let name = chosen_name(cfg);
        let path = attr_str(cfg, "path").unwrap_or_else(|| "/".into());
        let doc = crate::util::normalize_policy(&req_str(cfg, "policy", "aws_iam_policy")?);
        let arn = Self::arn_for(c, &Self::account(c).await?, &path, &name);
        let existing = found(
            c.iam
                .list_policy_tags()
                .policy_arn(&arn)
                .send()
                .await
                .map(|t| tag_map(t.tags()))
                .map_err(|e| sdk_error("ListPolicyTags", e)),
        )?;
        match existing {
            Some(tags) if owned_by(&tags, &req.owner.stack, &req.owner.address) => {
                let current = Self::read_policy(c, &arn, cfg).await?;
                if current.as_ref().and_then(|v| v.get_str("policy")) != Some(doc.as_str()) {
                    Self::set_document(c, &arn, &doc).await?;
                }
                Self::set_tags(c, &arn, cfg, &req.owner).await?;
            }
            Some(_) => return Err(already_exists("IAM policy", &name, &req.owner)),
            None => {
                let tags = desired_tags(c, cfg, &req.owner);
                let mut b = c
                    .iam
                    .create_policy()
                    .policy_name(&name)
                    .path(&path)
                    .policy_document(&doc)
                    .set_tags(Some(iam_tags(&tags)));
                if let Some(d) = attr_str(cfg, "description") {
                    b = b.description(d);
                }
                let out = b.send().await.map_err(|e| sdk_error("CreatePolicy", e))?;
                let created = out
                    .policy()
                    .and_then(|p| p.arn())
                    .unwrap_or(&arn)
                    .to_string();
                return Self::read_policy(c, &created, cfg).await?.ok_or_else(|| {
                    ProviderError::other(format!("IAM policy {created} vanished after create"))
                });
            }
        }
        Self::read_policy(c, &arn, cfg)
            .await?
            .ok_or_else(|| ProviderError::other(format!("IAM policy {arn} vanished after create")))
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        Self::read_policy(c, id, prior).await
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        let doc = crate::util::normalize_policy(&req_str(&req.config, "policy", "aws_iam_policy")?);
        let current = Self::read_policy(c, &req.id, &req.prior)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("IAM policy {} is gone", req.id)))?;
        if current.get_str("policy") != Some(doc.as_str()) {
            Self::set_document(c, &req.id, &doc).await?;
        }
        Self::set_tags(c, &req.id, &req.config, &req.owner).await?;
        Self::read_policy(c, &req.id, &req.config)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("IAM policy {} is gone", req.id)))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        let arn = req.id.as_str();
        let versions = match found(
            c.iam
                .list_policy_versions()
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| sdk_error("ListPolicyVersions", e)),
        )? {
            Some(v) => v,
            None => return Ok(()),
        };
        // A policy with non-default versions cannot be deleted.
        for v in versions
            .versions()
            .iter()
            .filter(|v| !v.is_default_version())
        {
            if let Some(id) = v.version_id() {
                gone_ok(
                    c.iam
                        .delete_policy_version()
                        .policy_arn(arn)
                        .version_id(id)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| sdk_error("DeletePolicyVersion", e)),
                )?;
            }
        }
        gone_ok(
            c.iam
                .delete_policy()
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("DeletePolicy", e)),
        )
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let mut out = Vec::new();
        let mut marker = None;
        loop {
            let page = c
                .iam
                .list_policies()
                .scope(aws_sdk_iam::types::PolicyScopeType::Local)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| sdk_error("ListPolicies", e))?;
            for p in page.policies() {
                let Some(arn) = p.arn() else { continue };
                let tags = c
                    .iam
                    .list_policy_tags()
                    .policy_arn(arn)
                    .send()
                    .await
                    .map(|t| tag_map(t.tags()))
                    .unwrap_or_default();
                out.push(Listed {
                    type_name: "aws_iam_policy".into(),
                    id: arn.to_string(),
                    tags,
                });
            }
            match page.marker() {
                Some(m) if page.is_truncated() => marker = Some(m.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }

    fn plan(&self, settings: &crate::clients::AwsSettings, config: &mut Value) {
        plan_default(config, "path", Value::string("/"));
        normalize_json_attr(config, "policy");
        plan_tags_all(&settings.default_tags, config);
    }
}

// ---------------------------------------------------------------------------------------------
// aws_iam_role_policy: an inline policy, id `role:name`

pub(crate) struct RolePolicy;

fn split_id<'a>(id: &'a str, sep: char, what: &str) -> ProviderResult<(&'a str, &'a str)> {
    id.split_once(sep)
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or_else(|| ProviderError::invalid(format!("invalid id {id:?}: expected {what}")))
}

#[async_trait]
impl ResourceType for RolePolicy {
    fn schema(&self) -> Schema {
        Schema::managed(
            "aws_iam_role_policy",
            Block::new()
                .attr("id", Attribute::computed(s()))
                .attr("name", Attribute::optional_computed(s()).force_new())
                .attr("name_prefix", Attribute::optional(s()).force_new())
                .attr("role", Attribute::required(s()).force_new())
                .attr("policy", Attribute::required(AttrType::Json)),
        )
        .crossplane("iam.aws.upbound.io", "RolePolicy")
        .import_id("role_name:policy_name")
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        // PutRolePolicy is an upsert, so a retry after a crash simply writes the same policy.
        let role = req_str(&req.config, "role", "aws_iam_role_policy")?;
        let name = chosen_name(&req.config);
        let doc = req_str(&req.config, "policy", "aws_iam_role_policy")?;
        c.iam
            .put_role_policy()
            .role_name(&role)
            .policy_name(&name)
            .policy_document(crate::util::normalize_policy(&doc))
            .send()
            .await
            .map_err(|e| sdk_error("PutRolePolicy", e))?;
        let id = format!("{role}:{name}");
        self.read(c, &id, &req.config)
            .await?
            .ok_or_else(|| ProviderError::other(format!("role policy {id} vanished after create")))
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        let (role, name) = split_id(id, ':', "role_name:policy_name")?;
        let r = c
            .iam
            .get_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await;
        let Some(out) = found(r.map_err(|e| sdk_error("GetRolePolicy", e)))? else {
            return Ok(None);
        };
        let mut m = Map::new();
        m.insert("id".to_string(), Value::string(id));
        m.insert("role".into(), Value::string(role));
        m.insert("name".into(), Value::string(name));
        m.insert(
            "policy".into(),
            Value::String(policy_from_cloud(out.policy_document())),
        );
        if let Some(v) = prior.get("name_prefix") {
            m.insert("name_prefix".into(), v.clone());
        }
        Ok(Some(Value::Map(m)))
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        let (role, name) = split_id(&req.id, ':', "role_name:policy_name")?;
        let doc = req_str(&req.config, "policy", "aws_iam_role_policy")?;
        c.iam
            .put_role_policy()
            .role_name(role)
            .policy_name(name)
            .policy_document(crate::util::normalize_policy(&doc))
            .send()
            .await
            .map_err(|e| sdk_error("PutRolePolicy", e))?;
        self.read(c, &req.id, &req.config)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("role policy {} is gone", req.id)))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        let (role, name) = split_id(&req.id, ':', "role_name:policy_name")?;
        gone_ok(
            c.iam
                .delete_role_policy()
                .role_name(role)
                .policy_name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("DeleteRolePolicy", e)),
        )
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let roles = Role.list(c).await?;
        let mut out = Vec::new();
        for r in roles {
            let names = c
                .iam
                .list_role_policies()
                .role_name(&r.id)
                .send()
                .await
                .map_err(|e| sdk_error("ListRolePolicies", e))?;
            for n in names.policy_names() {
                out.push(Listed {
                    type_name: "aws_iam_role_policy".into(),
                    id: format!("{}:{n}", r.id),
                    tags: BTreeMap::new(),
                });
            }
        }
        Ok(out)
    }

    fn plan(&self, _settings: &crate::clients::AwsSettings, config: &mut Value) {
        normalize_json_attr(config, "policy");
        let id = match (config.get_str("role"), config.get_str("name")) {
            (Some(r), Some(n)) => Value::String(format!("{r}:{n}")),
            _ => Value::Unknown,
        };
        plan_default(config, "id", id);
    }
}

// ---------------------------------------------------------------------------------------------
// aws_iam_role_policy_attachment: id `role/policy_arn` (the import id)

pub(crate) struct RolePolicyAttachment;

#[async_trait]
impl ResourceType for RolePolicyAttachment {
    fn schema(&self) -> Schema {
        Schema::managed(
            "aws_iam_role_policy_attachment",
            Block::new()
                .attr("id", Attribute::computed(s()))
                .attr("role", Attribute::required(s()).force_new())
                .attr("policy_arn", Attribute::required(s()).force_new()),
        )
        .crossplane("iam.aws.upbound.io", "RolePolicyAttachment")
        .import_id("role_name/policy_arn")
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        // Attaching twice is harmless, so a retry after a crash needs no special care.
        let role = req_str(&req.config, "role", "aws_iam_role_policy_attachment")?;
        let arn = req_str(&req.config, "policy_arn", "aws_iam_role_policy_attachment")?;
        c.iam
            .attach_role_policy()
            .role_name(&role)
            .policy_arn(&arn)
            .send()
            .await
            .map_err(|e| sdk_error("AttachRolePolicy", e))?;
        let id = format!("{role}/{arn}");
        self.read(c, &id, &req.config)
            .await?
            .ok_or_else(|| ProviderError::other(format!("attachment {id} vanished after create")))
    }

    async fn read(&self, c: &Clients, id: &str, _prior: &Value) -> ProviderResult<Option<Value>> {
        let (role, arn) = split_id(id, '/', "role_name/policy_arn")?;
        let attached = match found(Role::attached(c, role).await)? {
            Some(a) => a,
            None => return Ok(None),
        };
        if !attached.iter().any(|a| a == arn) {
            return Ok(None);
        }
        Ok(Some(Value::map([
            ("id", Value::string(id)),
            ("role", Value::string(role)),
            ("policy_arn", Value::string(arn)),
        ])))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        let (role, arn) = split_id(&req.id, '/', "role_name/policy_arn")?;
        gone_ok(
            c.iam
                .detach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("DetachRolePolicy", e)),
        )
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let mut out = Vec::new();
        for r in Role.list(c).await? {
            for arn in Role::attached(c, &r.id).await? {
                out.push(Listed {
                    type_name: "aws_iam_role_policy_attachment".into(),
                    id: format!("{}/{arn}", r.id),
                    tags: BTreeMap::new(),
                });
            }
        }
        Ok(out)
    }

    fn plan(&self, _settings: &crate::clients::AwsSettings, config: &mut Value) {
        let id = match (config.get_str("role"), config.get_str("policy_arn")) {
            (Some(r), Some(a)) => Value::String(format!("{r}/{a}")),
            _ => Value::Unknown,
        };
        plan_default(config, "id", id);
    }
}

// ---------------------------------------------------------------------------------------------
// aws_iam_user

pub(crate) struct User;

impl User {
    async fn read_user(c: &Clients, name: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        let r = c.iam.get_user().user_name(name).send().await;
        let Some(out) = found(r.map_err(|e| sdk_error("GetUser", e)))? else {
            return Ok(None);
        };
        let Some(u) = out.user() else {
            return Ok(None);
        };
        // GetUser omits tags on some endpoints; ListUserTags is authoritative.
        let tags = c
            .iam
            .list_user_tags()
            .user_name(name)
            .send()
            .await
            .map(|t| tag_map(t.tags()))
            .map_err(|e| sdk_error("ListUserTags", e))?;
        let (tags, tags_all) = read_tags(tags, &c.settings.default_tags, prior);
        Ok(Some(Value::map([
            ("id", Value::string(u.user_name())),
            ("name", Value::string(u.user_name())),
            ("arn", Value::string(u.arn())),
            ("unique_id", Value::string(u.user_id())),
            ("path", Value::string(u.path())),
            (
                "permissions_boundary",
                u.permissions_boundary()
                    .and_then(|p| p.permissions_boundary_arn())
                    .map(Value::string)
                    .unwrap_or(Value::Null),
            ),
            (
                "force_destroy",
                Value::Bool(bool_or(prior, "force_destroy", false)),
            ),
            ("tags", tags),
            ("tags_all", tags_all),
        ])))
    }

    async fn reconcile(
        c: &Clients,
        name: &str,
        config: &Value,
        owner: &Owner,
    ) -> ProviderResult<()> {
        let current = c
            .iam
            .list_user_tags()
            .user_name(name)
            .send()
            .await
            .map(|t| tag_map(t.tags()))
            .map_err(|e| sdk_error("ListUserTags", e))?;
        let (set, remove) = tag_delta(&current, &desired_tags(c, config, owner));
        if !set.is_empty() {
            c.iam
                .tag_user()
                .user_name(name)
                .set_tags(Some(iam_tags(&set)))
                .send()
                .await
                .map_err(|e| sdk_error("TagUser", e))?;
        }
        if !remove.is_empty() {
            c.iam
                .untag_user()
                .user_name(name)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(|e| sdk_error("UntagUser", e))?;
        }
        Ok(())
    }
}

#[async_trait]
impl ResourceType for User {
    fn schema(&self) -> Schema {
        let body = Block::new()
            .attr("id", Attribute::computed(s()))
            .attr("arn", Attribute::computed(s()))
            .attr("unique_id", Attribute::computed(s()))
            .attr("name", Attribute::required(s()))
            .attr("path", Attribute::optional(s()).default(Value::string("/")))
            .attr("permissions_boundary", Attribute::optional(s()))
            .attr(
                "force_destroy",
                Attribute::optional(AttrType::Bool).default(Value::Bool(false)),
            );
        Schema::managed("aws_iam_user", terrane_provider::tags_attributes(body))
            .crossplane("iam.aws.upbound.io", "User")
            .taggable()
            .import_id("the user name")
    }

    async fn create(&self, c: &Clients, req: &CreateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let name = req_str(cfg, "name", "aws_iam_user")?;
        let existing = found(
            c.iam
                .list_user_tags()
                .user_name(&name)
                .send()
                .await
                .map(|t| tag_map(t.tags()))
                .map_err(|e| sdk_error("ListUserTags", e)),
        )?;
        match existing {
            Some(tags) if owned_by(&tags, &req.owner.stack, &req.owner.address) => {
                let upd = UpdateRequest {
                    type_name: req.type_name.clone(),
                    owner: req.owner.clone(),
                    id: name.clone(),
                    prior: Value::Null,
                    config: cfg.clone(),
                };
                return self.update(c, &upd).await;
            }
            Some(_) => return Err(already_exists("IAM user", &name, &req.owner)),
            None => {}
        }
        let mut b = c
            .iam
            .create_user()
            .user_name(&name)
            .path(attr_str(cfg, "path").unwrap_or_else(|| "/".into()))
            .set_tags(Some(iam_tags(&desired_tags(c, cfg, &req.owner))));
        if let Some(pb) = attr_str(cfg, "permissions_boundary") {
            b = b.permissions_boundary(pb);
        }
        b.send().await.map_err(|e| sdk_error("CreateUser", e))?;
        Self::read_user(c, &name, cfg)
            .await?
            .ok_or_else(|| ProviderError::other(format!("IAM user {name} vanished after create")))
    }

    async fn read(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        Self::read_user(c, id, prior).await
    }

    async fn update(&self, c: &Clients, req: &UpdateRequest) -> ProviderResult<Value> {
        let cfg = &req.config;
        let mut name = req.id.clone();
        let want_name = req_str(cfg, "name", "aws_iam_user")?;
        let want_path = attr_str(cfg, "path").unwrap_or_else(|| "/".into());
        let cur = Self::read_user(c, &name, &req.prior)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("IAM user {name} is gone")))?;
        if want_name != name || cur.get_str("path") != Some(want_path.as_str()) {
            c.iam
                .update_user()
                .user_name(&name)
                .new_user_name(&want_name)
                .new_path(&want_path)
                .send()
                .await
                .map_err(|e| sdk_error("UpdateUser", e))?;
            name = want_name;
        }
        let want_pb = attr_str(cfg, "permissions_boundary");
        if cur.get_str("permissions_boundary").map(str::to_string) != want_pb {
            match want_pb {
                Some(pb) => c
                    .iam
                    .put_user_permissions_boundary()
                    .user_name(&name)
                    .permissions_boundary(pb)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_error("PutUserPermissionsBoundary", e))?,
                None => c
                    .iam
                    .delete_user_permissions_boundary()
                    .user_name(&name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_error("DeleteUserPermissionsBoundary", e))?,
            }
        }
        Self::reconcile(c, &name, cfg, &req.owner).await?;
        Self::read_user(c, &name, cfg)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("IAM user {name} is gone")))
    }

    async fn delete(&self, c: &Clients, req: &DeleteRequest) -> ProviderResult<()> {
        let name = req.id.as_str();
        if bool_or(&req.prior, "force_destroy", false) {
            // force_destroy: remove what IAM refuses to delete a user with.
            if let Some(keys) = found(
                c.iam
                    .list_access_keys()
                    .user_name(name)
                    .send()
                    .await
                    .map_err(|e| sdk_error("ListAccessKeys", e)),
            )? {
                for k in keys.access_key_metadata() {
                    if let Some(id) = k.access_key_id() {
                        gone_ok(
                            c.iam
                                .delete_access_key()
                                .user_name(name)
                                .access_key_id(id)
                                .send()
                                .await
                                .map(|_| ())
                                .map_err(|e| sdk_error("DeleteAccessKey", e)),
                        )?;
                    }
                }
            }
            if let Ok(p) = c.iam.list_user_policies().user_name(name).send().await {
                for pn in p.policy_names() {
                    let _ = c
                        .iam
                        .delete_user_policy()
                        .user_name(name)
                        .policy_name(pn)
                        .send()
                        .await;
                }
            }
            if let Ok(p) = c
                .iam
                .list_attached_user_policies()
                .user_name(name)
                .send()
                .await
            {
                for ap in p.attached_policies() {
                    if let Some(arn) = ap.policy_arn() {
                        let _ = c
                            .iam
                            .detach_user_policy()
                            .user_name(name)
                            .policy_arn(arn)
                            .send()
                            .await;
                    }
                }
            }
            let _ = c.iam.delete_login_profile().user_name(name).send().await;
        }
        gone_ok(
            c.iam
                .delete_user()
                .user_name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("DeleteUser", e)),
        )
    }

    async fn list(&self, c: &Clients) -> ProviderResult<Vec<Listed>> {
        let mut out = Vec::new();
        let mut marker = None;
        loop {
            let page = c
                .iam
                .list_users()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| sdk_error("ListUsers", e))?;
            for u in page.users() {
                let tags = c
                    .iam
                    .list_user_tags()
                    .user_name(u.user_name())
                    .send()
                    .await
                    .map(|t| tag_map(t.tags()))
                    .unwrap_or_default();
                out.push(Listed {
                    type_name: "aws_iam_user".into(),
                    id: u.user_name().to_string(),
                    tags,
                });
            }
            match page.marker() {
                Some(m) if page.is_truncated() => marker = Some(m.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }

    fn plan(&self, settings: &crate::clients::AwsSettings, config: &mut Value) {
        plan_default(config, "path", Value::string("/"));
        plan_default(config, "force_destroy", Value::Bool(false));
        plan_tags_all(&settings.default_tags, config);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_plan_normalises_inline_policy_documents() {
        let mut cfg = Value::map([
            ("assume_role_policy", Value::string("{}")),
            (
                "inline_policy",
                Value::List(vec![Value::map([
                    ("name", Value::string("a")),
                    (
                        "policy",
                        Value::string(
                            r#"{"Version":"2012-10-17","Statement":[{"Resource":"*","Action":["s3:GetObject"],"Effect":"Allow"}]}"#,
                        ),
                    ),
                ])]),
            ),
        ]);
        Role.plan(&crate::clients::AwsSettings::default(), &mut cfg);
        let Some(Value::List(blocks)) = cfg.get("inline_policy") else {
            panic!("inline_policy: {cfg:?}")
        };
        assert_eq!(
            blocks[0].get_str("policy"),
            Some(
                r#"{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}"#
            )
        );
    }
}
