/**
 * The provisioning state machine at the SDK boundary, on both engines, with a scripted
 * `AwsApi`: the cases moto cannot produce (its CloudFormation creates synchronously and
 * never fails a stack): ROLLBACK_FAILED naming the stack and the failed resource, EKS's
 * "Managed Policies" refusal inside the stack, a refused CreateStack, a stack that never
 * finishes — and a restart in the middle, the second process finishing what the first
 * started without a second stack. The finalizer runs against the Kubernetes API simulator.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { openStore, now, type Store } from '../../../store/db.js';
import { Policy } from '../../identity/policy.js';
import { ENGINES, engineFixture } from '../../../../test/helpers/postgres.js';
import { startKubeApiServer, type KubeApiSimulator } from '../../../../test/kube-apiserver/index.js';
import { ClusterService } from '../server.js';
import { SecretBox } from '../secret_box.js';
import { AwsCallError, type AwsApi, type Stack, type StackEvent } from './aws.js';
import { EksProvisioner } from './provisioner.js';
import { RoleSessions } from './sessions.js';
import { EksSettingsService } from './settings.js';
import { loadTemplate } from './template.js';
import { stackNameFor } from './requests.js';
import { STACK_CREATE_TIMEOUT_MS } from './defaults.js';

const template = loadTemplate();
const logger = pino({ level: 'silent' });
const ROLE_A = 'arn:aws:iam::111122223333:role/eks-cluster-role';

/** An AWS that answers as scripted and records what was asked of it. */
class ScriptedAws implements AwsApi {
  stackStatus = 'CREATE_IN_PROGRESS';
  events: StackEvent[] = [];
  createStackError: AwsCallError | undefined;
  assumeRoleError: AwsCallError | undefined;
  readonly calls: string[] = [];
  constructor(private readonly kube: { url: string; caCert: string; token: string } | undefined) {}
  async assumeRole() {
    this.calls.push('sts:AssumeRole');
    if (this.assumeRoleError) throw this.assumeRoleError;
    return { credentials: { accessKeyId: 'ASIA', secretAccessKey: 's', sessionToken: 't' }, arn: 'arn:aws:sts::111122223333:assumed-role/b/s', expiration: undefined };
  }
  async createStack(_s: unknown, input: { name: string }) {
    this.calls.push(`cloudformation:CreateStack ${input.name}`);
    if (this.createStackError) throw this.createStackError;
    return `arn:aws:cloudformation:eu-west-1:111122223333:stack/${input.name}/0001`;
  }
  async describeStack(_s: unknown, stack: string): Promise<Stack> {
    this.calls.push('cloudformation:DescribeStacks');
    return { id: stack, name: stack.split('/')[1] ?? stack, status: this.stackStatus, statusReason: undefined, outputs: { NodeInstanceRole: 'arn:aws:iam::111122223333:role/nodes' } };
  }
  async stackEvents() {
    this.calls.push('cloudformation:DescribeStackEvents');
    return this.events;
  }
  async describeCluster(_s: unknown, name: string) {
    this.calls.push('eks:DescribeCluster');
    return { name, status: 'ACTIVE', endpoint: this.kube!.url, caCert: this.kube!.caCert };
  }
  async eksToken() {
    return this.kube!.token;
  }
  regions = async () => [];
  keyPairs = async () => [];
  vpcs = async () => [];
  subnets = async () => [];
  securityGroups = async () => [];
  roles = async () => [];
  attachedPolicies = async () => [];
}

function event(logical: string, type: string, status: string, reason: string | null, minute: number): StackEvent {
  return { timestamp: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(), logical_resource_id: logical, resource_type: type, resource_status: status, resource_status_reason: reason, physical_resource_id: null };
}

