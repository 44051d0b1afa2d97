# The api role on Fargate: HTTP, SSE, webhooks. It runs no repository commands, so it needs no sandbox
# privileges: non-root (the image's uid 10001), read-only root file system, no added capabilities.

locals {
  queue_depth_prometheus_config = yamlencode({
    global = { scrape_interval = "30s", scrape_timeout = "10s" }
    scrape_configs = [merge({
      job_name       = "aict"
      metrics_path   = "/metrics"
      static_configs = [{ targets = ["127.0.0.1:${local.port}"], labels = { Service = var.name } }]
      },
      # Only when a token is given (a for expression, so both cases have one type).
      { for key, value in { authorization = { type = "Bearer", credentials = var.metrics_token } } : key => value if var.metrics_token != null },
      {
        metric_relabel_configs = [
          { source_labels = ["__name__"], regex = "aict_queue_depth", action = "keep" },
          { source_labels = ["__name__"], regex = "aict_queue_depth", target_label = "__name__", replacement = var.queue_depth_metric_name },
        ]
    })]
  })

  queue_depth_agent_config = jsonencode({
    agent = { region = var.region }
    logs = {
      force_flush_interval = 15
      metrics_collected = {
        prometheus = {
          cluster_name           = var.name
          log_group_name         = "/aict/${var.name}/prometheus"
          prometheus_config_path = "env:PROMETHEUS_CONFIG_CONTENT"
          emf_processor = {
            metric_namespace = var.queue_depth_namespace
            metric_declaration = [{
              source_labels    = ["Service"]
              label_matcher    = "^${var.name}$"
              dimensions       = [["Service", "mode"]]
              metric_selectors = ["^${var.queue_depth_metric_name}$"]
            }]
          }
        }
      }
    }
  })

  queue_depth_sidecar = var.enable_queue_depth_publisher ? [{
    name      = "queue-depth-publisher"
    image     = var.cloudwatch_agent_image
    essential = false
    environment = [
      { name = "PROMETHEUS_CONFIG_CONTENT", value = local.queue_depth_prometheus_config },
      { name = "CW_CONFIG_CONTENT", value = local.queue_depth_agent_config },
    ]
    dependsOn = [{ containerName = "api", condition = "HEALTHY" }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "queue-depth"
      }
    }
  }] : []
}

resource "aws_ecs_task_definition" "api" {
  family                   = "${var.name}-api"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.api_cpu
  memory                   = var.api_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "data"
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode(concat([{
    name      = "api"
    image     = var.image
    essential = true
    command   = ["--role", "api"]

    portMappings = [{ containerPort = local.port, protocol = "tcp" }]

    environment = [for key in sort(keys(local.common_environment)) : { name = key, value = local.common_environment[key] }]
    secrets     = local.secrets

    readonlyRootFilesystem = true
    mountPoints = [
      { sourceVolume = "data", containerPath = local.data_dir, readOnly = false },
      { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
    ]
    linuxParameters = { capabilities = { drop = ["ALL"] } }
    stopTimeout     = 30

    healthCheck = {
      command     = local.health_check_command
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 60
    }

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "api"
      }
    }
  }], local.queue_depth_sidecar))

  tags = var.tags
}

resource "aws_ecs_service" "api" {
  name                               = "api"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.api.arn
  desired_count                      = var.api_min_count
  launch_type                        = "FARGATE"
  health_check_grace_period_seconds  = 120
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  propagate_tags                     = "SERVICE"

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.api.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.api.arn
    container_name   = "api"
    container_port   = local.port
  }

  lifecycle {
    # Autoscaling owns the task count after creation.
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.http]
  tags       = var.tags
}
