# Every group whose name starts with "Sales" (terraform query, Terraform
# 1.14 and later).
list "domo_group" "sales" {
  provider = domo

  config {
    name_prefix = "Sales"
  }
}
