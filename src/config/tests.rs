//! Loader tests over an in-memory source tree with a small AWS-like schema set: every language
//! feature the config issue lists, and every kind of bad input with its exact location.

use super::*;
use crate::addr::InstanceAddr;
use crate::graph::Graph;
use crate::source::MemSource;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use terrane_provider::{tags_attributes, AttrType, Attribute, Block, BlockSchema, Schema, Value};

fn s() -> AttrType {
    AttrType::String
}

pub(crate) fn test_schemas() -> Schemas {
    let mut reg = crate::providers::Registry::builtin().schemas();
    reg.add_provider(
        "aws",
        vec![
            Schema::managed(
                "aws_s3_bucket",
                tags_attributes(
                    Block::new()
                        .attr("bucket", Attribute::optional_computed(s()).force_new())
                        .attr("force_destroy", Attribute::optional(AttrType::Bool))
                        .attr("arn", Attribute::computed(s()))
                        .attr("id", Attribute::computed(s())),
                ),
            )
            .crossplane("s3.aws.upbound.io", "Bucket")
            .taggable(),
            Schema::managed(
                "aws_vpc",
                tags_attributes(
                    Block::new()
                        .attr("cidr_block", Attribute::required(s()).force_new())
                        .attr("id", Attribute::computed(s())),
                ),
            )
            .crossplane("ec2.aws.upbound.io", "VPC"),
            Schema::managed(
                "aws_subnet",
                Block::new()
                    .attr("vpc_id", Attribute::required(s()))
                    .attr("cidr_block", Attribute::required(s()))
                    .attr("id", Attribute::computed(s())),
            )
            .crossplane("ec2.aws.upbound.io", "Subnet"),
            Schema::managed(
                "aws_security_group",
                Block::new()
                    .attr("name", Attribute::optional(s()))
                    .attr("vpc_id", Attribute::optional(s()))
                    .attr("id", Attribute::computed(s()))
                    .block(
                        "ingress",
                        BlockSchema::set(
                            Block::new()
                                .attr("from_port", Attribute::required(AttrType::Number))
                                .attr("to_port", Attribute::required(AttrType::Number))
                                .attr("protocol", Attribute::required(s()))
                                .attr(
                                    "cidr_blocks",
                                    Attribute::optional(AttrType::List(Box::new(s()))),
                                )
                                .block(
                                    "meta",
                                    BlockSchema::list(
                                        Block::new().attr("note", Attribute::optional(s())),
                                    ),
                                ),
                        )
                        .attribute_syntax(),
                    ),
            ),
            Schema::managed(
                "aws_sqs_queue",
                Block::new()
                    .attr("name", Attribute::optional(s()).force_new())
                    .attr(
                        "visibility_timeout_seconds",
                        Attribute::optional(AttrType::Number),
                    )
                    .attr("policy", Attribute::optional(AttrType::Json))
                    .attr("id", Attribute::computed(s()))
                    .attr("arn", Attribute::computed(s())),
            )
            .crossplane("sqs.aws.upbound.io", "Queue"),
            Schema::managed(
                "aws_ssm_parameter",
                Block::new()
                    .attr("name", Attribute::required(s()))
                    .attr("value", Attribute::required(s()).sensitive())
                    .attr("id", Attribute::computed(s())),
            ),
            Schema::data(
                "aws_region",
                Block::new()
                    .attr("name", Attribute::computed(s()))
                    .attr("id", Attribute::computed(s())),
            ),
        ],
    );
    reg
}

fn load_tree(tree: MemSource, opts: &LoadOptions) -> Result<Config, LoadError> {
    load(Arc::new(tree), Path::new("cfg"), opts, &test_schemas())
}

fn ok(tree: MemSource) -> Config {
    match load_tree(tree, &LoadOptions::default()) {
        Ok(c) => c,
        Err(e) => panic!("load failed:\n{}", e.render()),
    }
}

