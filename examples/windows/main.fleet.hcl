# Two Windows build machines whose administrator password never appears in the repository:
# it comes from the sensitive variable admin_password (see README.md).
fleet "build" {
  region     = "ap-shanghai"
  project_id = 0
}

variable "admin_password" {
  type        = string
  sensitive   = true
  description = "Administrator password: 12 to 16 characters, three of lower, upper, digits, specials."

  validation {
    condition     = length(var.admin_password) >= 12 && length(var.admin_password) <= 16
    error_message = "The Windows password must be 12 to 16 characters long."
  }
}

group "win-build" {
  count         = 2
  os            = "windows"
  instance_type = "CVM.S2"
  cpu           = 4
  mem           = 16
  image_id      = "img-9id7emv7"
  root_size     = 50
  storage_type  = "cloud"
  storage_size  = 200
  period        = 6
  zone_id       = 200002
  password      = var.admin_password
  bandwidth     = 5
}
