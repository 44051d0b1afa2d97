output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "alb_dns_name" {
  description = "DNS name of the load balancer (point a CNAME or alias record at it)."
  value       = aws_lb.api.dns_name
}

output "alb_zone_id" {
  description = "Hosted zone of the load balancer (for a Route 53 alias record)."
  value       = aws_lb.api.zone_id
}

output "api_service_name" {
  description = "ECS service of the api role."
  value       = aws_ecs_service.api.name
}

output "worker_service_name" {
  description = "ECS service of the worker role."
  value       = aws_ecs_service.worker.name
}

output "log_group_name" {
  description = "CloudWatch log group of both services (JSON lines)."
  value       = aws_cloudwatch_log_group.service.name
}

output "api_security_group_id" {
  description = "Security group of the api tasks."
  value       = aws_security_group.api.id
}

output "worker_security_group_id" {
  description = "Security group of the worker tasks."
  value       = aws_security_group.worker.id
}
