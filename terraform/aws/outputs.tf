output "url" {
  description = "Base URL of the service."
  value       = "${var.certificate_arn == null ? "http" : "https"}://${module.compute.alb_dns_name}"
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.compute.alb_dns_name
}

output "cluster_name" {
  description = "ECS cluster (aws ecs update-service --cluster ... for manual operations)."
  value       = module.compute.cluster_name
}

output "log_group_name" {
  description = "CloudWatch log group of the services."
  value       = module.compute.log_group_name
}

output "database_address" {
  description = "Private host name of the RDS instance."
  value       = module.database.address
}

output "database_instance_identifier" {
  description = "RDS instance identifier (snapshots, restores)."
  value       = module.database.instance_identifier
}

output "secret_arns" {
  description = "Secrets the tasks read; set the operator secrets with aws secretsmanager put-secret-value."
  value       = module.secrets.secret_arns
}
