# A web shop in Guangzhou: a web tier spread over zones 3 and 4 with a public IP on every
# instance, and an API tier behind it, all inside one VPC.
fleet "shop" {
  region     = "gz"
  project_id = 0
}

variable "web_per_zone" {
  type        = number
  default     = 3
  description = "Web instances in each zone."

  validation {
    condition     = var.web_per_zone >= 1 && var.web_per_zone <= 50
    error_message = "Keep between 1 and 50 web instances per zone."
  }
}

variable "period" {
  type        = number
  default     = 12
  description = "Months every instance is bought for."
}
