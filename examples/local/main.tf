# A stack that needs no cloud at all: terraform_data resources, modules, count and for_each.
# `terrane validate examples/local` and `terrane graph examples/local` work anywhere.

variable "environments" {
  type    = set(string)
  default = ["dev", "staging", "prod"]
}

locals {
  release = "2026.11"
}

resource "terraform_data" "release" {
  input = { version = local.release }
}

resource "terraform_data" "deploy" {
  for_each = var.environments
  input    = "${each.key}@${terraform_data.release.output.version}"
}

resource "terraform_data" "smoke_test" {
  count      = 2
  input      = "smoke-${count.index}"
  depends_on = [terraform_data.deploy]
}

output "deployments" {
  value = { for env, d in terraform_data.deploy : env => d.output }
}
