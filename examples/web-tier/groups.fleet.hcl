# One group per zone: web["gz3"] and web["gz4"].
group "web" {
  for_each = local.zones

  count          = var.web_per_zone
  cpu            = 2
  mem            = 4
  zone_id        = each.value.zone_id
  subnet_id      = each.value.subnet_id
  bandwidth_type = "PayByTraffic"
  bandwidth      = 10
  wan_ip         = true
  instance_name  = format("shop-web-%s", each.key)
}

group "api" {
  count         = 2
  cpu           = 4
  mem           = 8
  zone_id       = local.zones.gz3.zone_id
  subnet_id     = local.zones.gz3.subnet_id
  storage_size  = 100
  root_size     = 50
  private_ips   = ["10.0.1.10", "10.0.1.11"]
  instance_name = "shop-api"
}
