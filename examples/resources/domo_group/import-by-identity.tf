# Terraform 1.12 and later: an import block can name the group by its
# identity, Domo's id of the group.
import {
  to = domo_group.sales
  identity = {
    id = "1234567"
  }
}
