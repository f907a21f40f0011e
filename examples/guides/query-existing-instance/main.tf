terraform {
  required_version = ">= 1.14"
  required_providers {
    domo = {
      source = "tf-domo/domo"
    }
  }
}

# Credentials from DOMO_CLIENT_ID and DOMO_CLIENT_SECRET.
provider "domo" {}
