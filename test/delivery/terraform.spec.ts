// terraform/, checked offline (providers cannot be downloaded here, so `terraform validate` runs in CI only):
// every .tf parses as HCL, every reference between root, modules, variables, locals, resources and outputs
// resolves, every variable is documented, and the settings the delivery promises are there.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, configKeys, read, tool } from './delivery-helpers';

type Block = Record<string, unknown>;
type Blocks = Record<string, Block[]>;

interface TfModule {
  dir: string;
  files: Record<string, string>;
  variables: Record<string, Block>;
  outputs: Record<string, Block>;
  locals: Set<string>;
  resources: Record<string, Block>; // "type.name"
  data: Record<string, Block>; // "type.name"
  modules: Record<string, Block>;
  required: Record<string, Block>;
  json: Record<string, unknown>[];
}

const TERRAFORM = join(ROOT, 'terraform');
const modules = new Map<string, TfModule>();

function tfDirs(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true });
  const here = entries.some((e) => e.isFile() && e.name.endsWith('.tf')) ? [dir] : [];
  return [...here, ...entries.filter((e) => e.isDirectory() && e.name !== '.terraform').flatMap((e) => tfDirs(join(dir, e.name)))];
}

async function load(dir: string): Promise<TfModule> {
  const module: TfModule = {
    dir,
    files: {},
    variables: {},
    outputs: {},
    locals: new Set(),
    resources: {},
    data: {},
    modules: {},
    required: {},
    json: [],
  };
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.tf'))) {
    const text = read(relative(ROOT, join(dir, file)));
    module.files[file] = text;
    const json = (await parse(file, text)) as Record<string, unknown>;
    module.json.push(json);
    const named = (key: string) => (json[key] ?? {}) as Record<string, Block[]>;
    for (const [name, [body]] of Object.entries(named('variable'))) module.variables[name] = body;
    for (const [name, [body]] of Object.entries(named('output'))) module.outputs[name] = body;
    for (const [name, [body]] of Object.entries(named('module'))) module.modules[name] = body;
    for (const locals of (json.locals ?? []) as Block[]) for (const key of Object.keys(locals)) module.locals.add(key);
    for (const [type, byName] of Object.entries((json.resource ?? {}) as Record<string, Blocks>)) {
      for (const [name, [body]] of Object.entries(byName)) module.resources[`${type}.${name}`] = body;
    }
    for (const [type, byName] of Object.entries((json.data ?? {}) as Record<string, Blocks>)) {
      for (const [name, [body]] of Object.entries(byName)) module.data[`${type}.${name}`] = body;
    }
    for (const terraform of (json.terraform ?? []) as Block[]) {
      for (const required of (terraform.required_providers ?? []) as Block[]) Object.assign(module.required, required);
    }
  }
  return module;
}

/** Every `${...}` expression in a parsed block (hcl2json renders expressions as interpolated strings). */
function expressions(value: unknown): string[] {
  if (typeof value === 'string') return value.includes('${') ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(expressions);
  if (value && typeof value === 'object') return Object.values(value).flatMap(expressions);
  return [];
}

const refs = (module: TfModule, pattern: RegExp) => [
  ...new Set(module.json.flatMap(expressions).flatMap((e) => [...e.matchAll(pattern)].map((m) => m.slice(1).join('.')))),
];
const root = () => modules.get(join(TERRAFORM, 'aws'))!;
const compute = () => modules.get(join(TERRAFORM, 'aws/modules/compute'))!;

beforeAll(async () => {
  for (const dir of tfDirs(TERRAFORM)) modules.set(dir, await load(dir));
}, 60_000);

