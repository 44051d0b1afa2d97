# Secrets Manager entries the tasks read at start-up (ECS `secrets`, one environment variable each).
# DATABASE_URL is written by Terraform (it knows the generated password); the others are created empty and
# filled by the operator, so their values never enter the Terraform state:
#   aws secretsmanager put-secret-value --secret-id <name>/ANTHROPIC_API_KEY --secret-string '...'

resource "aws_secretsmanager_secret" "database_url" {
  name                    = "${var.name}/DATABASE_URL"
  description             = "PostgreSQL URL of the AI Coding Team database"
  kms_key_id              = var.kms_key_id
  recovery_window_in_days = var.recovery_window_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "database_url" {
  secret_id     = aws_secretsmanager_secret.database_url.id
  secret_string = var.database_url
}

resource "aws_secretsmanager_secret" "operator" {
  for_each                = toset(var.operator_secret_names)
  name                    = "${var.name}/${each.value}"
  description             = "AI Coding Team: ${each.value} (value set by the operator)"
  kms_key_id              = var.kms_key_id
  recovery_window_in_days = var.recovery_window_days
  tags                    = var.tags
}
