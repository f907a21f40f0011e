# Terraform 1.12 and later: an import block can name the member list by its
# identity, the id of its group.
import {
  to = domo_group_members.sales
  identity = {
    group_id = "1234567"
  }
}
