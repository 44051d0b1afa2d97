# Worker autoscaling on queue depth. The api task's CloudWatch agent sidecar publishes the Prometheus gauge
# aict_queue_depth (jobs waiting to be claimed) as <queue_depth_namespace>/<queue_depth_metric_name>
# (default AICT/QueueDepth) with the dimensions Service = var.name and mode. Target tracking keeps
# "queued jobs per running worker task" near worker_backlog_target (metric math over the queue depth and
# Container Insights' RunningTaskCount).

resource "aws_appautoscaling_target" "worker" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.worker.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.worker_min_count
  max_capacity       = var.worker_max_count
}

locals {
  # The gauge aict_queue_depth is labelled by mode; the sidecar publishes one series per mode.
  job_modes = ["mechanic", "genius"]
  # Every api task publishes the same values (read from the database): Maximum dedups them, the modes add up.
  queue_depth_sum = join(" + ", [for mode in local.job_modes : "FILL(depth_${mode}, 0)"])
}

resource "aws_appautoscaling_policy" "worker_backlog" {
  name               = "${var.name}-worker-backlog"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.worker_backlog_target
    scale_out_cooldown = 60
    # Scale in slowly: a stopping worker hands its running jobs back after WORKER_DRAIN_TIMEOUT_MS.
    scale_in_cooldown = 300

    customized_metric_specification {
      dynamic "metrics" {
        for_each = local.job_modes
        content {
          id          = "depth_${metrics.value}"
          label       = "Jobs waiting to be claimed (${metrics.value})"
          return_data = false
          metric_stat {
            stat = "Maximum"
            metric {
              namespace   = var.queue_depth_namespace
              metric_name = var.queue_depth_metric_name
              dimensions {
                name  = "Service"
                value = var.name
              }
              dimensions {
                name  = "mode"
                value = metrics.value
              }
            }
          }
        }
      }

      metrics {
        id          = "workers"
        label       = "Running worker tasks"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"
            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.this.name
            }
            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.worker.name
            }
          }
        }
      }

      metrics {
        id          = "backlog"
        label       = "Queued jobs per worker task"
        expression  = "IF(workers > 0, (${local.queue_depth_sum}) / workers, ${local.queue_depth_sum})"
        return_data = true
      }
    }
  }
}

# Alarm when the queue stays deep at the ceiling: scaling can do no more (raise worker_max_count or
# worker_instance_max, or look for stuck workers).
resource "aws_cloudwatch_metric_alarm" "queue_backlog_at_max" {
  alarm_name          = "${var.name}-queue-backlog-at-max"
  alarm_description   = "Queue depth above worker_backlog_target x worker_max_count for 15 minutes"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.worker_backlog_target * var.worker_max_count
  evaluation_periods  = 3
  treat_missing_data  = "notBreaching"
  tags                = var.tags

  dynamic "metric_query" {
    for_each = local.job_modes
    content {
      id = "depth_${metric_query.value}"
      metric {
        namespace   = var.queue_depth_namespace
        metric_name = var.queue_depth_metric_name
        dimensions  = { Service = var.name, mode = metric_query.value }
        stat        = "Maximum"
        period      = 300
      }
    }
  }

  metric_query {
    id          = "depth"
    expression  = local.queue_depth_sum
    label       = "Jobs waiting to be claimed"
    return_data = true
  }
}

# api: CPU target tracking between api_min_count and api_max_count.
resource "aws_appautoscaling_target" "api" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.api.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.api_min_count
  max_capacity       = var.api_max_count
}

resource "aws_appautoscaling_policy" "api_cpu" {
  name               = "${var.name}-api-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  resource_id        = aws_appautoscaling_target.api.resource_id
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = 60
    scale_out_cooldown = 60
    scale_in_cooldown  = 300

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
