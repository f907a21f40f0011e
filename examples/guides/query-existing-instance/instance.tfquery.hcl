# Everyone in the Domo instance: set the limit above the number of users
# (Terraform's default is 100).
list "domo_user" "people" {
  provider = domo
  limit    = 50000
}

# Every group.
list "domo_group" "groups" {
  provider = domo
  limit    = 5000
}
