# Terraform 1.12 and later: an import block can name the membership by its
# identity, the ids of its group and of its user.
import {
  to = domo_group_membership.ada_analysts
  identity = {
    group_id = "1234567"
    user_id  = "7654321"
  }
}
