# Every user of the instance.
data "domo_users" "all" {}

# Only administrators with an address at example.com.
data "domo_users" "example_admins" {
  role         = "Admin"
  email_domain = "example.com"
}

output "user_count" {
  value = length(data.domo_users.all.users)
}

output "admin_emails" {
  value = [for u in data.domo_users.example_admins.users : u.email]
}

# Users by email, e.g. to look up ids for imports.
output "ids_by_email" {
  value = { for u in data.domo_users.all.users : lower(u.email) => u.id }
}
