terraform {
  required_providers {
    domo = {
      source = "tf-domo/domo"
    }
  }
}

provider "domo" {
  # Leave headroom for other integrations on large instances.
  max_requests_per_minute = 2400
}

# The users to bring under management: here everyone at example.com.
# Remove the filter to take the whole instance, or add `role = "Admin"`.
data "domo_users" "people" {
  email_domain = "example.com"
}

# Keyed by lower-cased email: a stable name for each user in Terraform.
output "people" {
  value = {
    for u in data.domo_users.people.users : lower(u.email) => {
      id              = u.id
      name            = u.name
      email           = u.email
      role            = u.role
      title           = u.title
      alternate_email = u.alternate_email
      phone           = u.phone
      location        = u.location
      employee_number = u.employee_number
    }
  }
}
