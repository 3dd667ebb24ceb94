# The VPC and one subnet per zone, created beforehand in the console.
locals {
  vpc_id = "vpc-2ari9m7h"

  zones = {
    gz3 = { zone_id = 100003, subnet_id = "subnet-3lzrkspo" }
    gz4 = { zone_id = 100004, subnet_id = "subnet-8ea5q2kd" }
  }
}

# Every group below inherits these attributes unless it sets its own.
defaults {
  instance_type = "CVM.S2"
  image_id      = "img-8toqc6s3"
  period        = var.period
  vpc_id        = local.vpc_id
  key_id        = "skey-3glfot13"
  storage_type  = "cloud"
}
