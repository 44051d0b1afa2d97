# Inputs of the AI Coding Team stack on AWS. Every variable has a description; the README in terraform/
# explains the layout. Only `image` has no default.

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name prefix of every resource (lowercase letters, digits and dashes), e.g. aict-production."
  type        = string
  default     = "aict"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}$", var.name))
    error_message = "name must be 2 to 23 lowercase letters, digits or dashes, starting with a letter (ALB and target group names are limited to 32 characters)."
  }
}

variable "tags" {
  description = "Extra tags for every resource (Project and ManagedBy are always set)."
  type        = map(string)
  default     = {}
}

variable "image" {
  description = "Container image built from the repository's Dockerfile, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/aict@sha256:... (pin by digest)."
  type        = string
}

# --- network ---------------------------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "CIDR block of the new VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones to use (2 or more)."
  type        = number
  default     = 2
}

variable "single_nat_gateway" {
  description = "One NAT gateway for the whole VPC (cheaper) instead of one per zone (zone-redundant egress)."
  type        = bool
  default     = false
}

# --- database --------------------------------------------------------------------------------------------

variable "db_engine_version" {
  description = "RDS PostgreSQL version; the service is tested on PostgreSQL 15 and later."
  type        = string
  default     = "15"
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_allocated_storage_gb" {
  description = "Initial database storage (GiB)."
  type        = number
  default     = 50
}

variable "db_max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling (GiB); 0 disables storage autoscaling."
  type        = number
  default     = 500
}

variable "db_multi_az" {
  description = "Multi-AZ standby with automatic failover."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Days of automated backups and point-in-time recovery (1-35)."
  type        = number
  default     = 14
}

variable "db_backup_window" {
  description = "Daily UTC backup window."
  type        = string
  default     = "02:00-03:00"
}

variable "db_maintenance_window" {
  description = "Weekly UTC maintenance window (must not overlap the backup window)."
  type        = string
  default     = "sun:03:30-sun:04:30"
}

variable "db_deletion_protection" {
  description = "Protect the database from deletion (set false and apply before a destroy)."
  type        = bool
  default     = true
}

variable "db_name" {
  description = "Application database name."
  type        = string
  default     = "aict"
}

variable "db_username" {
  description = "Database user the service connects as."
  type        = string
  default     = "aict"
}

variable "database_url_options" {
  description = "Query string appended to DATABASE_URL (TLS to RDS without bundling its CA: sslmode=no-verify; use verify-full with the RDS CA for stricter checks)."
  type        = string
  default     = "sslmode=no-verify"
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for RDS storage and the secrets; null uses the AWS-managed keys."
  type        = string
  default     = null
}

# --- secrets ---------------------------------------------------------------------------------------------

variable "operator_secret_names" {
  description = "Environment variables kept in Secrets Manager whose values the operator sets (DATABASE_URL is written by Terraform). Every one must have a value before tasks can start."
  type        = list(string)
  default     = ["ANTHROPIC_API_KEY", "AUTH_BOOTSTRAP_TOKEN", "TRUTHPACK_SIGNING_KEY", "GITHUB_WEBHOOK_SECRET", "GENERIC_WEBHOOK_SECRET"]
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can be restored (0 to delete at once)."
  type        = number
  default     = 7
}

# --- services --------------------------------------------------------------------------------------------

variable "environment" {
  description = "Extra plain environment variables for api and worker (model names, caps, SANDBOX_* limits...); see the README's configuration table."
  type        = map(string)
  default     = {}
}

variable "log_level" {
  description = "LOG_LEVEL (fatal, error, warn, info, debug, trace, silent)."
  type        = string
  default     = "info"
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention (days)."
  type        = number
  default     = 30
}

variable "certificate_arn" {
  description = "ACM certificate ARN for HTTPS on the load balancer; null serves HTTP only (trials)."
  type        = string
  default     = null
}

