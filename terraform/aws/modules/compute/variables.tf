variable "name" {
  description = "Name prefix of every resource; also the value of the Service dimension of the queue-depth metric."
  type        = string
}

variable "region" {
  description = "AWS region (for the awslogs driver and the CloudWatch agent)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the services."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets of the Application Load Balancer."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Subnets of the api and worker tasks and of the worker container instances."
  type        = list(string)
}

variable "database_security_group_id" {
  description = "Security group of the database; ingress on 5432 is added from the api and worker security groups only."
  type        = string
}

variable "image" {
  description = "Container image of the service (the repository's Dockerfile), preferably pinned by digest."
  type        = string
}

variable "secret_arns" {
  description = "Environment variable name => Secrets Manager secret ARN, injected into api and worker containers."
  type        = map(string)
}

variable "secrets_kms_key_arn" {
  description = "Customer-managed KMS key of the secrets (the execution role may decrypt with it); null for the AWS-managed key."
  type        = string
  default     = null
}

variable "environment" {
  description = "Extra plain environment variables for api and worker (see the README's configuration table); secrets do not belong here."
  type        = map(string)
}

variable "log_level" {
  description = "LOG_LEVEL of the service."
  type        = string
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the service logs."
  type        = number
}

variable "certificate_arn" {
  description = "ACM certificate for the HTTPS listener; null serves plain HTTP on port 80 (only for trials)."
  type        = string
  default     = null
}

variable "allowed_ingress_cidrs" {
  description = "Client CIDR blocks allowed to reach the load balancer."
  type        = list(string)
}

variable "alb_idle_timeout" {
  description = "Seconds the load balancer keeps an idle connection; SSE streams send a heartbeat every SSE_HEARTBEAT_MS, keep this far above it."
  type        = number
}

variable "api_deregistration_delay" {
  description = "Seconds the load balancer drains a stopping api task (open SSE streams are closed then; clients resume with Last-Event-ID)."
  type        = number
}

variable "api_cpu" {
  description = "CPU units of one api task (1024 = 1 vCPU)."
  type        = number
}

variable "api_memory" {
  description = "Memory (MiB) of one api task."
  type        = number
}

variable "api_min_count" {
  description = "Fewest api tasks."
  type        = number
}

variable "api_max_count" {
  description = "Most api tasks (CPU target tracking scales between the bounds)."
  type        = number
}

variable "worker_launch_type" {
  description = "EC2 (recommended: container instances that grant the sandbox SYS_ADMIN) or FARGATE (no bubblewrap possible: requires worker_sandbox = \"none\")."
  type        = string

  validation {
    condition     = contains(["EC2", "FARGATE"], var.worker_launch_type)
    error_message = "worker_launch_type must be EC2 or FARGATE."
  }
}

variable "worker_sandbox" {
  description = "SANDBOX of the worker: bwrap (isolated test runs; needs EC2) or none (repository commands run unsandboxed; an explicit, documented risk)."
  type        = string

  validation {
    condition     = contains(["bwrap", "none"], var.worker_sandbox)
    error_message = "worker_sandbox must be bwrap or none."
  }
}

variable "worker_privileged" {
  description = "Run the worker container privileged. Last resort for hosts where SYS_ADMIN alone does not let bubblewrap mount; off by default."
  type        = bool
}

variable "worker_cpu" {
  description = "CPU units of one worker task."
  type        = number
}

variable "worker_memory" {
  description = "Memory (MiB) of one worker task; leave room for WORKER_CONCURRENCY sandboxed test runs (SANDBOX_MEMORY_MB each)."
  type        = number
}

variable "worker_concurrency" {
  description = "WORKER_CONCURRENCY: jobs one worker task runs at once."
  type        = number
}

variable "worker_drain_timeout_ms" {
  description = "WORKER_DRAIN_TIMEOUT_MS: on SIGTERM, time running jobs get before they are handed back. Must be below the ECS stop timeout (120 s)."
  type        = number

  validation {
    condition     = var.worker_drain_timeout_ms >= 0 && var.worker_drain_timeout_ms <= 110000
    error_message = "worker_drain_timeout_ms must be from 0 to 110000 (ECS kills the container 120 s after SIGTERM)."
  }
}

variable "worker_min_count" {
  description = "Fewest worker tasks."
  type        = number
}

variable "worker_max_count" {
  description = "Most worker tasks."
  type        = number
}

variable "worker_backlog_target" {
  description = "Target queued jobs per running worker task; the worker service scales so that queue depth / tasks stays near it."
  type        = number
}

variable "worker_ephemeral_storage_gib" {
  description = "Fargate only: task storage for DATA_DIR/workspaces (21 to 200 GiB)."
  type        = number
}

variable "worker_instance_type" {
  description = "EC2 only: instance type of the worker container instances."
  type        = string
}

variable "worker_instance_min" {
  description = "EC2 only: fewest container instances."
  type        = number
}

variable "worker_instance_max" {
  description = "EC2 only: most container instances (the capacity provider scales instances to fit the worker tasks)."
  type        = number
}

variable "worker_instance_volume_gib" {
  description = "EC2 only: root volume of a container instance (images and workspaces)."
  type        = number
}

variable "queue_depth_namespace" {
  description = "CloudWatch namespace of the queue-depth metric."
  type        = string
}

variable "queue_depth_metric_name" {
  description = "CloudWatch metric name of the queue depth (published from the Prometheus gauge aict_queue_depth)."
  type        = string
}

variable "enable_queue_depth_publisher" {
  description = "Run a CloudWatch agent sidecar in the api task that scrapes /metrics and publishes the queue depth. Turn off if another publisher writes the metric."
  type        = bool
}

variable "metrics_token" {
  description = "Bearer token (read scope) the sidecar sends to /metrics when the service requires one there; null sends none."
  type        = string
  default     = null
  sensitive   = true
}

variable "cloudwatch_agent_image" {
  description = "Image of the CloudWatch agent sidecar (pin a current release)."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
}
