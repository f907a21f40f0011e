resource "domo_group" "sales" {
  name = "Sales EMEA"
}

# A default group: Domo adds every new user to it.
resource "domo_group" "everyone" {
  name    = "Everyone"
  default = true
}