/// Loads and returns (location, message) of every error.
fn errors(tree: MemSource) -> Vec<(String, String)> {
    match load_tree(tree, &LoadOptions::default()) {
        Ok(cfg) => match Graph::build(&cfg) {
            Ok(_) => panic!("expected errors, config loaded"),
            Err(ds) => ds
                .iter()
                .map(|d| {
                    (
                        d.span.map(|s| cfg.sources.location(s)).unwrap_or_default(),
                        d.message.clone(),
                    )
                })
                .collect(),
        },
        Err(e) => e
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| {
                (
                    d.span.map(|s| e.sources.location(s)).unwrap_or_default(),
                    d.message.clone(),
                )
            })
            .collect(),
    }
}

fn inst<'a>(cfg: &'a Config, addr: &str) -> &'a Instance {
    let a: InstanceAddr = addr.parse().unwrap();
    cfg.instance(&a)
        .unwrap_or_else(|| panic!("no instance {addr}"))
}

/// An attribute as `validate` sees it: evaluated with every resource unknown.
fn attr(cfg: &Config, addr: &str, name: &str) -> Value {
    let a: InstanceAddr = addr.parse().unwrap();
    let idx = cfg
        .instances
        .iter()
        .position(|i| i.addr == a)
        .unwrap_or_else(|| panic!("no instance {addr}"));
    let body = cfg.session(&NoValues, None).instance(idx).unwrap();
    body.attrs.get(name).cloned().unwrap_or(Value::Null)
}

#[test]
fn every_language_feature_evaluates() {
    let main = r#"
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
provider "aws" {
  region = var.region
}
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}
variable "region" {
  type        = string
  default     = "us-east-1"
  description = "where"
}
variable "env" {
  type = string
  validation {
    condition     = contains(["dev", "prod"], var.env)
    error_message = "env must be dev or prod"
  }
}
variable "sizes" {
  type = map(number)
  default = { small = 1, large = 3 }
}
variable "cfg" {
  type = object({ name = string, retries = optional(number, 5) })
  default = { name = "svc" }
}
variable "secret" {
  type      = string
  default   = "hunter2"
  sensitive = true
}
locals {
  prefix = "${var.env}-app"
  ports  = [80, 443]
  upper  = [for p in local.ports : p * 2 if p > 100]
  by_key = { for k, v in var.sizes : upper(k) => v }
  nested = [[1, 2], [3]]
  flat   = flatten(local.nested)
  tpl    = "%{ if var.env == "prod" }P%{ else }D%{ endif }-%{ for p in local.ports }${p},%{ endfor }"
  doc = <<-EOT
    hello ${var.env}
      indented
    EOT
  raw = <<EOT
line
EOT
  cond  = var.env == "prod" ? 3 : 1
  math  = (10 + 2) * 3 / 4 % 5 - -1
  logic = !(true && false) || false
  tried = try(var.sizes["missing"], "fallback")
  can1  = can(var.sizes["small"])
  json  = jsonencode({ b = 1, a = [true, null] })
}
data "aws_region" "current" {}
resource "aws_s3_bucket" "logs" {
  bucket = "${local.prefix}-logs"
  tags   = merge({ Env = var.env }, { Region = data.aws_region.current.name })
  lifecycle {
    prevent_destroy = true
    ignore_changes  = [tags["Owner"], force_destroy]
  }
}
resource "aws_sqs_queue" "q" {
  for_each                   = var.sizes
  name                       = "${local.prefix}-${each.key}"
  visibility_timeout_seconds = each.value * 10
  provider                   = aws.west
}
resource "aws_sqs_queue" "sets" {
  for_each = toset(["x", "y"])
  name     = each.value
}
resource "aws_vpc" "main" {
  count      = local.cond
  cidr_block = cidrsubnet("10.0.0.0/8", 8, count.index)
}
resource "aws_subnet" "s" {
  count      = 2
  vpc_id     = aws_vpc.main[0].id
  cidr_block = "10.0.${count.index}.0/24"
}
resource "aws_security_group" "sg" {
  name   = "sg"
  vpc_id = aws_vpc.main[0].id
  dynamic "ingress" {
    for_each = local.ports
    iterator = port
    content {
      from_port   = port.value
      to_port     = port.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
      dynamic "meta" {
        for_each = [port.key]
        content {
          note = "rule ${meta.value}"
        }
      }
    }
  }
  depends_on = [aws_s3_bucket.logs]
}
resource "aws_ssm_parameter" "p" {
  name  = "/app/secret"
  value = var.secret
}
resource "terraform_data" "splat" {
  input = {
    ids    = aws_subnet.s[*].id
    legacy = aws_subnet.s.*.cidr_block
    vpcs   = length(aws_vpc.main)
  }
}
module "net" {
  source = "./modules/net"
  name   = local.prefix
  vpc_id = aws_vpc.main[0].id
  providers = {
    aws = aws.west
  }
}
module "many" {
  source   = "./modules/net"
  for_each = toset(["a", "b"])
  name     = each.key
  vpc_id   = "vpc-static"
}
output "subnet_cidrs" {
  value = aws_subnet.s[*].cidr_block
}
output "module_out" {
  value = module.net.sg_name
}
output "secret" {
  value     = var.secret
  sensitive = true
}
moved {
  from = aws_s3_bucket.old
  to   = aws_s3_bucket.logs
}
import {
  to = aws_sqs_queue.sets["x"]
  id = "https://queue/x"
}
"#;
    let module = r#"
