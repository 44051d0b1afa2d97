# The worker role: claims jobs, runs the agents, and runs repository commands (tests, lint) under bubblewrap.
#
# bubblewrap needs to create namespaces and mount a private /proc. Fargate grants no SYS_ADMIN and no
# seccomp/AppArmor override, so bwrap cannot work there. The recommended layout (worker_launch_type = "EC2")
# runs workers on EC2 container instances of the same cluster, as root in the container with CAP_SYS_ADMIN
# (and CAP_NET_ADMIN, to bring up loopback in the sandbox's empty network namespace);
# Docker's default seccomp profile allows the namespace and mount calls to a container holding SYS_ADMIN,
# and the ECS-optimized Amazon Linux 2023 AMI enforces no AppArmor profile. The sandbox then drops every
# command to uid 65534 with no capabilities, no network and resource limits.
#
# worker_launch_type = "FARGATE" is accepted only with worker_sandbox = "none": repository commands then run
# unsandboxed inside the task (they can read the task's environment, secrets included, and reach the network).

locals {
  worker_on_ec2 = var.worker_launch_type == "EC2"

  worker_environment = merge(local.common_environment, {
    WORKER_CONCURRENCY = tostring(var.worker_concurrency)
    SANDBOX            = var.worker_sandbox
  })

  # EC2: root in the container (bwrap without a user namespace; commands drop to uid 65534) with SYS_ADMIN and
  # NET_ADMIN on top of Docker's defaults. Fargate (SANDBOX=none only): the image's unprivileged user.
  worker_user              = local.worker_on_ec2 ? "0" : "10001"
  worker_capabilities_add  = local.worker_on_ec2 ? ["SYS_ADMIN", "NET_ADMIN"] : []
  worker_capabilities_drop = local.worker_on_ec2 ? [] : ["ALL"]
}

resource "aws_ecs_task_definition" "worker" {
  family                   = "${var.name}-worker"
  requires_compatibilities = [var.worker_launch_type]
  network_mode             = "awsvpc"
  cpu                      = var.worker_cpu
  memory                   = var.worker_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # DATA_DIR: workspaces of running jobs. Task-scoped: a job whose task dies is resumed by another worker,
  # which rebuilds the workspace from the checkpointed diff.
  volume {
    name = "data"
  }

  dynamic "ephemeral_storage" {
    for_each = local.worker_on_ec2 ? [] : [1]
    content {
      size_in_gib = var.worker_ephemeral_storage_gib
    }
  }

  container_definitions = jsonencode([{
    name      = "worker"
    image     = var.image
    essential = true
    command   = ["--role", "worker"]

    environment = [for key in sort(keys(local.worker_environment)) : { name = key, value = local.worker_environment[key] }]
    secrets     = local.secrets

    mountPoints     = [{ sourceVolume = "data", containerPath = local.data_dir, readOnly = false }]
    user            = local.worker_user
    privileged      = local.worker_on_ec2 && var.worker_privileged
    linuxParameters = { capabilities = { add = local.worker_capabilities_add, drop = local.worker_capabilities_drop } }
    # ECS sends SIGTERM, waits stopTimeout, then SIGKILL: WORKER_DRAIN_TIMEOUT_MS stays below it.
    stopTimeout = 120

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
        awslogs-stream-prefix = "worker"
      }
    }
  }])

  tags = var.tags
}

resource "aws_ecs_service" "worker" {
  name                               = "worker"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.worker.arn
  desired_count                      = var.worker_min_count
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  propagate_tags                     = "SERVICE"

  capacity_provider_strategy {
    capacity_provider = local.worker_on_ec2 ? aws_ecs_capacity_provider.worker[0].name : "FARGATE"
    weight            = 1
    base              = 0
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.worker.id]
    assign_public_ip = false
  }

  lifecycle {
    ignore_changes = [desired_count]

    precondition {
      condition     = local.worker_on_ec2 || var.worker_sandbox == "none"
      error_message = "Workers on Fargate cannot run bubblewrap: use worker_launch_type = \"EC2\", or set worker_sandbox = \"none\" to accept unsandboxed repository commands."
    }
  }

  depends_on = [aws_ecs_cluster_capacity_providers.this]
  tags       = var.tags
}