for (const engine of ENGINES) {
  describe(`EKS provisioning on ${engine}`, () => {
    const fx = engineFixture(engine);
    let store: Store;
    let sim: KubeApiSimulator;
    let clusters: ClusterService;
    let settings: EksSettingsService;
    let projectId = 0;
    let nextScope = 0;

    before(async () => {
      sim = await startKubeApiServer({ fluxCrds: false });
    });
    after(async () => {
      await store?.close();
      await sim?.close();
    });

    async function setUp(): Promise<void> {
      if (store) return;
      store = await openStore(fx.storeOptions);
      const secrets = new SecretBox(fx.storeOptions.dataDir, undefined);
      clusters = new ClusterService(store.db, new Policy(store.db), secrets);
      settings = new EksSettingsService(store.db, secrets);
      await settings.update({ eks_integration_enabled: true, eks_account_id: '111122223333', eks_access_key_id: 'AKIAIOSFODNN7EXAMPLE', eks_secret_access_key: 'secret' });
      const ns = await store.db.insertInto('namespaces').values({ kind: 'group', name: 'g', path: 'g', full_path: 'g', parent_id: null, owner_user_id: null, visibility: 'private', description: '', created_at: now() }).returningAll().executeTakeFirstOrThrow();
      const project = await store.db
        .insertInto('projects')
        .values({ namespace_id: ns.id, name: 'app', path: 'app', full_path: 'g/app', description: '', default_branch: 'main', visibility: 'private', creator_id: null, created_at: now() })
        .returningAll()
        .executeTakeFirstOrThrow();
      projectId = project.id;
    }

    /** A cluster as the creation form stores it: scheduled, no stack yet. */
    async function scheduleCluster(name: string, createdAt = now()): Promise<number> {
      const project = await store.db.selectFrom('projects').selectAll().where('id', '=', projectId).executeTakeFirstOrThrow();
      const { cluster } = await clusters.createProvisioned({ kind: 'project', project }, { name, environmentScope: `scope-${++nextScope}`, managed: false, providerType: 'aws' }, null, (trx, c) =>
        trx
          .insertInto('cluster_providers_aws')
          .values({
            cluster_id: c.id,
            request_id: null,
            cluster_name: name,
            role_arn: 'arn:aws:iam::111122223333:role/gitlab-eks-provision',
            external_id: 'ext',
            region: 'eu-west-1',
            service_role_arn: ROLE_A,
            kubernetes_version: '1.31',
            key_name: 'k',
            vpc_id: 'vpc-1',
            subnet_ids: JSON.stringify(['subnet-1', 'subnet-2']),
            security_group_id: 'sg-1',
            instance_type: 't3.medium',
            num_nodes: 3,
            stack_name: stackNameFor(c.id, name),
            stack_id: null,
            status: 'scheduled',
            status_reason: null,
            created_at: createdAt,
            updated_at: createdAt,
          })
          .execute(),
      );
      return cluster.id;
    }

    function provisioner(aws: AwsApi, clock?: () => number): EksProvisioner {
      return new EksProvisioner({ db: store.db, aws, sessions: new RoleSessions(aws, settings), clusters, template, pollIntervalMs: 60_000, nodeAmiParameter: '/ami/{version}', logger, ...(clock ? { now: clock } : {}) });
    }

    const provider = (clusterId: number) => store.db.selectFrom('cluster_providers_aws').selectAll().where('cluster_id', '=', clusterId).executeTakeFirstOrThrow();
    const job = { projectId: 0, projectPath: 'app', namespaceId: 0, environment: null };

    it('ROLLBACK_FAILED: the reason names the stack and the first failed resource; nothing is rolled back', async (t) => {
      if (fx.skipped(t)) return;
      await setUp();
      const aws = new ScriptedAws(undefined);
      const id = await scheduleCluster('failing');
      const p = provisioner(aws);
      await p.tick(new AbortController().signal);
      assert.equal((await provider(id)).status, 'creating');
      aws.stackStatus = 'ROLLBACK_FAILED';
      aws.events = [
        event(stackNameFor(id, 'failing'), 'AWS::CloudFormation::Stack', 'ROLLBACK_FAILED', 'The following resource(s) failed to delete: [NodeSecurityGroup].', 9),
        event('NodeSecurityGroup', 'AWS::EC2::SecurityGroup', 'DELETE_FAILED', 'resource sg-1 has a dependent object', 8),
        event('NodeInstanceRole', 'AWS::IAM::Role', 'CREATE_FAILED', 'Resource creation cancelled', 6),
        event('Cluster', 'AWS::EKS::Cluster', 'CREATE_FAILED', 'Subnets specified must be in at least two different AZs', 5),
        event(stackNameFor(id, 'failing'), 'AWS::CloudFormation::Stack', 'CREATE_IN_PROGRESS', 'User Initiated', 1),
      ];
      await p.tick(new AbortController().signal);
      const row = await provider(id);
      assert.equal(row.status, 'errored');
      assert.equal(
        row.status_reason,
        `Creating the cluster stopped: CloudFormation stack ${stackNameFor(id, 'failing')} is ROLLBACK_FAILED; resource Cluster (AWS::EKS::Cluster) failed: Subnets specified must be in at least two different AZs; ` +
          `Kubegate rolls nothing back: look up the failed resource in the stack (CloudFormation console, region eu-west-1, stack arn:aws:cloudformation:eu-west-1:111122223333:stack/${stackNameFor(id, 'failing')}/0001), delete the stack to remove what was created, then delete this cluster and create it again.`,
      );
      assert.ok(!aws.calls.some((c) => /^\S+:(Delete|Rollback|Cancel)/.test(c)), `no delete or rollback call: ${aws.calls.join(', ')}`);
      // The errored cluster is not one jobs deploy to; later passes leave it alone.
      assert.equal(await clusters.forJob({ ...job, projectId, namespaceId: (await store.db.selectFrom('projects').select('namespace_id').where('id', '=', projectId).executeTakeFirstOrThrow()).namespace_id, environment: `scope-${nextScope}` }), null);
      const before = aws.calls.length;
      await p.tick(new AbortController().signal);
      assert.equal(aws.calls.length, before);
    });

    it("EKS refusing role A inside the stack: EKS's message and how to fix role A", async (t) => {
      if (fx.skipped(t)) return;
      await setUp();
      const aws = new ScriptedAws(undefined);
      aws.stackStatus = 'ROLLBACK_COMPLETE';
      aws.events = [
        event('Cluster', 'AWS::EKS::Cluster', 'CREATE_FAILED', "The provided role doesn't have the Amazon EKS Managed Policies associated with it. Please ensure the following policy is attached: arn:aws:iam::aws:policy/AmazonEKSClusterPolicy", 3),
      ];
      const id = await scheduleCluster('policy');
      await provisioner(aws).tick(new AbortController().signal);
      const row = await provider(id);
      assert.equal(row.status, 'errored');
      assert.match(row.status_reason!, /is ROLLBACK_COMPLETE; resource Cluster \(AWS::EKS::Cluster\) failed: The provided role doesn't have the Amazon EKS Managed Policies associated with it\./);
      assert.match(row.status_reason!, new RegExp(`the service role ${ROLE_A} \\(role A\\) is not set up correctly: attach the AmazonEKSClusterPolicy managed policy`));
    });

    it('a refused CreateStack errs at once; a stack creating past the timeout is given up on', async (t) => {
      if (fx.skipped(t)) return;
      await setUp();
      const refused = new ScriptedAws(undefined);
      refused.createStackError = new AwsCallError('ValidationError', 'Parameter validation failed: parameter value k for parameter name KeyName does not exist', 400);
      const a = await scheduleCluster('refused');
      await provisioner(refused).tick(new AbortController().signal);
      const row = await provider(a);
      assert.equal(row.status, 'errored');
      assert.match(row.status_reason!, /^CloudFormation refused to create stack kubegate-\d+-refused in eu-west-1: ValidationError: Parameter validation failed/);

      const slow = new ScriptedAws(undefined);
      const b = await scheduleCluster('slow');
      const start = Date.now();
      let clock = start;
      const p = provisioner(slow, () => clock);
      await p.tick(new AbortController().signal);
      assert.equal((await provider(b)).status, 'creating');
      clock = start + STACK_CREATE_TIMEOUT_MS + 60_000;
      await p.tick(new AbortController().signal);
      const late = await provider(b);
      assert.equal(late.status, 'errored');
      assert.match(late.status_reason!, /is still CREATE_IN_PROGRESS after 45 minutes; Kubegate stopped waiting/);
    });

    it("role B refused mid-creation errs with document 003's message; the integration switched off only pauses", async (t) => {
      if (fx.skipped(t)) return;
      await setUp();
      const aws = new ScriptedAws(undefined);
      const id = await scheduleCluster('paused');
      const p = provisioner(aws);
      await p.tick(new AbortController().signal);
      assert.equal((await provider(id)).status, 'creating');
      await settings.update({ eks_integration_enabled: false });
      await p.tick(new AbortController().signal);
      assert.equal((await provider(id)).status, 'creating', 'still waiting while the integration is off');
      await settings.update({ eks_integration_enabled: true });
      aws.assumeRoleError = new AwsCallError('AccessDenied', 'User: arn:aws:iam::111122223333:user/kubegate is not authorized to perform: sts:AssumeRole', 403);
      await provisioner(aws).tick(new AbortController().signal);
      const row = await provider(id);
      assert.equal(row.status, 'errored');
      assert.match(row.status_reason!, /^Access denied: User arn:aws:iam::111122223333:user\/kubegate is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role\/gitlab-eks-provision\. /);
      assert.match(row.status_reason!, /\(the stack kubegate-\d+-paused is left as it is\)$/);
    });

    it('a restart while creating: the next process resumes from the stored stack id and finishes without a second stack', async (t) => {
      if (fx.skipped(t)) return;
      await setUp();
      const aws = new ScriptedAws({ url: sim.url, caCert: sim.caCert, token: sim.adminToken });
      const id = await scheduleCluster('resume');
      const first = provisioner(aws);
      const stop = new AbortController();
      const running = first.run(stop.signal);
      first.wake();
      for (let i = 0; i < 100 && (await provider(id)).status === 'scheduled'; i++) await new Promise((r) => setTimeout(r, 20));
      stop.abort();
      await running;
      const stopped = await provider(id);
      assert.equal(stopped.status, 'creating');
      assert.equal(stopped.stack_id, `arn:aws:cloudformation:eu-west-1:111122223333:stack/${stackNameFor(id, 'resume')}/0001`);

      aws.stackStatus = 'CREATE_COMPLETE';
      const second = provisioner(aws);
      await second.tick(new AbortController().signal);
      const done = await provider(id);
      assert.equal(done.status, 'created', done.status_reason ?? '');
      assert.equal(aws.calls.filter((c) => c.startsWith('cloudformation:CreateStack')).length, 1);
      const cluster = await store.db.selectFrom('clusters').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(cluster.api_url, sim.url);
      assert.equal(cluster.ca_cert, sim.caCert);
      // The token kept is the `gitlab` service account's, bound to cluster-admin.
      const namespaceId = (await store.db.selectFrom('projects').select('namespace_id').where('id', '=', projectId).executeTakeFirstOrThrow()).namespace_id;
      const target = await clusters.forJob({ projectId, projectPath: 'app', namespaceId, environment: `scope-${nextScope}` });
      assert.equal(sim.userForToken(target!.token)?.username, 'system:serviceaccount:default:gitlab');
      assert.equal((sim.get('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', undefined, 'gitlab-admin')?.roleRef as { name: string }).name, 'cluster-admin');
      assert.match((sim.get('v1', 'ConfigMap', 'kube-system', 'aws-auth')?.data as { mapRoles: string }).mapRoles, /rolearn: arn:aws:iam::111122223333:role\/nodes\n {2}username: system:node:\{\{EC2PrivateDNSName\}\}/);
    });
  });
}
