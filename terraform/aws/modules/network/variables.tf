variable "name" {
  description = "Name prefix of every resource (for example \"aict-production\")."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC. Public and private subnets are carved out of it (/20 each by default)."
  type        = string
}

variable "az_count" {
  description = "How many availability zones to spread subnets over (RDS needs at least 2)."
  type        = number

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 6
    error_message = "az_count must be from 2 to 6."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all private subnets (cheaper) instead of one per availability zone (survives the loss of a zone)."
  type        = bool
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
}