variable "allowed_ingress_cidrs" {
  description = "CIDR blocks allowed to reach the load balancer."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "alb_idle_timeout" {
  description = "Load balancer idle timeout (s): long enough for SSE streams between heartbeats; 3600 keeps quiet streams open."
  type        = number
  default     = 3600
}

variable "api_deregistration_delay" {
  description = "Seconds a stopping api task keeps serving in-flight requests before the load balancer cuts them."
  type        = number
  default     = 30
}

variable "api_cpu" {
  description = "CPU units per api task (1024 = 1 vCPU)."
  type        = number
  default     = 512
}

variable "api_memory" {
  description = "Memory per api task (MiB)."
  type        = number
  default     = 1024
}

variable "api_min_count" {
  description = "Fewest api tasks (2 for zone redundancy)."
  type        = number
  default     = 2
}

variable "api_max_count" {
  description = "Most api tasks."
  type        = number
  default     = 6
}

variable "worker_launch_type" {
  description = "EC2 (recommended: the sandbox gets the SYS_ADMIN it needs) or FARGATE (only with worker_sandbox = \"none\")."
  type        = string
  default     = "EC2"
}

variable "worker_sandbox" {
  description = "SANDBOX for workers: bwrap, or none to run repository commands unsandboxed (explicit risk; required on Fargate)."
  type        = string
  default     = "bwrap"
}

variable "worker_privileged" {
  description = "Run worker containers privileged (last resort if SYS_ADMIN is not enough on a custom AMI)."
  type        = bool
  default     = false
}

variable "worker_cpu" {
  description = "CPU units per worker task."
  type        = number
  default     = 2048
}

variable "worker_memory" {
  description = "Memory per worker task (MiB)."
  type        = number
  default     = 8192
}

variable "worker_concurrency" {
  description = "WORKER_CONCURRENCY: jobs one worker task runs at once."
  type        = number
  default     = 4
}

variable "worker_drain_timeout_ms" {
  description = "WORKER_DRAIN_TIMEOUT_MS: grace for running jobs on SIGTERM (below the 120 s ECS stop timeout)."
  type        = number
  default     = 90000
}

variable "worker_min_count" {
  description = "Fewest worker tasks."
  type        = number
  default     = 1
}

variable "worker_max_count" {
  description = "Most worker tasks."
  type        = number
  default     = 10
}

variable "worker_backlog_target" {
  description = "Queued jobs per running worker task that autoscaling aims for (WORKER_CONCURRENCY is a good start)."
  type        = number
  default     = 4
}

variable "worker_ephemeral_storage_gib" {
  description = "Fargate workers only: task storage for workspaces (21-200 GiB)."
  type        = number
  default     = 50
}

variable "worker_instance_type" {
  description = "EC2 workers only: container instance type (one worker task per 2 vCPU / 8 GiB by default)."
  type        = string
  default     = "m6i.xlarge"
}

variable "worker_instance_min" {
  description = "EC2 workers only: fewest container instances."
  type        = number
  default     = 1
}

variable "worker_instance_max" {
  description = "EC2 workers only: most container instances."
  type        = number
  default     = 6
}

variable "worker_instance_volume_gib" {
  description = "EC2 workers only: root volume per instance (images, workspaces)."
  type        = number
  default     = 100
}

variable "queue_depth_namespace" {
  description = "CloudWatch namespace of the queue-depth metric the worker scales on."
  type        = string
  default     = "AICT"
}

variable "queue_depth_metric_name" {
  description = "CloudWatch metric name of the queue depth (from the Prometheus gauge aict_queue_depth)."
  type        = string
  default     = "QueueDepth"
}

variable "enable_queue_depth_publisher" {
  description = "Run the CloudWatch agent sidecar that publishes the queue depth from /metrics."
  type        = bool
  default     = true
}

variable "metrics_token" {
  description = "API token with read scope for the queue-depth sidecar's scrape of /metrics, if /metrics requires a token (create it with POST /api/tokens after the first start). Ends up in the task definition."
  type        = string
  default     = null
  sensitive   = true
}

variable "cloudwatch_agent_image" {
  description = "CloudWatch agent image for the queue-depth sidecar (pin a current release)."
  type        = string
  default     = "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300049.1b929"
}
