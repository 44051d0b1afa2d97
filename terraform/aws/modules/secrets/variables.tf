variable "name" {
  description = "Name prefix; secrets are called \"<name>/<VARIABLE>\"."
  type        = string
}

variable "database_url" {
  description = "postgres:// URL of the database, stored as the DATABASE_URL secret."
  type        = string
  sensitive   = true
}

variable "operator_secret_names" {
  description = "Environment variables whose values the operator puts into Secrets Manager (never in Terraform state)."
  type        = list(string)
}

variable "kms_key_id" {
  description = "KMS key for the secrets; null uses the AWS-managed key."
  type        = string
  default     = null
}

variable "recovery_window_days" {
  description = "Days a deleted secret can still be restored (0 deletes at once)."
  type        = number
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
}
