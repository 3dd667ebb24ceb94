# The fleet of the CI example (fleet.yml): the state lives in PostgreSQL, so that CI runners
# that share nothing plan and apply against one record. The connection comes from the
# environment (FLEET_PG_URL, or PGHOST, PGUSER, PGPASSWORD, PGSSLMODE, ...), never from here.
fleet "shop" {
  region = "ap-guangzhou"

  backend "postgres" {
    schema = "team_shop"
  }
}

defaults {
  instance_type = "CVM.S2"
  image_id      = "img-31tjrtph"
  period        = 12
  zone_id       = 100003
  key_id        = "skey-3glfot13"
}

group "web" {
  count = 4
  cpu   = 2
  mem   = 4
}

group "worker" {
  count = 2
  cpu   = 4
  mem   = 8
}
