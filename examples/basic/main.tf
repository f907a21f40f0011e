# A small team in Domo, as code: three users and the group they form.
# `scripts/demo` applies this against the local Domo simulator; point
# DOMO_API_HOST and the credentials at your instance to use it for real.
terraform {
  required_providers {
    domo = {
      source = "tf-domo/domo"
    }
  }
}

# Settings come from DOMO_CLIENT_ID, DOMO_CLIENT_SECRET and DOMO_API_HOST.
provider "domo" {}

locals {
  analysts = {
    "grace.hopper@example.com"      = "Grace Hopper"
    "katherine.johnson@example.com" = "Katherine Johnson"
  }
}

resource "domo_user" "admin" {
  name     = "Ada Lovelace"
  email    = "Ada.Lovelace@example.com"
  role     = "Admin"
  title    = "Head of Analytics"
  location = "London"
  timezone = "Europe/London"
  locale   = "en-GB"
}

resource "domo_user" "analyst" {
  for_each = local.analysts

  name  = each.value
  email = each.key
  role  = "Participant"
  title = "Analyst"
}

# The team's group, with exactly these members: anyone added to it in
# Domo's UI is removed by the next apply.
resource "domo_group" "analytics" {
  name = "Analytics"
}

resource "domo_group_members" "analytics" {
  group_id = domo_group.analytics.id
  user_ids = concat(
    [domo_user.admin.id],
    [for u in domo_user.analyst : u.id],
  )
}

output "user_ids" {
  value = merge(
    { (domo_user.admin.email) = domo_user.admin.id },
    { for email, u in domo_user.analyst : email => u.id },
  )
}

output "group" {
  value = {
    id      = domo_group.analytics.id
    name    = domo_group.analytics.name
    members = domo_group_members.analytics.user_ids
  }
}
