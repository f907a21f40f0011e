# Every user at example.com with the Participant role (terraform query,
# Terraform 1.14 and later).
list "domo_user" "participants" {
  provider = domo
  limit    = 5000

  config {
    email_domain = "example.com"
    role         = "Participant"
  }
}

# Users whose name starts with "Ada", whatever their role.
list "domo_user" "adas" {
  provider = domo

  config {
    name_prefix = "Ada"
  }
}
