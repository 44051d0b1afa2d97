# EC2 capacity for the worker service (worker_launch_type = "EC2"): an Auto Scaling group of ECS-optimized
# Amazon Linux 2023 instances in the private subnets, managed by an ECS capacity provider that adds and
# removes instances as the worker service's task count changes.

data "aws_ssm_parameter" "ecs_ami" {
  count = local.worker_on_ec2 ? 1 : 0
  name  = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
}

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "instance" {
  count              = local.worker_on_ec2 ? 1 : 0
  name               = "${var.name}-ecs-instance"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "instance_ecs" {
  count      = local.worker_on_ec2 ? 1 : 0
  role       = aws_iam_role.instance[0].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
}

resource "aws_iam_role_policy_attachment" "instance_ssm" {
  count      = local.worker_on_ec2 ? 1 : 0
  role       = aws_iam_role.instance[0].name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "instance" {
  count = local.worker_on_ec2 ? 1 : 0
  name  = "${var.name}-ecs-instance"
  role  = aws_iam_role.instance[0].name
}

resource "aws_security_group" "instance" {
  count       = local.worker_on_ec2 ? 1 : 0
  name        = "${var.name}-worker-instances"
  description = "ECS container instances of the workers: no ingress"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-worker-instances" })
}

resource "aws_vpc_security_group_egress_rule" "instance_all" {
  count             = local.worker_on_ec2 ? 1 : 0
  security_group_id = aws_security_group.instance[0].id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
  description       = "ECS agent, image registry"
}

resource "aws_launch_template" "worker" {
  count                  = local.worker_on_ec2 ? 1 : 0
  name_prefix            = "${var.name}-worker-"
  image_id               = data.aws_ssm_parameter.ecs_ami[0].value
  instance_type          = var.worker_instance_type
  vpc_security_group_ids = [aws_security_group.instance[0].id]

  iam_instance_profile {
    arn = aws_iam_instance_profile.instance[0].arn
  }

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = var.worker_instance_volume_gib
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  user_data = base64encode(<<-EOT
    #!/bin/bash
    cat >> /etc/ecs/ecs.config <<'CONFIG'
    ECS_CLUSTER=${aws_ecs_cluster.this.name}
    ECS_ENABLE_TASK_IAM_ROLE=true
    ECS_AWSVPC_BLOCK_IMDS=true
    ECS_CONTAINER_STOP_TIMEOUT=120s
    CONFIG
  EOT
  )

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = "${var.name}-worker" })
  }

  tags = var.tags
}

resource "aws_autoscaling_group" "worker" {
  count                 = local.worker_on_ec2 ? 1 : 0
  name_prefix           = "${var.name}-worker-"
  vpc_zone_identifier   = var.private_subnet_ids
  min_size              = var.worker_instance_min
  max_size              = var.worker_instance_max
  protect_from_scale_in = true

  launch_template {
    id      = aws_launch_template.worker[0].id
    version = "$Latest"
  }

  tag {
    key                 = "AmazonECSManaged"
    value               = "true"
    propagate_at_launch = true
  }

  lifecycle {
    ignore_changes = [desired_capacity]
  }
}

resource "aws_ecs_capacity_provider" "worker" {
  count = local.worker_on_ec2 ? 1 : 0
  name  = "${var.name}-worker"

  auto_scaling_group_provider {
    auto_scaling_group_arn         = aws_autoscaling_group.worker[0].arn
    managed_termination_protection = "ENABLED"

    managed_scaling {
      status                    = "ENABLED"
      target_capacity           = 100
      minimum_scaling_step_size = 1
      maximum_scaling_step_size = 4
    }
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = concat(["FARGATE", "FARGATE_SPOT"], local.worker_on_ec2 ? [aws_ecs_capacity_provider.worker[0].name] : [])

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}
