# Default roles go by name, custom roles by id (Domo's admin pages show it).
resource "domo_user" "editor" {
  name  = "Grace Hopper"
  email = "grace.hopper@example.com"
  role  = "Editor"
}

resource "domo_user" "auditor" {
  name    = "Alan Turing"
  email   = "alan.turing@example.com"
  role_id = 101 # "Auditor", a custom role of this instance
}

output "roles" {
  value = {
    editor  = { name = domo_user.editor.role, id = domo_user.editor.role_id }
    auditor = { name = domo_user.auditor.role, id = domo_user.auditor.role_id }
  }
}