variable "name" { type = string }
variable "vpc_id" { type = string }
resource "aws_security_group" "this" {
  name   = "${var.name}-sg"
  vpc_id = var.vpc_id
}
module "inner" {
  source = "./inner"
  n      = 2
}
output "sg_name" { value = aws_security_group.this.name }
output "inner_ids" { value = module.inner.ids }
"#;
    let inner = r#"
variable "n" { type = number }
resource "terraform_data" "t" {
  count = var.n
  input = "${path.module}:${count.index}"
}
output "ids" { value = terraform_data.t[*].id }
"#;
    let tree = MemSource::new()
        .file("cfg/main.tf", main)
        .file("cfg/terraform.tfvars", "env = \"prod\"\n")
        .file("cfg/modules/net/main.tf", module)
        .file("cfg/modules/net/inner/main.tf", inner);
    let cfg = ok(tree);

    assert_eq!(
        attr(&cfg, "aws_s3_bucket.logs", "bucket"),
        Value::string("prod-app-logs")
    );
    let tags = attr(&cfg, "aws_s3_bucket.logs", "tags");
    assert_eq!(tags.get("Env"), Some(&Value::string("prod")));
    assert_eq!(
        tags.get("Region"),
        Some(&Value::Unknown),
        "data source values are unknown at load"
    );
    let lc = &inst(&cfg, "aws_s3_bucket.logs").lifecycle;
    assert!(lc.prevent_destroy);
    assert!(
        lc.ignore_changes.ignores("tags[\"Owner\"]") && lc.ignore_changes.ignores("force_destroy")
    );

    // for_each over a map and a set, provider alias.
    assert_eq!(
        attr(
            &cfg,
            "aws_sqs_queue.q[\"large\"]",
            "visibility_timeout_seconds"
        ),
        Value::Number(30.0)
    );
    assert_eq!(
        inst(&cfg, "aws_sqs_queue.q[\"small\"]")
            .provider
            .to_string(),
        "aws.west"
    );
    assert_eq!(
        attr(&cfg, "aws_sqs_queue.sets[\"y\"]", "name"),
        Value::string("y")
    );
    // count from a conditional local, functions.
    assert_eq!(
        attr(&cfg, "aws_vpc.main[2]", "cidr_block"),
        Value::string("10.2.0.0/16")
    );
    // Known-after-apply references.
    assert_eq!(attr(&cfg, "aws_subnet.s[1]", "vpc_id"), Value::Unknown);
    assert!(inst(&cfg, "aws_subnet.s[1]")
        .depends_on
        .iter()
        .any(|d| d.to_string() == "aws_vpc.main"));
    // Dynamic blocks, nested.
    let ingress = attr(&cfg, "aws_security_group.sg", "ingress");
    let rules = ingress.as_list().unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[1].get("from_port"), Some(&Value::Number(443.0)));
    assert_eq!(
        rules[1].get("meta").unwrap().as_list().unwrap()[0].get("note"),
        Some(&Value::string("rule 1"))
    );
    assert!(inst(&cfg, "aws_security_group.sg")
        .depends_on
        .iter()
        .any(|d| d.to_string() == "aws_s3_bucket.logs"));
    // Sensitive variable flows into a resource attribute.
    assert!(inst(&cfg, "aws_ssm_parameter.p")
        .sensitive_attrs
        .contains("value"));
    // Splats.
    let splat = attr(&cfg, "terraform_data.splat", "input");
    assert_eq!(
        splat.get("legacy"),
        Some(&Value::List(vec![Value::Unknown, Value::Unknown]))
    );
    assert_eq!(splat.get("vpcs"), Some(&Value::Number(3.0)));
    // Modules: inputs, providers mapping, nesting, for_each.
    assert_eq!(
        attr(&cfg, "module.net.aws_security_group.this", "name"),
        Value::string("prod-app-sg")
    );
    assert_eq!(
        inst(&cfg, "module.net.aws_security_group.this")
            .provider
            .to_string(),
        "aws.west"
    );
    assert!(inst(&cfg, "module.net.aws_security_group.this")
        .depends_on
        .iter()
        .any(|d| d.to_string() == "aws_vpc.main"));
    assert_eq!(
        attr(&cfg, "module.many[\"b\"].aws_security_group.this", "vpc_id"),
        Value::string("vpc-static")
    );
    assert_eq!(
        attr(&cfg, "module.net.module.inner.terraform_data.t[1]", "input"),
        Value::string("modules/net/inner:1")
    );
    // Outputs, moved, import, required_providers, providers.
    let out: BTreeMap<_, _> = cfg.outputs.iter().map(|o| (o.name.as_str(), o)).collect();
    // Resource attributes are unknown until the engine supplies planned values.
    assert_eq!(out["module_out"].value, Value::Unknown);
    assert_eq!(out["module_out"].depends_on.len(), 1);
    assert!(out["secret"].sensitive);
    assert_eq!(cfg.moved[0].from, "aws_s3_bucket.old");
    assert_eq!(cfg.imports[0].to.to_string(), "aws_sqs_queue.sets[\"x\"]");
    assert_eq!(cfg.required_providers["aws"], "hashicorp/aws");
    assert_eq!(cfg.providers.len(), 2);
    assert_eq!(
        cfg.providers[0].config.get("region"),
        Some(&Value::string("us-east-1"))
    );

    // Locals through a session (the evaluator itself).
    let session = cfg.session(&NoValues, None);
    let outs = session.outputs().unwrap();
    assert!(outs.iter().any(|(n, _, s)| n == "secret" && *s));
    let g = Graph::build(&cfg).unwrap();
    assert_eq!(g.graph.node_count(), cfg.instances.len());
}

