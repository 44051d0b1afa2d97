variable "name" {
  description = "Name prefix of every resource."
  type        = string
}

variable "vpc_id" {
  description = "VPC the database lives in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the DB subnet group (at least two zones)."
  type        = list(string)
}

variable "engine_version" {
  description = "PostgreSQL major (or major.minor) version, e.g. \"15\" or \"15.8\"."
  type        = string
}

variable "instance_class" {
  description = "RDS instance class, e.g. db.t4g.medium."
  type        = string
}

variable "allocated_storage_gb" {
  description = "Initial storage in GiB."
  type        = number
}

variable "max_allocated_storage_gb" {
  description = "Upper bound for storage autoscaling in GiB (0 disables it)."
  type        = number
}

variable "multi_az" {
  description = "Standby replica in another availability zone with automatic failover."
  type        = bool
}

variable "backup_retention_days" {
  description = "Days automated backups (and point-in-time recovery) are kept; 1 to 35."
  type        = number

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be from 1 to 35 (0 would disable backups)."
  }
}

variable "backup_window" {
  description = "Daily UTC window for automated backups, e.g. \"03:00-04:00\"."
  type        = string
}

variable "maintenance_window" {
  description = "Weekly UTC maintenance window, e.g. \"sun:04:30-sun:05:30\"."
  type        = string
}

variable "deletion_protection" {
  description = "Refuse to delete the instance (turn off explicitly before a destroy)."
  type        = bool
}

variable "kms_key_id" {
  description = "KMS key ARN for storage encryption; null uses the AWS-managed RDS key."
  type        = string
  default     = null
}

variable "database_name" {
  description = "Name of the application database."
  type        = string
}

variable "username" {
  description = "Master user name (the service connects as this user; it owns the schema the migrations create)."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
}
