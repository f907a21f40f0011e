# Look a user up by email address; letter case does not matter.
data "domo_user" "ada" {
  email = "Ada.Lovelace@example.com"
}

# Or by Domo's numeric user id.
data "domo_user" "grace" {
  id = "1234567"
}

output "ada" {
  value = {
    id        = data.domo_user.ada.id
    role      = data.domo_user.ada.role
    role_id   = data.domo_user.ada.role_id
    title     = data.domo_user.ada.title
    group_ids = data.domo_user.ada.group_ids
  }
}

output "grace_email" {
  value = data.domo_user.grace.email
}