describe('terraform: structure and references', () => {
  it('has the root stack and the network, database, secrets and compute modules, each parsing as HCL', () => {
    const dirs = [...modules.keys()].map((d) => relative(TERRAFORM, d)).sort();
    expect(dirs).toEqual(['aws', 'aws/modules/compute', 'aws/modules/database', 'aws/modules/network', 'aws/modules/secrets']);
    for (const module of modules.values()) expect(Object.keys(module.files).length).toBeGreaterThan(0);
  });

  it('documents every variable (description and type) and every output', () => {
    for (const module of modules.values()) {
      for (const [name, body] of Object.entries(module.variables)) {
        expect(
          typeof body.description === 'string' && body.description.length > 10,
          `${relative(ROOT, module.dir)}: variable ${name} has no description`,
        ).toBe(true);
        expect(body.type, `${relative(ROOT, module.dir)}: variable ${name} has no type`).toBeDefined();
      }
      for (const [name, body] of Object.entries(module.outputs)) expect(body.description, `output ${name}`).toBeTruthy();
    }
  });

  it('declares every var.*, local.*, resource and data source it references', () => {
    for (const module of modules.values()) {
      const where = relative(ROOT, module.dir);
      for (const v of refs(module, /\bvar\.([A-Za-z0-9_]+)/g)) expect(Object.keys(module.variables), `${where}: var.${v}`).toContain(v);
      for (const l of refs(module, /\blocal\.([A-Za-z0-9_]+)/g)) expect([...module.locals], `${where}: local.${l}`).toContain(l);
      for (const d of refs(module, /\bdata\.([a-z0-9_]+)\.([A-Za-z0-9_-]+)/g))
        expect(Object.keys(module.data), `${where}: data.${d}`).toContain(d);
      for (const r of refs(module, /(?<![.\w])((?:aws|random)_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)/g)) {
        expect(Object.keys(module.resources), `${where}: ${r}`).toContain(r);
      }
    }
  });

  it('passes each module exactly the variables it declares, all required ones included, and reads only outputs that exist', () => {
    for (const module of modules.values()) {
      for (const [name, call] of Object.entries(module.modules)) {
        const childDir = resolve(module.dir, String(call.source));
        const child = modules.get(childDir);
        expect(child, `module ${name}: source ${String(call.source)}`).toBeDefined();
        const args = Object.keys(call).filter((k) => !['source', 'version', 'count', 'for_each', 'providers', 'depends_on'].includes(k));
        for (const arg of args) expect(Object.keys(child!.variables), `module ${name} passes ${arg}`).toContain(arg);
        for (const [variable, body] of Object.entries(child!.variables)) {
          if (!('default' in body)) expect(args, `module ${name} must pass ${variable}`).toContain(variable);
        }
      }
      for (const ref of refs(module, /\bmodule\.([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)/g)) {
        const [name, output] = ref.split('.');
        expect(module.modules[name], `module.${name}`).toBeDefined();
        const child = modules.get(resolve(module.dir, String(module.modules[name].source)))!;
        expect(Object.keys(child.outputs), `module.${name}.${output}`).toContain(output);
      }
    }
  });

  it('pins the providers it uses (aws, random) in required_providers', () => {
    const required = root().required;
    expect(Object.keys(required).sort()).toEqual(['aws', 'random']);
    for (const module of modules.values()) {
      for (const key of [...Object.keys(module.resources), ...Object.keys(module.data)])
        expect(Object.keys(required)).toContain(key.split('_')[0]);
    }
    expect(String((required.aws as Block).version)).toMatch(/>=\s*5\./);
  });

  it('is formatted (terraform fmt -check) when terraform is installed', { timeout: 60_000 }, (ctx) => {
    const terraform = tool('terraform');
    if (!terraform) ctx.skip();
    const run = spawnSync(terraform!, ['fmt', '-check', '-recursive', '-diff'], { cwd: TERRAFORM, encoding: 'utf8' });
    expect(run.stdout).toBe('');
    expect(run.status).toBe(0);
  });
});

describe('terraform: what the delivery promises', () => {
  const resource = (module: TfModule, key: string) => {
    const body = module.resources[key];
    expect(body, key).toBeDefined();
    return body;
  };

  it('network: VPC with public and private subnets per zone and NAT for the private ones', () => {
    const network = modules.get(join(TERRAFORM, 'aws/modules/network'))!;
    for (const key of [
      'aws_vpc.this',
      'aws_subnet.public',
      'aws_subnet.private',
      'aws_nat_gateway.this',
      'aws_internet_gateway.this',
      'aws_route.private_nat',
    ])
      resource(network, key);
    expect(resource(network, 'aws_route.private_nat').nat_gateway_id).toBeDefined();
  });

  it('database: PostgreSQL 15, encrypted, backed up, private, reachable only from the services', () => {
    const database = modules.get(join(TERRAFORM, 'aws/modules/database'))!;
    const rds = resource(database, 'aws_db_instance.this');
    expect(rds.engine).toBe('postgres');
    expect(rds.storage_encrypted).toBe(true);
    expect(rds.publicly_accessible).toBe(false);
    expect(rds.skip_final_snapshot).toBe(false);
    expect(rds.backup_retention_period).toBe('${var.backup_retention_days}');
    expect(root().variables.db_engine_version.default).toBe('15');
    expect(Number(root().variables.db_backup_retention_days.default)).toBeGreaterThanOrEqual(7);
    expect(database.resources['aws_security_group.db'].ingress).toBeUndefined();
    const ingress = Object.entries(compute().resources).filter(
      ([key, body]) =>
        key.startsWith('aws_vpc_security_group_ingress_rule.') && body.security_group_id === '${var.database_security_group_id}',
    );
    expect(ingress.map(([, body]) => body.referenced_security_group_id).sort()).toEqual([
      '${aws_security_group.api.id}',
      '${aws_security_group.worker.id}',
    ]);
  });

  it('compute: api on Fargate behind an ALB (SSE idle timeout, /api/health/ready), worker without a load balancer', () => {
    expect(resource(compute(), 'aws_lb.api').idle_timeout).toBe('${var.alb_idle_timeout}');
    expect(Number(root().variables.alb_idle_timeout.default)).toBeGreaterThanOrEqual(3600);
    expect((resource(compute(), 'aws_lb_target_group.api').health_check as Block[])[0].path).toBe('/api/health/ready');
    const api = resource(compute(), 'aws_ecs_service.api');
    expect(api.launch_type).toBe('FARGATE');
    expect(api.load_balancer).toBeDefined();
    const worker = resource(compute(), 'aws_ecs_service.worker');
    expect(worker.load_balancer).toBeUndefined();
    expect(compute().files['api.tf']).toContain('command   = ["--role", "api"]');
    expect(compute().files['worker.tf']).toContain('command   = ["--role", "worker"]');
    expect(compute().files['main.tf']).toContain('/api/health/live');
  });

  it('compute: the worker gets the sandbox privileges on EC2 capacity, and Fargate only with SANDBOX=none', () => {
    expect(root().variables.worker_launch_type.default).toBe('EC2');
    expect(root().variables.worker_sandbox.default).toBe('bwrap');
    const worker = compute().files['worker.tf'];
    expect(worker).toMatch(/worker_capabilities_add\s+= local\.worker_on_ec2 \? \["SYS_ADMIN", "NET_ADMIN"\] : \[\]/);
    expect(worker).toMatch(/worker_user\s+= local\.worker_on_ec2 \? "0" : "10001"/);
    expect(worker).toContain('user            = local.worker_user');
    expect(worker).toMatch(/worker_sandbox == "none"/); // the precondition
    for (const key of ['aws_ecs_capacity_provider.worker', 'aws_autoscaling_group.worker', 'aws_launch_template.worker'])
      resource(compute(), key);
    expect(read('terraform/README.md')).toMatch(/Fargate[^\n]*SYS_ADMIN|SYS_ADMIN[^\n]*Fargate/);
  });

  it('compute: the worker scales on the queue-depth metric AICT/QueueDepth', () => {
    expect(root().variables.queue_depth_namespace.default).toBe('AICT');
    expect(root().variables.queue_depth_metric_name.default).toBe('QueueDepth');
    const policy = resource(compute(), 'aws_appautoscaling_policy.worker_backlog');
    expect(policy.policy_type).toBe('TargetTrackingScaling');
    expect(policy.resource_id).toBe('${aws_appautoscaling_target.worker.resource_id}');
    expect(resource(compute(), 'aws_appautoscaling_target.worker').resource_id).toContain('aws_ecs_service.worker.name');
    const spec = JSON.stringify(policy);
    expect(spec).toContain('${var.queue_depth_namespace}');
    expect(spec).toContain('${var.queue_depth_metric_name}');
    expect(compute().files['api.tf']).toContain('aict_queue_depth');
  });

  it('injects secrets from Secrets Manager under names the service reads, and plain settings it knows', () => {
    const keys = configKeys();
    const secretNames = ['DATABASE_URL', ...(root().variables.operator_secret_names.default as string[])];
    for (const name of ['DATABASE_URL', 'ANTHROPIC_API_KEY', 'AUTH_BOOTSTRAP_TOKEN', 'TRUTHPACK_SIGNING_KEY'])
      expect(secretNames).toContain(name);
    for (const name of secretNames) expect([...keys], name).toContain(name);
    const environment = [
      ...compute().files['main.tf'].matchAll(/^\s+([A-Z][A-Z0-9_]+)\s+= /gm),
      ...compute().files['worker.tf'].matchAll(/^\s+([A-Z][A-Z0-9_]+)\s+= /gm),
    ].map((m) => m[1]);
    expect(environment).toEqual(expect.arrayContaining(['HOST', 'PORT', 'DATA_DIR', 'WORKER_DRAIN_TIMEOUT_MS', 'SANDBOX', 'TRUST_PROXY']));
    for (const name of environment) expect([...keys], name).toContain(name);
  });

  it('logs to CloudWatch from every container', () => {
    resource(compute(), 'aws_cloudwatch_log_group.service');
    for (const file of ['api.tf', 'worker.tf']) expect(compute().files[file]).toContain('logDriver = "awslogs"');
  });

  it('lists every root variable in terraform/README.md', () => {
    const readme = read('terraform/README.md');
    for (const name of Object.keys(root().variables)) expect(readme, name).toContain(`\`${name}\``);
    expect(existsSync(join(TERRAFORM, 'aws/terraform.tfvars.example'))).toBe(true);
  });
});