#[test]
fn locals_templates_heredocs_and_operators() {
    let main = r#"
variable "env" { default = "prod" }
locals {
  tpl    = "%{ if var.env == "prod" }P%{ else }D%{ endif }-%{ for p in [80, 443] }${p},%{ endfor }"
  strip  = "a %{~ if true ~} b %{~ endif ~} c"
  doc = <<-EOT
    hello ${var.env}
      indented
    EOT
  raw = <<EOT
line
EOT
  math  = (10 + 2) * 3 / 4 % 5 - -1
  logic = !(true && false) || false
  cmp   = [1 < 2, 2 <= 2, 3 > 4, 4 >= 4, "a" == "a", 1 != 2]
  tried = try(tonumber("x"), "fallback")
  can1  = can(tonumber("1"))
  group = { for s in ["aa", "ab", "b"] : substr(s, 0, 1) => s... }
}
resource "terraform_data" "t" {
  input = [local.tpl, local.strip, local.doc, local.raw, local.math, local.logic, local.cmp, local.tried, local.can1, local.group]
}
"#;
    let cfg = ok(MemSource::new().file("cfg/main.tf", main));
    let v = attr(&cfg, "terraform_data.t", "input");
    let l = v.as_list().unwrap();
    assert_eq!(l[0], Value::string("P-80,443,"));
    assert_eq!(l[1], Value::string("abc"));
    assert_eq!(l[2], Value::string("hello prod\n  indented\n"));
    assert_eq!(l[3], Value::string("line\n"));
    assert_eq!(l[4], Value::Number(5.0));
    assert_eq!(l[5], Value::Bool(true));
    assert_eq!(
        l[6],
        Value::List(
            [true, true, false, true, true, true]
                .map(Value::Bool)
                .to_vec()
        )
    );
    assert_eq!(l[7], Value::string("fallback"));
    assert_eq!(l[8], Value::Bool(true));
    assert_eq!(
        l[9].get("a"),
        Some(&Value::List(vec![Value::string("aa"), Value::string("ab")]))
    );
}

