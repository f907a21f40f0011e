resource "domo_group" "sales" {
  name = "Sales EMEA"
}

resource "domo_user" "ada" {
  name  = "Ada Lovelace"
  email = "ada.lovelace@example.com"
  role  = "Editor"
}

resource "domo_user" "grace" {
  name  = "Grace Hopper"
  email = "grace.hopper@example.com"
  role  = "Participant"
}

# Exactly these users are members of Sales EMEA: anyone else Domo has in
# the group is removed.
resource "domo_group_members" "sales" {
  group_id = domo_group.sales.id
  user_ids = [
    domo_user.ada.id,
    domo_user.grace.id,
    "1234567", # an existing user Terraform does not manage
  ]
}
