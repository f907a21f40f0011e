terraform {
  required_providers {
    domo = {
      source = "tf-domo/domo"
    }
  }
}

provider "domo" {}

locals {
  # The HR export: one row per person, a header line naming the columns.
  people = csvdecode(file("${path.module}/people.csv"))

  # HR departments decide Domo roles; anyone else is a Participant.
  roles = {
    "Finance"   = "Privileged"
    "Analytics" = "Privileged"
    "IT"        = "Admin"
  }

  # Only people HR marks as active have a Domo account.
  active = [for p in local.people : p if p.status == "active"]
}

resource "domo_user_roster" "company" {
  users = { for p in local.active : lower(trimspace(p.email)) => {
    name            = p.name
    role            = lookup(local.roles, p.department, "Participant")
    title           = p.title == "" ? null : p.title
    phone           = p.phone == "" ? null : p.phone
    location        = p.office == "" ? null : p.office
    employee_number = p.employee_id == "" ? null : p.employee_id
    timezone        = p.timezone == "" ? null : p.timezone
  } }

  # The first run adopts the accounts the instance already has.
  adopt_existing = true
  # Leavers keep their Domo account until you switch this to "delete".
  on_removal = "keep"
}

output "managed_users" {
  value = length(domo_user_roster.company.users)
}
