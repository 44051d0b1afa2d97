output "address" {
  description = "Host name of the database endpoint."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the database endpoint."
  value       = aws_db_instance.this.port
}

output "database_name" {
  description = "Name of the application database."
  value       = aws_db_instance.this.db_name
}

output "username" {
  description = "Master user name."
  value       = aws_db_instance.this.username
}

output "password" {
  description = "Master password (also stored in the DATABASE_URL secret)."
  value       = random_password.master.result
  sensitive   = true
}

output "security_group_id" {
  description = "Security group of the database; the compute module adds ingress from the services."
  value       = aws_security_group.db.id
}

output "instance_identifier" {
  description = "RDS instance identifier (for snapshots and restores)."
  value       = aws_db_instance.this.identifier
}
