# AI Coding Team on AWS: VPC, RDS PostgreSQL, Secrets Manager, and ECS services for the api role (Fargate,
# behind an ALB) and the worker role (EC2 capacity by default, autoscaled on queue depth).

locals {
  tags = merge({ Project = "ai-coding-team", ManagedBy = "terraform" }, var.tags)
}

module "network" {
  source             = "./modules/network"
  name               = var.name
  vpc_cidr           = var.vpc_cidr
  az_count           = var.az_count
  single_nat_gateway = var.single_nat_gateway
  tags               = local.tags
}

module "database" {
  source                   = "./modules/database"
  name                     = var.name
  vpc_id                   = module.network.vpc_id
  subnet_ids               = module.network.private_subnet_ids
  engine_version           = var.db_engine_version
  instance_class           = var.db_instance_class
  allocated_storage_gb     = var.db_allocated_storage_gb
  max_allocated_storage_gb = var.db_max_allocated_storage_gb
  multi_az                 = var.db_multi_az
  backup_retention_days    = var.db_backup_retention_days
  backup_window            = var.db_backup_window
  maintenance_window       = var.db_maintenance_window
  deletion_protection      = var.db_deletion_protection
  kms_key_id               = var.kms_key_arn
  database_name            = var.db_name
  username                 = var.db_username
  tags                     = local.tags
}

module "secrets" {
  source                = "./modules/secrets"
  name                  = var.name
  database_url          = "postgres://${module.database.username}:${module.database.password}@${module.database.address}:${module.database.port}/${module.database.database_name}?${var.database_url_options}"
  operator_secret_names = var.operator_secret_names
  kms_key_id            = var.kms_key_arn
  recovery_window_days  = var.secret_recovery_window_days
  tags                  = local.tags
}

module "compute" {
  source                       = "./modules/compute"
  name                         = var.name
  region                       = var.region
  vpc_id                       = module.network.vpc_id
  vpc_cidr                     = module.network.vpc_cidr
  public_subnet_ids            = module.network.public_subnet_ids
  private_subnet_ids           = module.network.private_subnet_ids
  database_security_group_id   = module.database.security_group_id
  image                        = var.image
  secret_arns                  = module.secrets.secret_arns
  secrets_kms_key_arn          = var.kms_key_arn
  environment                  = var.environment
  log_level                    = var.log_level
  log_retention_days           = var.log_retention_days
  certificate_arn              = var.certificate_arn
  allowed_ingress_cidrs        = var.allowed_ingress_cidrs
  alb_idle_timeout             = var.alb_idle_timeout
  api_deregistration_delay     = var.api_deregistration_delay
  api_cpu                      = var.api_cpu
  api_memory                   = var.api_memory
  api_min_count                = var.api_min_count
  api_max_count                = var.api_max_count
  worker_launch_type           = var.worker_launch_type
  worker_sandbox               = var.worker_sandbox
  worker_privileged            = var.worker_privileged
  worker_cpu                   = var.worker_cpu
  worker_memory                = var.worker_memory
  worker_concurrency           = var.worker_concurrency
  worker_drain_timeout_ms      = var.worker_drain_timeout_ms
  worker_min_count             = var.worker_min_count
  worker_max_count             = var.worker_max_count
  worker_backlog_target        = var.worker_backlog_target
  worker_ephemeral_storage_gib = var.worker_ephemeral_storage_gib
  worker_instance_type         = var.worker_instance_type
  worker_instance_min          = var.worker_instance_min
  worker_instance_max          = var.worker_instance_max
  worker_instance_volume_gib   = var.worker_instance_volume_gib
  queue_depth_namespace        = var.queue_depth_namespace
  queue_depth_metric_name      = var.queue_depth_metric_name
  enable_queue_depth_publisher = var.enable_queue_depth_publisher
  metrics_token                = var.metrics_token
  cloudwatch_agent_image       = var.cloudwatch_agent_image
  tags                         = local.tags
}