#[test]
fn variables_come_from_tfvars_cli_and_env_in_order() {
    let main = r#"
variable "a" { type = string }
variable "b" { type = list(string) }
variable "c" { type = number }
resource "terraform_data" "t" { input = [var.a, var.b, var.c] }
"#;
    let tree = MemSource::new()
        .file("cfg/main.tf", main)
        .file("cfg/terraform.tfvars", "a = \"file\"\nc = 1\n")
        .file("cfg/x.auto.tfvars", "c = 2\n");
    let opts = LoadOptions {
        vars: vec![("b".into(), "[\"x\", \"y\"]".into())],
        var_files: vec![],
        env_vars: vec![("a".into(), "env".into()), ("c".into(), "9".into())],
    };
    let cfg = load_tree(tree, &opts).map_err(|e| e.render()).unwrap();
    assert_eq!(
        attr(&cfg, "terraform_data.t", "input"),
        Value::List(vec![
            Value::string("file"),
            Value::List(vec![Value::string("x"), Value::string("y")]),
            Value::Number(2.0)
        ])
    );
}

#[test]
fn yaml_manifests_join_the_same_model() {
    let yaml = r#"
apiVersion: ec2.aws.upbound.io/v1beta1
kind: VPC
metadata:
  name: main
spec:
  forProvider:
    region: us-east-1
    cidrBlock: 10.0.0.0/16
---
apiVersion: ec2.aws.upbound.io/v1beta1
kind: Subnet
metadata:
  name: a
spec:
  deletionPolicy: Orphan
  forProvider:
    cidrBlock: 10.0.1.0/24
    vpcIdRef:
      name: main
"#;
    let tf = r#"
resource "aws_subnet" "b" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.2.0/24"
}
"#;
    let cfg = ok(MemSource::new()
        .file("cfg/net.yaml", yaml)
        .file("cfg/main.tf", tf));
    assert_eq!(
        attr(&cfg, "aws_vpc.main", "cidr_block"),
        Value::string("10.0.0.0/16")
    );
    let a = inst(&cfg, "aws_subnet.a");
    assert_eq!(a.origin, Origin::Yaml);
    assert_eq!(a.deletion_policy, DeletionPolicy::Orphan);
    assert!(a.depends_on.iter().any(|d| d.to_string() == "aws_vpc.main"));
    assert_eq!(attr(&cfg, "aws_subnet.a", "vpc_id"), Value::Unknown);
    assert!(inst(&cfg, "aws_subnet.b")
        .depends_on
        .iter()
        .any(|d| d.to_string() == "aws_vpc.main"));
    // A YAML ref resolves from supplied values in a session.
    struct Vals;
    impl ResourceValues for Vals {
        fn get(&self, a: &InstanceAddr) -> Option<Value> {
            (a.to_string() == "aws_vpc.main")
                .then(|| Value::map([("id", Value::string("vpc-123"))]))
        }
    }
    let idx = cfg
        .instances
        .iter()
        .position(|i| i.addr.to_string() == "aws_subnet.a")
        .unwrap();
    let body = cfg.session(&Vals, None).instance(idx).unwrap();
    assert_eq!(body.attrs.get("vpc_id"), Some(&Value::string("vpc-123")));
    let idx = cfg
        .instances
        .iter()
        .position(|i| i.addr.to_string() == "aws_subnet.b")
        .unwrap();
    let body = cfg.session(&Vals, None).instance(idx).unwrap();
    assert_eq!(body.attrs.get("vpc_id"), Some(&Value::string("vpc-123")));
}

