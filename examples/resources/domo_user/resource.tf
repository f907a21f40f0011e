resource "domo_user" "analyst" {
  name            = "Ada Lovelace"
  email           = "ada.lovelace@example.com"
  role            = "Participant"
  title           = "Data Analyst"
  alternate_email = "ada@home.example.org"
  phone           = "+44 20 7946 0000"
  location        = "London"
  timezone        = "Europe/London"
  locale          = "en-GB"
  employee_number = "1815"
  send_invite     = true
}

# A custom role of the instance is set by its id; `role` then reads the
# name Domo gives it.
resource "domo_user" "auditor" {
  name    = "Alan Turing"
  email   = "alan.turing@example.com"
  role_id = 101
}
