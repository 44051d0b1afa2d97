output "secret_arns" {
  description = "Environment variable name => secret ARN, for every secret the tasks read."
  value = merge(
    { DATABASE_URL = aws_secretsmanager_secret.database_url.arn },
    { for key, secret in aws_secretsmanager_secret.operator : key => secret.arn },
  )
}
