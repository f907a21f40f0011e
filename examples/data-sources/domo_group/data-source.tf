# Look a group up by its exact name...
data "domo_group" "sales" {
  name = "Sales EMEA"
}

# ...or by Domo's numeric group id.
data "domo_group" "everyone" {
  id = "1234567"
}

output "sales" {
  value = {
    id           = data.domo_group.sales.id
    member_count = data.domo_group.sales.member_count
  }
}
