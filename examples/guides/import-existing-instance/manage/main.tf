terraform {
  required_providers {
    domo = {
      source = "tf-domo/domo"
    }
  }
}

provider "domo" {
  max_requests_per_minute = 2400
}

locals {
  # Written once by the inventory step. From now on this file is the source
  # of truth: edit it (or move users into HCL) to change users in Domo.
  people = jsondecode(file("${path.module}/users.json"))
}

resource "domo_user" "people" {
  for_each = local.people

  name            = each.value.name
  email           = each.value.email
  role            = each.value.role
  title           = each.value.title
  alternate_email = each.value.alternate_email
  phone           = each.value.phone
  location        = each.value.location
  employee_number = each.value.employee_number

  lifecycle {
    # Deleting a Domo user cannot be undone: removing someone from
    # users.json must be a deliberate change to this setting.
    prevent_destroy = true
  }
}
