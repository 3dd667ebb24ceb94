# The smallest useful fleet: two small Linux instances in Guangzhou zone 3, bought for one
# month, reached with an SSH key.
fleet "demo" {
  region     = "ap-guangzhou"
  project_id = 0
}

group "app" {
  count         = 2
  instance_type = "CVM.S2"
  cpu           = 1
  mem           = 2
  image_id      = "img-31tjrtph"
  period        = 1
  zone_id       = 100003
  key_id        = "skey-3glfot13"
}
