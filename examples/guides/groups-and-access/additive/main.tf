# Membership managed from the user's side: each user's configuration says
# which existing groups it joins, and nobody else's membership is touched.
variable "analysts_group_id" {
  description = "Id of the existing Analysts group (see the domo_groups data source)."
  type        = string
}

resource "domo_user" "ada" {
  name  = "Ada Lovelace"
  email = "ada.lovelace@example.com"
  role  = "Editor"
}

resource "domo_group_membership" "ada_analysts" {
  group_id = var.analysts_group_id
  user_id  = domo_user.ada.id
}
