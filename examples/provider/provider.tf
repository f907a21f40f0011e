# Credentials come from a Domo API client (developer.domo.com) with the
# `user` scope. Prefer the environment variables DOMO_CLIENT_ID and
# DOMO_CLIENT_SECRET to keep secrets out of configuration.
provider "domo" {
  # client_id     = "..."            # or DOMO_CLIENT_ID
  # client_secret = "..."            # or DOMO_CLIENT_SECRET
  # api_host      = "https://api.domo.com"
  max_requests_per_minute = 1200
}