#[test]
fn syntax_error_is_located() {
    let e = errors(MemSource::new().file(
        "cfg/main.tf",
        "resource \"aws_vpc\" \"a\" {\n  cidr_block = \n}\n",
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].0.starts_with("cfg/main.tf:"), "{e:?}");
    assert!(e[0].1.starts_with("syntax error"), "{e:?}");
}

#[test]
fn unknown_resource_type_suggests() {
    let e = errors(MemSource::new().file("cfg/main.tf", "\nresource \"aws_s3_buckt\" \"a\" {}\n"));
    assert_eq!(
        e,
        vec![(
            "cfg/main.tf:2:10".into(),
            "unknown resource type \"aws_s3_buckt\"".into()
        )]
    );
}

#[test]
fn unknown_attribute_is_located() {
    let e = errors(MemSource::new().file(
        "cfg/main.tf",
        "resource \"aws_s3_bucket\" \"a\" {\n  bucket_nme = \"x\"\n}\n",
    ));
    assert_eq!(
        e,
        vec![(
            "cfg/main.tf:2:3".into(),
            "unsupported argument \"bucket_nme\" in aws_s3_bucket.a".into()
        )]
    );
}

#[test]
fn errors_in_a_later_block_are_located_in_the_file() {
    // Resource blocks are parsed again on evaluation; their spans must still be file offsets.
    let tf = "variable \"x\" {\n  default = 1\n}\n\nresource \"aws_s3_bucket\" \"a\" {\n  bucket_nme = \"x\"\n}\n\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = local.nope\n  tags = { a = [1] }\n}\n";
    let e = errors(MemSource::new().file("cfg/main.tf", tf));
    let at: Vec<&str> = e.iter().map(|(loc, _)| loc.as_str()).collect();
    assert_eq!(
        at,
        ["cfg/main.tf:6:3", "cfg/main.tf:10:12", "cfg/main.tf:11:10"],
        "{e:?}"
    );
}

#[test]
fn errors_found_when_values_are_known_are_located_in_the_file() {
    // After loading, a block is parsed again for each evaluation: spans must stay file offsets.
    let tf = "resource \"aws_s3_bucket\" \"a\" {\n  bucket = \"a\"\n}\n\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = aws_s3_bucket.a.tags\n}\n";
    let cfg = ok(MemSource::new().file("cfg/main.tf", tf));
    struct Vals;
    impl ResourceValues for Vals {
        fn get(&self, _: &InstanceAddr) -> Option<Value> {
            Some(Value::map([(
                "tags",
                Value::map([("k", Value::string("v"))]),
            )]))
        }
    }
    let idx = cfg
        .instances
        .iter()
        .position(|i| i.addr.to_string() == "aws_s3_bucket.b")
        .unwrap();
    let Err(ds) = cfg.session(&Vals, None).instance(idx) else {
        panic!("a map is not a bucket name");
    };
    let at: Vec<String> = ds
        .iter()
        .map(|d| d.span.map(|s| cfg.sources.location(s)).unwrap_or_default())
        .collect();
    assert_eq!(at, ["cfg/main.tf:6:12"], "{:?}", ds);
}

#[test]
fn missing_required_attribute_is_located() {
    let e = errors(MemSource::new().file("cfg/main.tf", "\n\nresource \"aws_vpc\" \"a\" {\n}\n"));
    assert_eq!(
        e,
        vec![(
            "cfg/main.tf:3:1".into(),
            "missing required argument \"cidr_block\" in aws_vpc.a".into()
        )]
    );
}

