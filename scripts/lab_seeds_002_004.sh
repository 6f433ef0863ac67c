# Sourced by scripts/lab.sh: writes the seed drills' fleet files (examples/seeds/*/fleet.toml)
# for the lab's ports and directory. Paths inside the repository are relative: run meridian
# from the repository's root, as each drill's README says.

write_seed_fleets_002_004() { # latency_zone hc1 hc2 hc3 aurora_arn_use1 aurora_arn_euw1 aurora_arn_apse1
    mkdir -p "$lab/seed-002"
    cat >"$seed002_dir/fleet.toml" <<TOML
# Seed 002's release on the lab (written by scripts/lab.sh up): Azure Traffic Manager
# (stand-in), one AKS-like cluster per region (the Kubernetes stand-in's us-east-1 and
# eu-west-1 clusters) with the Helm release aragora, Terraform stood in for by
# terraform-plan.sh / terraform-apply.sh writing a real plan file. See README.md here.
#   source <(scripts/lab.sh env)
#   cargo run -- -c examples/seeds/002-release-with-plan-approval/fleet.toml rollout start release --param digest=sha256:... --reason CHG-1

[fleet]
name = "seed-002"
description = "Seed 002: per region plan -> approval -> apply -> Helm deploy -> synthetic checks -> 15m green"

[policy]
health_gate = "1m"
approval_expiry = "30m"

[traffic]
provider = "azure-traffic-manager"
subscription_id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
resource_group = "rg-contoso-global"
profile = "contoso-tm"
endpoint_url = "https://127.0.0.1:$az_port"
authority_host = "https://127.0.0.1:$az_port"
ca_file = "$lab/az-tls/ca.pem"
credential = "environment"
tenant_id = "11111111-2222-3333-4444-555555555555"
client_id = "66666666-7777-8888-9999-000000000000"
client_secret_env = "LAB_AZURE_SECRET"
timeout = "5s"

# The synthetic checks run here as real processes; their output is kept as evidence.
[runner]
provider = "shell"
workdir = "$lab/seed-002"
environment = "prd"
timeout = "2m"

[probe_defaults]
timeout = "2s"

[[regions]]
id = "eastus"
role = "primary"
steady_weight = 70
endpoints = ["http://127.0.0.1:$http_port/healthz", "http://127.0.0.1:$http_port/health/ready"]
health = [{ provider = "http" }, { provider = "azure-traffic-manager" }]
cluster = { context = "us-east-1", kubeconfig = "$lab/kubeconfig" }

[[regions]]
id = "westeurope"
role = "secondary"
steady_weight = 30
endpoints = ["http://127.0.0.1:$((http_port + 1))/healthz", "http://127.0.0.1:$((http_port + 1))/health/ready"]
health = [{ provider = "http" }, { provider = "azure-traffic-manager" }]
cluster = { context = "eu-west-1", kubeconfig = "$lab/kubeconfig" }

# The service, installed by Helm itself in both clusters (release aragora).
[[tenants]]
id = "aragora"
environment = "prd"
regions = ["eastus", "westeurope"]
helm = { provider = "helm", release = "aragora", namespace = "aragora", binary = "tests/servers/helm", chart = "examples/seeds/002-release-with-plan-approval/chart", deploy_timeout = "2m", rollback_timeout = "2m" }

# Post-deploy verification: synthetic checks and a smoke API test against the region's service.
[[phases]]
id = "synthetic-checks"
name = "Synthetic checks"
steps = [
  { name = "ready", run = ["python3", "-c", "import sys, urllib.request; u = {'eastus': 'http://127.0.0.1:$http_port', 'westeurope': 'http://127.0.0.1:$((http_port + 1))'}[sys.argv[1]]; r = urllib.request.urlopen(u + '/health/ready', timeout=2); print(r.status, r.read().decode())", "{region}"], timeout = "10s" },
  { name = "smoke api", run = ["python3", "-c", "import sys, urllib.request; u = {'eastus': 'http://127.0.0.1:$http_port', 'westeurope': 'http://127.0.0.1:$((http_port + 1))'}[sys.argv[1]]; r = urllib.request.urlopen(u + '/healthz', timeout=2); print(r.status, r.read().decode())", "{region}"], timeout = "10s" },
]

# Seed 002's flow: Traffic Manager 90/10 during the release; per region (eastus first) a
# Terraform plan kept as an artifact, a second person approving that exact plan, the apply
# of exactly those bytes, the Helm deploy with the built image digest (its rendered diff in
# the plan and the audit log), synthetic checks, 15 minutes green; then 70/30 again.
[[rollouts]]
id = "release"
name = "Release: plan, approve, apply, deploy, verify per region; eastus first"
params = ["digest"]
steps = [
  { weights = { "eastus" = 90, "westeurope" = 10 }, for = "3h" },
  { gate = "command", run = "sh examples/seeds/002-release-with-plan-approval/terraform-plan.sh prd eastus $lab/seed-002/plans", artifact = { name = "tfplan", path = "$lab/seed-002/plans/eastus.tfplan", text = "$lab/seed-002/plans/eastus.txt" } },
  { gate = "approval", artifact = "tfplan" },
  { gate = "command", run = "sh examples/seeds/002-release-with-plan-approval/terraform-apply.sh eastus $lab/seed-002/plans", uses = "tfplan" },
  { gate = "healthy", region = "eastus", for = "1m" },
  { deploy = "aragora", region = "eastus", set = { "image.digest" = "{digest}" } },
  { phase = "synthetic-checks", region = "eastus" },
  { gate = "healthy", region = "eastus", for = "15m" },
  { gate = "command", run = "sh examples/seeds/002-release-with-plan-approval/terraform-plan.sh prd westeurope $lab/seed-002/plans", artifact = { name = "tfplan", path = "$lab/seed-002/plans/westeurope.tfplan", text = "$lab/seed-002/plans/westeurope.txt" } },
  { gate = "approval", artifact = "tfplan" },
  { gate = "command", run = "sh examples/seeds/002-release-with-plan-approval/terraform-apply.sh westeurope $lab/seed-002/plans", uses = "tfplan" },
  { gate = "healthy", region = "westeurope", for = "1m" },
  { deploy = "aragora", region = "westeurope", set = { "image.digest" = "{digest}" } },
  { phase = "synthetic-checks", region = "westeurope" },
  { gate = "healthy", region = "westeurope", for = "15m" },
  { restore = "all" },
]
TOML
    cat >"$seed004_dir/fleet.toml" <<TOML
# Seed 004's whole-region failover on the lab (written by scripts/lab.sh up): Route 53
# latency records with health checks (moto), an Aurora PostgreSQL Global Database "orders"
# (moto) and an ElastiCache Redis Global Datastore "ldgnf-sessions" (the stand-in in
# tests/servers/elasticache_standin.py), each region's replication lag from CloudWatch
# (moto). See README.md here.
#   source <(scripts/lab.sh env)
#   cargo run -- -c examples/seeds/004-whole-region-failover/fleet.toml rollout start region-failover --param from=us-east-1 --param to=eu-west-1 --reason INC-1

[fleet]
name = "seed-004"
description = "Seed 004: latency-routed regions; Aurora and ElastiCache fail over together"

[policy]
rpo_budget = "5s"
rto = "15m"
health_gate = "1m"

[traffic]
provider = "route53"
hosted_zone_id = "$1"
record_name = "api.latency.lab.example"
endpoint_url = "http://127.0.0.1:$moto_port"
aws_region = "us-east-1"
change_timeout = "30s"

# Under latency routing a region has no weight: 1 means "in rotation" in steady state.
# Each region: the database (Aurora) first, then the cache (ElastiCache), each with its lag.
[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 1
health = { provider = "route53", health_check_id = "$2", source = "status" }
database = { provider = "aurora", global_cluster_id = "orders", cluster_arn = "$5", endpoint_url = "http://127.0.0.1:$moto_port", promote_timeout = "60s" }
lag = { provider = "cloudwatch", metric = "aurora-global", identifier = "orders-use1", endpoint_url = "http://127.0.0.1:$moto_port" }
cache = { provider = "elasticache-global", global_replication_group_id = "ldgnf-sessions", replication_group_id = "sessions-use1", endpoint_url = "http://127.0.0.1:$ec_port", promote_timeout = "60s", rpo = "10s", lag = { provider = "cloudwatch", metric = "elasticache-global", identifier = "sessions-use1", endpoint_url = "http://127.0.0.1:$moto_port" } }

[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 1
health = { provider = "route53", health_check_id = "$3", source = "status" }
database = { provider = "aurora", global_cluster_id = "orders", cluster_arn = "$6", endpoint_url = "http://127.0.0.1:$moto_port", promote_timeout = "60s" }
lag = { provider = "cloudwatch", metric = "aurora-global", identifier = "orders-euw1", endpoint_url = "http://127.0.0.1:$moto_port" }
cache = { provider = "elasticache-global", global_replication_group_id = "ldgnf-sessions", replication_group_id = "sessions-euw1", endpoint_url = "http://127.0.0.1:$ec_port", promote_timeout = "60s", rpo = "10s", lag = { provider = "cloudwatch", metric = "elasticache-global", identifier = "sessions-euw1", endpoint_url = "http://127.0.0.1:$moto_port" } }

[[regions]]
id = "ap-southeast-1"
role = "secondary"
steady_weight = 1
health = { provider = "route53", health_check_id = "$4", source = "status" }
database = { provider = "aurora", global_cluster_id = "orders", cluster_arn = "$7", endpoint_url = "http://127.0.0.1:$moto_port", promote_timeout = "60s" }
lag = { provider = "cloudwatch", metric = "aurora-global", identifier = "orders-apse1", endpoint_url = "http://127.0.0.1:$moto_port" }
cache = { provider = "elasticache-global", global_replication_group_id = "ldgnf-sessions", replication_group_id = "sessions-apse1", endpoint_url = "http://127.0.0.1:$ec_port", promote_timeout = "60s", rpo = "10s", lag = { provider = "cloudwatch", metric = "elasticache-global", identifier = "sessions-apse1", endpoint_url = "http://127.0.0.1:$moto_port" } }

# The drill: take a region out of latency rotation, promote both stores together in the
# next region (database first, then cache, each behind its lag gate and RPO), verify, and
# the recovery clock (RTO 15m) runs from the start until the fleet is healthy again.
[[rollouts]]
id = "region-failover"
name = "Whole-region failover: drain, promote Aurora and ElastiCache together, verify"
kind = "failover"
params = ["from", "to"]
steps = [
  { drain = "{from}" },
  { gate = "lag", region = "{to}", under = "5s" },
  { promote = "{to}" },
  { gate = "healthy", region = "{to}", for = "2m" },
]

# Back again once the old region is whole: promote it and put it back in rotation.
[[rollouts]]
id = "failback"
name = "Failback: promote the old region's stores, restore rotation"
kind = "recovery"
params = ["to"]
steps = [
  { gate = "lag", region = "{to}", under = "5s" },
  { promote = "{to}" },
  { restore = "all" },
  { gate = "healthy", region = "{to}", for = "2m" },
]
TOML
}
