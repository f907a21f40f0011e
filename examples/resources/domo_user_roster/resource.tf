# Everyone in people.csv (columns: email,name,role,title) as one roster.
locals {
  people = csvdecode(file("${path.module}/people.csv"))
}

resource "domo_user_roster" "staff" {
  users = { for p in local.people : p.email => {
    name  = p.name
    role  = p.role
    title = p.title == "" ? null : p.title
  } }

  # Adopt accounts that already exist in Domo instead of failing on them.
  adopt_existing = true
  # "delete" (the default) deletes the Domo user of a removed entry; "keep"
  # only stops managing it.
  on_removal = "delete"
}

output "ada_id" {
  value = domo_user_roster.staff.accounts["ada.lovelace@example.com"].id
}