#[test]
fn undeclared_reference_is_located() {
    let e = errors(MemSource::new().file(
        "cfg/main.tf",
        "resource \"aws_subnet\" \"a\" {\n  cidr_block = \"10.0.0.0/24\"\n  vpc_id     = aws_vpc.nope.id\n}\n",
    ));
    assert_eq!(
        e,
        vec![(
            "cfg/main.tf:3:16".into(),
            "reference to undeclared resource aws_vpc.nope".into()
        )]
    );
}

#[test]
fn cycle_of_three_names_every_resource() {
    let tf = r#"resource "terraform_data" "a" {
  input = terraform_data.c.id
}
resource "terraform_data" "b" {
  input = terraform_data.a.id
}
resource "terraform_data" "c" {
  input = terraform_data.b.id
}
"#;
    let cfg = ok(MemSource::new().file("cfg/main.tf", tf));
    let ds = Graph::build(&cfg).unwrap_err();
    assert_eq!(ds.len(), 1);
    assert_eq!(
        ds[0].message,
        "dependency cycle: terraform_data.a -> terraform_data.b -> terraform_data.c -> terraform_data.a"
    );
    assert_eq!(cfg.sources.location(ds[0].span.unwrap()), "cfg/main.tf:1:1");
    let notes: Vec<String> = ds[0]
        .notes
        .iter()
        .map(|(_, s)| cfg.sources.location(s.unwrap()))
        .collect();
    assert_eq!(
        notes,
        vec!["cfg/main.tf:1:1", "cfg/main.tf:4:1", "cfg/main.tf:7:1"]
    );
}

#[test]
fn failing_validation_is_located() {
    let tf = r#"variable "env" {
  default = "qa"
  validation {
    condition     = contains(["dev", "prod"], var.env)
    error_message = "env must be dev or prod"
  }
}
"#;
    let e = errors(MemSource::new().file("cfg/main.tf", tf));
    assert_eq!(
        e,
        vec![(
            "cfg/main.tf:4:21".into(),
            "invalid value for variable \"env\": env must be dev or prod".into()
        )]
    );
}

#[test]
fn invalid_yaml_and_unknown_kind_are_located() {
    let e = errors(MemSource::new().file("cfg/a.yaml", "apiVersion: v1\nkind: [unclosed\n"));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].0.starts_with("cfg/a.yaml:"), "{e:?}");
    let e = errors(MemSource::new().file(
        "cfg/b.yaml",
        "apiVersion: sqs.aws.upbound.io/v1beta1\nkind: Queu\nmetadata:\n  name: q\nspec:\n  forProvider: {}\n",
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].0, "cfg/b.yaml:2:7");
}

#[test]
fn several_errors_are_reported_in_one_run() {
    let tf = r#"resource "aws_vpc" "a" {}
resource "aws_s3_bucket" "b" {
  nope = 1
}
resource "terraform_data" "c" {
  input = local.missing
}
"#;
    let e = errors(MemSource::new().file("cfg/main.tf", tf));
    assert_eq!(e.len(), 3, "{e:?}");
}

#[test]
fn module_errors_point_into_the_module() {
    let e = errors(
        MemSource::new()
            .file(
                "cfg/main.tf",
                "module \"m\" {\n  source = \"./m\"\n  nmae = 1\n}\n",
            )
            .file("cfg/m/main.tf", "variable \"name\" {}\n"),
    );
    assert!(
        e.iter()
            .any(|(l, m)| l == "cfg/main.tf:3:3" && m.contains("has no variable \"nmae\"")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|(l, m)| l == "cfg/m/main.tf:1:1" && m.contains("no value for required variable")),
        "{e:?}"
    );
}

