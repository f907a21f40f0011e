resource "domo_user" "ada" {
  name  = "Ada Lovelace"
  email = "ada.lovelace@example.com"
  role  = "Editor"
}

# Ada joins an existing group; its other members are left alone.
resource "domo_group_membership" "ada_analysts" {
  group_id = "1234567"
  user_id  = domo_user.ada.id
}
