# Teams as code: each group lists all of its members. Anyone added to one
# of these groups in Domo's UI is removed by the next apply.
locals {
  people = {
    "ada.lovelace@example.com"   = { name = "Ada Lovelace", role = "Editor", teams = ["analytics", "leads"] }
    "grace.hopper@example.com"   = { name = "Grace Hopper", role = "Participant", teams = ["analytics"] }
    "alan.turing@example.com"    = { name = "Alan Turing", role = "Privileged", teams = ["platform", "leads"] }
    "katherine@nasa.example.org" = { name = "Katherine Johnson", role = "Social", teams = ["platform"] }
  }
  teams = {
    analytics = "Analytics"
    platform  = "Platform"
    leads     = "Team Leads"
  }
}

resource "domo_user" "person" {
  for_each = local.people

  name  = each.value.name
  email = each.key
  role  = each.value.role
}

resource "domo_group" "team" {
  for_each = local.teams

  name = each.value
}

resource "domo_group_members" "team" {
  for_each = local.teams

  group_id = domo_group.team[each.key].id
  user_ids = [
    for email, person in local.people : domo_user.person[email].id
    if contains(person.teams, each.key)
  ]
}
