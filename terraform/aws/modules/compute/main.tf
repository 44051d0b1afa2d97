# ECS cluster, logs, IAM and the settings both services share.

locals {
  port     = 3000
  data_dir = "/data"

  # Plain environment of both roles (secrets are injected separately from Secrets Manager).
  common_environment = merge({
    HOST                    = "0.0.0.0"
    PORT                    = tostring(local.port)
    DATA_DIR                = local.data_dir
    LOG_LEVEL               = var.log_level
    WORKER_DRAIN_TIMEOUT_MS = tostring(var.worker_drain_timeout_ms)
    # One proxy hop (the ALB): client addresses (rate limits, logs) come from X-Forwarded-For.
    TRUST_PROXY = "1"
  }, var.environment)

  secrets = [for key in sort(keys(var.secret_arns)) : { name = key, valueFrom = var.secret_arns[key] }]

  health_check_command = [
    "CMD", "node", "-e",
    "fetch('http://127.0.0.1:${local.port}/api/health/live').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))",
  ]
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  # Container Insights publishes ECS/ContainerInsights RunningTaskCount, used by worker autoscaling.
  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "service" {
  name              = "/aict/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

# --- IAM ------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# Execution role: pulls the image, writes logs, reads the secrets at task start.
resource "aws_iam_role" "execution" {
  name               = "${var.name}-ecs-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secrets" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = values(var.secret_arns)
  }

  dynamic "statement" {
    for_each = var.secrets_kms_key_arn == null ? [] : [var.secrets_kms_key_arn]
    content {
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  name   = "read-service-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets.json
}

# Task role: what the running containers may call. The service itself needs no AWS API; the CloudWatch
# agent sidecar publishes the queue depth (EMF log events become metrics).
resource "aws_iam_role" "task" {
  name               = "${var.name}-ecs-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "task_metrics" {
  statement {
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.queue_depth_namespace]
    }
  }

  statement {
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:DescribeLogGroups", "logs:PutRetentionPolicy"]
    resources = ["arn:aws:logs:${var.region}:*:log-group:/aict/${var.name}*"]
  }
}

resource "aws_iam_role_policy" "task_metrics" {
  name   = "publish-queue-depth"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task_metrics.json
}

# --- Security groups ----------------------------------------------------------------------------------------

resource "aws_security_group" "api" {
  name        = "${var.name}-api"
  description = "api tasks: HTTP from the load balancer only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-api" })
}

resource "aws_vpc_security_group_ingress_rule" "api_from_alb" {
  security_group_id            = aws_security_group.api.id
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  description                  = "HTTP from the ALB"
}

resource "aws_vpc_security_group_egress_rule" "api_all" {
  security_group_id = aws_security_group.api.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
  description       = "Database, model API, git remotes, AWS APIs"
}

resource "aws_security_group" "worker" {
  name        = "${var.name}-worker"
  description = "worker tasks: no ingress"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-worker" })
}

resource "aws_vpc_security_group_egress_rule" "worker_all" {
  security_group_id = aws_security_group.worker.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
  description       = "Database, model API, git remotes, AWS APIs"
}

# The database accepts the two services and nothing else.
resource "aws_vpc_security_group_ingress_rule" "db_from_api" {
  security_group_id            = var.database_security_group_id
  referenced_security_group_id = aws_security_group.api.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  description                  = "PostgreSQL from api tasks"
}

resource "aws_vpc_security_group_ingress_rule" "db_from_worker" {
  security_group_id            = var.database_security_group_id
  referenced_security_group_id = aws_security_group.worker.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  description                  = "PostgreSQL from worker tasks"
}