#[test]
fn count_depending_on_apply_time_values_is_an_error() {
    let tf = r#"resource "aws_vpc" "a" { cidr_block = "10.0.0.0/16" }
resource "terraform_data" "b" {
  count = length(aws_vpc.a.id)
}
"#;
    let e = errors(MemSource::new().file("cfg/main.tf", tf));
    assert_eq!(e[0].0, "cfg/main.tf:3:11");
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const TOKENS: &[&str] = &[
        "resource",
        "\"aws_vpc\"",
        "\"a\"",
        "{",
        "}",
        "=",
        "[",
        "]",
        "(",
        ")",
        "var.x",
        "local.y",
        "${",
        "\"",
        "\n",
        "for",
        "in",
        ":",
        "=>",
        "?",
        "if",
        "count",
        "each.key",
        "<<EOT\n",
        "EOT\n",
        "%{",
        "1.5",
        "-",
        "*",
        ".",
        "...",
        "module",
        "dynamic",
        "content",
        "null",
        "aws_vpc.a.id",
        "locals",
        "variable",
        "output",
        "#",
        "/*",
        "*/",
        ",",
        "true",
    ];

    fn load_quietly(text: &str) {
        let tree = MemSource::new().file("cfg/main.tf", text.to_string());
        if let Ok(cfg) = load_tree(tree, &LoadOptions::default()) {
            let _ = Graph::build(&cfg);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1500))]
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            load_quietly(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn token_soup_never_panics(idx in proptest::collection::vec(0..TOKENS.len(), 0..60)) {
            let text: Vec<&str> = idx.into_iter().map(|i| TOKENS[i]).collect();
            load_quietly(&text.join(" "));
        }
    }
}

#[test]
fn file_paths_resolve_like_terraform_from_the_root_module() {
    // Terraform runs in the root module's directory: path.module is relative to it, and
    // relative file() paths too, so both common idioms read the intended file wherever the
    // root module sits (here `cfg/`, as with `terrane validate cfg` or `--git REPO cfg`).
    let main = r#"
resource "terraform_data" "plain" {
  input = file("root.txt")
}
resource "terraform_data" "by_module_path" {
  input = file("${path.module}/root.txt")
}
module "net" {
  source = "./modules/net"
}
"#;
    let module = r#"
resource "terraform_data" "t" {
  input = [path.module, path.root, file("${path.module}/net.txt"), templatefile("${path.module}/t.tpl", { who = "net" })]
}
"#;
    let cfg = ok(MemSource::new()
        .file("cfg/main.tf", main)
        .file("cfg/root.txt", "root file")
        .file("cfg/modules/net/main.tf", module)
        .file("cfg/modules/net/net.txt", "module file")
        .file("cfg/modules/net/t.tpl", "hello ${who}"));
    assert_eq!(
        attr(&cfg, "terraform_data.plain", "input"),
        Value::string("root file")
    );
    assert_eq!(
        attr(&cfg, "terraform_data.by_module_path", "input"),
        Value::string("root file")
    );
    assert_eq!(
        attr(&cfg, "module.net.terraform_data.t", "input"),
        Value::List(vec![
            Value::string("modules/net"),
            Value::string("."),
            Value::string("module file"),
            Value::string("hello net"),
        ])
    );
}

#[test]
fn blocks_in_attribute_syntax_where_the_schema_allows_it() {
    let cfg = ok(MemSource::new().file(
        "cfg/main.tf",
        r#"
resource "aws_security_group" "none" {
  ingress = []
}
resource "aws_security_group" "one" {
  ingress = [{ from_port = "443", to_port = 443, protocol = "tcp", cidr_blocks = ["10.0.0.0/8"] }]
}
resource "aws_security_group" "unset" {}
"#,
    ));
    // `= []` is kept (it manages the blocks and wants none); leaving them out is not.
    assert_eq!(
        attr(&cfg, "aws_security_group.none", "ingress"),
        Value::List(vec![])
    );
    assert_eq!(
        attr(&cfg, "aws_security_group.unset", "ingress"),
        Value::Null
    );
    let one = attr(&cfg, "aws_security_group.one", "ingress");
    let Value::List(items) = one else {
        panic!("{one:?}")
    };
    assert_eq!(items.len(), 1);
    // Attributes are coerced to the block's types, as in block syntax.
    assert_eq!(items[0].get("from_port"), Some(&Value::Number(443.0)));

    let e = errors(MemSource::new().file(
        "cfg/main.tf",
        "resource \"aws_security_group\" \"a\" {\n  ingress = [{ port = 1 }]\n}\n",
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].1.contains("unsupported attribute \"port\""), "{e:?}");
}
