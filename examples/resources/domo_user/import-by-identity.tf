# Terraform 1.12 and later: an import block can name the user by its
# identity, Domo's id of the user.
import {
  to = domo_user.analyst
  identity = {
    id = "1234567"
  }
}
