# Every group of the instance.
data "domo_groups" "all" {}

# Only the groups whose name starts with "eng-".
data "domo_groups" "engineering" {
  name_prefix = "eng-"
}

# Group ids by name, e.g. to look up ids for imports.
output "group_ids" {
  value = { for g in data.domo_groups.all.groups : g.name => g.id }
}

output "engineering_groups" {
  value = [for g in data.domo_groups.engineering.groups : g.name]
}
