/**
 * The authorization rules of DESIGN.md §4, one table row per case, with configurations
 * written as users write them (YAML through parseAgentConfig), including every example
 * of the GitLab documents the product was specified from.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgentConfig } from '../agent_config/index.js';
import type { AccessAs } from '../agent_config/types.js';
import { allowedAgents, type AgentCandidate, type GrantSource, type JobFacts } from './allowed.js';
import { DOC001_ENVIRONMENTS, DOC001_PRECEDENCE, DOC001_PRECEDENCE_AS_PRINTED, DOC001_PROTECTED } from '../../../test/fixtures/agent_configs.js';

const CONFIG_PROJECT = { id: 100, fullPath: 'acme/infra/agents' };

/** Project ids by path, so that a job's project and the config project can coincide. */
const PROJECT_IDS: Record<string, number> = {
  'acme/infra/agents': 100,
  'acme/app': 101,
  'acme/team/web': 102,
  'acme/team/sub/deep': 103,
  'acme/other-team/api': 104,
  'Acme/Team/Web': 102,
  'other/app': 200,
  'alice/agents': 300,
  'alice/app': 301,
  'bob/app': 400,
  'path/to/agent-config': 500,
  'path/to/project-1': 501,
  'path/to/project-2': 502,
  'path/to/group-1/service': 503,
  'path/to/project-3': 504,
  'example/agents': 600,
  'example/my-project': 601,
  'example/other-project': 602,
};

interface JobSpec {
  project: string;
  env?: string;
  protected?: boolean;
  /** A project in a user namespace has no groups above it. */
  userNamespace?: boolean;
}

function jobFacts(spec: JobSpec): JobFacts {
  const parts = spec.project.split('/');
  const groupPaths: string[] = [];
  if (!spec.userNamespace) for (let i = parts.length - 1; i >= 1; i--) groupPaths.push(parts.slice(0, i).join('/'));
  const projectId = PROJECT_IDS[spec.project];
  assert.ok(projectId, `no id for ${spec.project} in the fixture`);
  return {
    projectId,
    projectFullPath: spec.project,
    groupPaths,
    environment: spec.env === undefined ? null : { name: spec.env },
    refProtected: spec.protected ?? false,
  };
}

function candidate(yaml: string | null, configProject = CONFIG_PROJECT, agent = { id: 7, name: 'prod' }): AgentCandidate {
  const parsed = parseAgentConfig(yaml);
  assert.deepEqual(parsed.errors, [], `the test configuration must parse:\n${yaml}`);
  return { agent, configProject, config: parsed.config! };
}

/** What one agent decides: a grant (its source and identity) or a refusal. */
type Outcome = { source: GrantSource; accessAs?: AccessAs['kind']; defaultNamespace?: string } | 'refused' | 'none';

function decide(yaml: string | null, job: JobSpec, configProject = CONFIG_PROJECT): Outcome {
  const { grants, refusals } = allowedAgents(jobFacts(job), [candidate(yaml, configProject)]);
  assert.ok(grants.length + refusals.length <= 1);
  if (refusals.length === 1) return 'refused';
  const grant = grants[0];
  if (!grant) return 'none';
  return { source: grant.source, accessAs: grant.accessAs.kind, ...(grant.defaultNamespace ? { defaultNamespace: grant.defaultNamespace } : {}) };
}

const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;

const PROJECT_APP = yaml('ci_access:', '  projects:', '    - id: acme/app');
const GROUP_ACME = yaml('ci_access:', '  groups:', '    - id: acme');
const DOC_ENVIRONMENTS = DOC001_ENVIRONMENTS;
const DOC_PROTECTED = DOC001_PROTECTED;
// Document 001's precedence example, with `projects:` (the document's `project:` is a typo).
const DOC_PRECEDENCE = DOC001_PRECEDENCE;
const DOC_CONFIG = { id: 500, fullPath: 'path/to/agent-config' };
const EXAMPLE_CONFIG = { id: 600, fullPath: 'example/agents' };

const IMPLICIT = { source: 'implicit', accessAs: 'agent' } as const;

const cases: Array<[name: string, config: string | null, job: JobSpec, expected: Outcome, configProject?: { id: number; fullPath: string }]> = [
  // Rule 1: candidates.
  ['implicit grant: a job of the configuration project, empty file', '', { project: 'acme/infra/agents' }, IMPLICIT],
  ['implicit grant: a job of the configuration project, missing file', null, { project: 'acme/infra/agents' }, IMPLICIT],
  ['implicit grant: comments-only file', '# nothing yet\n', { project: 'acme/infra/agents', env: 'production' }, IMPLICIT],
  ['implicit grant has no restriction: unprotected ref, any environment', '', { project: 'acme/infra/agents', env: 'review/x', protected: false }, IMPLICIT],
  ['no implicit grant for another project of the same group', '', { project: 'acme/app' }, 'none'],
  ['ci_access.projects grants the listed project', PROJECT_APP, { project: 'acme/app' }, { source: 'project', accessAs: 'agent' }],
  ['ci_access.projects does not grant an unlisted project', PROJECT_APP, { project: 'acme/team/web' }, 'none'],
  [
    'a project entry carries access_as and default_namespace',
    yaml('ci_access:', '  projects:', '    - id: acme/app', '      default_namespace: apps', '      access_as:', '        ci_job: {}'),
    { project: 'acme/app' },
    { source: 'project', accessAs: 'ci_job', defaultNamespace: 'apps' },
  ],
  [
    'a project entry with impersonate',
    yaml('ci_access:', '  projects:', '    - id: acme/app', '      access_as:', '        impersonate:', '          username: deployer'),
    { project: 'acme/app' },
    { source: 'project', accessAs: 'impersonate' },
  ],
  ['ci_access.groups grants a project directly in the group', GROUP_ACME, { project: 'acme/app' }, { source: 'group', accessAs: 'agent' }],
  ['ci_access.groups grants a project two levels down', GROUP_ACME, { project: 'acme/team/web' }, { source: 'group', accessAs: 'agent' }],
  ['ci_access.groups grants a project three levels down', GROUP_ACME, { project: 'acme/team/sub/deep' }, { source: 'group', accessAs: 'agent' }],
  ['a subgroup entry grants its descendants', yaml('ci_access:', '  groups:', '    - id: acme/team'), { project: 'acme/team/sub/deep' }, { source: 'group', accessAs: 'agent' }],
  ['a subgroup entry does not grant a sibling subgroup', yaml('ci_access:', '  groups:', '    - id: acme/team'), { project: 'acme/other-team/api' }, 'none'],
  ['a group whose path is a prefix of another is not its parent', yaml('ci_access:', '  groups:', '    - id: acme/team'), { project: 'acme/app' }, 'none'],

  // Rule 2: same root namespace only.
  ['a project of another root namespace is never granted', yaml('ci_access:', '  projects:', '    - id: other/app'), { project: 'other/app' }, 'none'],
  ['a group of another root namespace is never granted', yaml('ci_access:', '  groups:', '    - id: other'), { project: 'other/app' }, 'none'],
  ['user namespace: a project of the same user is granted', yaml('ci_access:', '  projects:', '    - id: alice/app'), { project: 'alice/app', userNamespace: true }, { source: 'project', accessAs: 'agent' }, { id: 300, fullPath: 'alice/agents' }],
  ["user namespace: another user's project is not", yaml('ci_access:', '  projects:', '    - id: bob/app'), { project: 'bob/app', userNamespace: true }, 'none', { id: 300, fullPath: 'alice/agents' }],
  ['the root namespace compares without regard to case', PROJECT_APP, { project: 'acme/app' }, { source: 'project', accessAs: 'agent' }, { id: 100, fullPath: 'ACME/infra/agents' }],

  // Rule 3: only the most specific entry counts; entries are never merged.
  [
    'project entry beats a group entry: restrictive project entry is not rescued by the group',
    yaml('ci_access:', '  projects:', '    - id: acme/app', '      environments: [dev]', '  groups:', '    - id: acme'),
    { project: 'acme/app', env: 'production' },
    'refused',
  ],
  [
    'project entry beats a group entry: permissive project entry wins over a restrictive group',
    yaml('ci_access:', '  projects:', '    - id: acme/app', '      access_as: {ci_job: {}}', '  groups:', '    - id: acme', '      protected_branches_only: true'),
    { project: 'acme/app' },
    { source: 'project', accessAs: 'ci_job' },
  ],
  [
    'implicit grant beats a restrictive group entry',
    yaml('ci_access:', '  groups:', '    - id: acme', '      protected_branches_only: true', '      environments: [production]', '      access_as: {ci_job: {}}'),
    { project: 'acme/infra/agents' },
    IMPLICIT,
  ],
  [
    'a project entry for the configuration project beats the implicit grant',
    yaml('ci_access:', '  projects:', '    - id: acme/infra/agents', '      environments: [production]'),
    { project: 'acme/infra/agents' },
    'refused',
  ],
  [
    'nearest group beats a farther one: a restrictive nearest entry is not rescued',
    yaml('ci_access:', '  groups:', '    - id: acme', '    - id: acme/team', '      environments: [production]'),
    { project: 'acme/team/web', env: 'staging' },
    'refused',
  ],
  [
    'nearest group beats a farther one whatever the file order',
    yaml('ci_access:', '  groups:', '    - id: acme/team', '      access_as: {ci_job: {}}', '    - id: acme', '      protected_branches_only: true'),
    { project: 'acme/team/sub/deep' },
    { source: 'group', accessAs: 'ci_job' },
  ],
  [
    'the nearest listed group counts even when it is not the direct parent',
    yaml('ci_access:', '  groups:', '    - id: acme', '      environments: [production]', '    - id: acme/team', '      default_namespace: team'),
    { project: 'acme/team/sub/deep', env: 'review/1' },
    { source: 'group', accessAs: 'agent', defaultNamespace: 'team' },
  ],

  // Rule 4: environments, anchored `*`.
  ['environments: exact name', yaml('ci_access:', '  projects:', '    - id: acme/app', '      environments: [staging]'), { project: 'acme/app', env: 'staging' }, { source: 'project', accessAs: 'agent' }],
  ['environments: names are case-sensitive', yaml('ci_access:', '  projects:', '    - id: acme/app', '      environments: [production]'), { project: 'acme/app', env: 'Production' }, 'refused'],
  ['environments: review/* matches review/feature-1', yaml('ci_access:', '  projects:', '    - id: acme/app', '      environments: [review/*]'), { project: 'acme/app', env: 'review/feature-1' }, { source: 'project', accessAs: 'agent' }],
  ['environments: review/* matches deeper names', yaml('ci_access:', '  projects:', '    - id: acme/app', '      environments: [review/*]'), { project: 'acme/app', env: 'review/a/b' }, { source: 'project', accessAs: 'agent' }],
  ['environments: review/* does not match review itself', yaml('ci_access:', '  projects:', '    - id: acme/app', '      environments: [review/*]'), { project: 'acme/app', env: 'review' }, 'refused'],
  ['environments: review/* is anchored at the start', yaml('ci_access:', '  projects:', '    - id: acme/app', '      environments: [review/*]'), { project: 'acme/app', env: 'old-review/x' }, 'refused'],
  ['environments: prod* matches production', yaml('ci_access:', '  projects:', '    - id: acme/app', '      environments: [prod*]'), { project: 'acme/app', env: 'production' }, { source: 'project', accessAs: 'agent' }],
  ['environments: prod* does not match nonprod (anchored, unlike GitLab)', yaml('ci_access:', '  projects:', '    - id: acme/app', '      environments: [prod*]'), { project: 'acme/app', env: 'nonprod' }, 'refused'],
  ['environments: * matches any environment', yaml('ci_access:', '  projects:', '    - id: acme/app', '      environments: ["*"]'), { project: 'acme/app', env: 'anything/at/all' }, { source: 'project', accessAs: 'agent' }],
  ['environments: a job without environment fails an entry that lists environments, even *', yaml('ci_access:', '  projects:', '    - id: acme/app', '      environments: ["*"]'), { project: 'acme/app' }, 'refused'],
  ['environments: a job without environment fails a group entry with environments', yaml('ci_access:', '  groups:', '    - id: acme', '      environments: [production]'), { project: 'acme/app' }, 'refused'],
  ['no environments listed: a job with an environment passes', PROJECT_APP, { project: 'acme/app', env: 'production' }, { source: 'project', accessAs: 'agent' }],
  ['environments: any of several patterns', yaml('ci_access:', '  projects:', '    - id: acme/app', '      environments: [staging, "*-canary"]'), { project: 'acme/app', env: 'eu-canary' }, { source: 'project', accessAs: 'agent' }],

  // Rule 4: protected branches.
  ['protected_branches_only refuses an unprotected ref', yaml('ci_access:', '  projects:', '    - id: acme/app', '      protected_branches_only: true'), { project: 'acme/app', protected: false }, 'refused'],
  ['protected_branches_only lets a protected ref in', yaml('ci_access:', '  projects:', '    - id: acme/app', '      protected_branches_only: true'), { project: 'acme/app', protected: true }, { source: 'project', accessAs: 'agent' }],
  ['protected_branches_only: false lets any ref in', yaml('ci_access:', '  projects:', '    - id: acme/app', '      protected_branches_only: false'), { project: 'acme/app', protected: false }, { source: 'project', accessAs: 'agent' }],
  [
    'protected_branches_only and environments must both hold',
    yaml('ci_access:', '  groups:', '    - id: acme', '      protected_branches_only: true', '      environments: [production]'),
    { project: 'acme/app', env: 'production', protected: false },
    'refused',
  ],

  // Ids: case-insensitive; duplicates: the last one counts.
  ['project ids match without regard to case', yaml('ci_access:', '  projects:', '    - id: ACME/App'), { project: 'acme/app' }, { source: 'project', accessAs: 'agent' }],
  ['group ids match without regard to case', yaml('ci_access:', '  groups:', '    - id: acme/TEAM'), { project: 'Acme/Team/Web' }, { source: 'group', accessAs: 'agent' }],
  [
    'duplicate project ids: the last one counts (restrictive last)',
    yaml('ci_access:', '  projects:', '    - id: acme/app', '    - id: ACME/APP', '      environments: [production]'),
    { project: 'acme/app', env: 'staging' },
    'refused',
  ],
  [
    'duplicate project ids: the last one counts (permissive last)',
    yaml('ci_access:', '  projects:', '    - id: acme/app', '      environments: [production]', '    - id: acme/app', '      access_as: {ci_job: {}}'),
    { project: 'acme/app', env: 'staging' },
    { source: 'project', accessAs: 'ci_job' },
  ],
  [
    'duplicate group ids: the last one counts',
    yaml('ci_access:', '  groups:', '    - id: acme', '      default_namespace: first', '    - id: acme', '      default_namespace: second'),
    { project: 'acme/app' },
    { source: 'group', accessAs: 'agent', defaultNamespace: 'second' },
  ],

  // Document 001: "restrict access to specific environments".
  ['doc 001: every job of project-1', DOC_ENVIRONMENTS, { project: 'path/to/project-1' }, { source: 'project', accessAs: 'agent' }, DOC_CONFIG],
  ['doc 001: project-1 with an environment', DOC_ENVIRONMENTS, { project: 'path/to/project-1', env: 'production' }, { source: 'project', accessAs: 'agent' }, DOC_CONFIG],
  ['doc 001: project-2 in staging', DOC_ENVIRONMENTS, { project: 'path/to/project-2', env: 'staging' }, { source: 'project', accessAs: 'agent' }, DOC_CONFIG],
  ['doc 001: project-2 in review/my-branch', DOC_ENVIRONMENTS, { project: 'path/to/project-2', env: 'review/my-branch' }, { source: 'project', accessAs: 'agent' }, DOC_CONFIG],
  ['doc 001: project-2 in production is refused', DOC_ENVIRONMENTS, { project: 'path/to/project-2', env: 'production' }, 'refused', DOC_CONFIG],
  ['doc 001: project-2 without environment is refused', DOC_ENVIRONMENTS, { project: 'path/to/project-2' }, 'refused', DOC_CONFIG],
  ['doc 001: group-1 project in production', DOC_ENVIRONMENTS, { project: 'path/to/group-1/service', env: 'production' }, { source: 'group', accessAs: 'agent' }, DOC_CONFIG],
  ['doc 001: group-1 project in staging is refused', DOC_ENVIRONMENTS, { project: 'path/to/group-1/service', env: 'staging' }, 'refused', DOC_CONFIG],
  ['doc 001: group-1 project without environment is refused', DOC_ENVIRONMENTS, { project: 'path/to/group-1/service' }, 'refused', DOC_CONFIG],
  ['doc 001: an unlisted project of the same root gets nothing', DOC_ENVIRONMENTS, { project: 'path/to/project-3', env: 'staging' }, 'none', DOC_CONFIG],

  // Document 001: "restrict access to protected branches".
  ['doc 001: project-1 protected only, unprotected ref refused', DOC_PROTECTED, { project: 'path/to/project-1' }, 'refused', DOC_CONFIG],
  ['doc 001: project-1 protected only, protected ref', DOC_PROTECTED, { project: 'path/to/project-1', protected: true }, { source: 'project', accessAs: 'agent' }, DOC_CONFIG],
  ['doc 001: group-1 protected ref in production', DOC_PROTECTED, { project: 'path/to/group-1/service', env: 'production', protected: true }, { source: 'group', accessAs: 'agent' }, DOC_CONFIG],
  ['doc 001: group-1 unprotected ref in production is refused', DOC_PROTECTED, { project: 'path/to/group-1/service', env: 'production' }, 'refused', DOC_CONFIG],

  // Document 001: the precedence example (example/my-project under group example).
  ['doc 001 precedence: my-project, unprotected ref in dev: the project entry wins', DOC_PRECEDENCE, { project: 'example/my-project', env: 'dev' }, { source: 'project', accessAs: 'agent' }, EXAMPLE_CONFIG],
  ['doc 001 precedence: my-project still needs the dev environment', DOC_PRECEDENCE, { project: 'example/my-project', env: 'prod' }, 'refused', EXAMPLE_CONFIG],
  ['doc 001 precedence: another project of the group, unprotected ref, is refused', DOC_PRECEDENCE, { project: 'example/other-project', env: 'dev' }, 'refused', EXAMPLE_CONFIG],
  ['doc 001 precedence: another project of the group, protected ref in dev', DOC_PRECEDENCE, { project: 'example/other-project', env: 'dev', protected: true }, { source: 'group', accessAs: 'agent' }, EXAMPLE_CONFIG],

  // Documents 000/001: access_as ci_job for one project.
  ['doc 000: ci_job impersonation for path/to/project-1', yaml('ci_access:', '  projects:', '    - id: path/to/project-1', '      access_as:', '        ci_job: {}'), { project: 'path/to/project-1' }, { source: 'project', accessAs: 'ci_job' }, DOC_CONFIG],
];

for (const [name, config, job, expected, configProject] of cases) {
  test(`allowed agents: ${name}`, () => {
    assert.deepEqual(decide(config, job, configProject), expected);
  });
}

test('the table covers at least 30 cases', () => {
  assert.ok(cases.length >= 30, String(cases.length));
});

test("document 001's own spelling `project:` is a parse error naming the fix, and grants nothing", () => {
  const typo = DOC001_PRECEDENCE_AS_PRINTED;
  const parsed = parseAgentConfig(typo);
  assert.equal(parsed.config, null);
  assert.equal(parsed.errors.length, 1, JSON.stringify(parsed.errors));
  assert.match(parsed.errors[0]!.message, /line 3, column 3: unknown key "project" in ci_access: did you mean "projects"\?/);
});

test('each agent decides on its own entries; refusals say why', () => {
  const open = candidate(GROUP_ACME, CONFIG_PROJECT, { id: 1, name: 'open' });
  const envOnly = candidate(yaml('ci_access:', '  groups:', '    - id: acme', '      environments: [production]'), CONFIG_PROJECT, { id: 2, name: 'env-only' });
  const protectedOnly = candidate(yaml('ci_access:', '  projects:', '    - id: acme/app', '      protected_branches_only: true'), CONFIG_PROJECT, { id: 3, name: 'protected' });
  const otherRoot = candidate(GROUP_ACME, { id: 200, fullPath: 'other/app' }, { id: 4, name: 'other' });
  const { grants, refusals } = allowedAgents(jobFacts({ project: 'acme/app', env: 'staging' }), [open, envOnly, protectedOnly, otherRoot]);
  assert.deepEqual(grants.map((g) => g.agent.name), ['open']);
  assert.deepEqual(refusals.map((r) => r.agent.name), ['env-only', 'protected']);
  assert.match(refusals[0]!.reason, /environment "staging" is not among the environments of the entry for acme \(line 3\): production/);
  assert.match(refusals[1]!.reason, /the entry for acme\/app \(line 3\) allows protected branches only/);
  const none = allowedAgents(jobFacts({ project: 'acme/app' }), [envOnly]);
  assert.match(none.refusals[0]!.reason, /lists environments \(production\) and the job has none/);
});

test('every agent the job could have reached and did not get is excluded with its reason', () => {
  const envOnly = candidate(yaml('ci_access:', '  groups:', '    - id: acme', '      environments: [production]'), CONFIG_PROJECT, { id: 2, name: 'env-only' });
  const protectedOnly = candidate(yaml('ci_access:', '  projects:', '    - id: acme/app', '      protected_branches_only: true'), CONFIG_PROJECT, { id: 3, name: 'protected' });
  const otherRoot = candidate(GROUP_ACME, { id: 200, fullPath: 'other/app' }, { id: 4, name: 'other' });
  const unrelatedOtherRoot = candidate(yaml('ci_access:', '  groups:', '    - id: other'), { id: 200, fullPath: 'other/app' }, { id: 6, name: 'unrelated' });
  const silent = candidate('', { id: 104, fullPath: 'acme/other-team/api' }, { id: 5, name: 'silent' });
  const { grants, exclusions } = allowedAgents(jobFacts({ project: 'acme/app', env: 'staging' }), [envOnly, protectedOnly, otherRoot, unrelatedOtherRoot, silent]);
  assert.deepEqual(grants, []);
  assert.deepEqual(
    exclusions.map((e) => [e.agent.name, e.reason]),
    [
      ['env-only', 'environment_not_matched'],
      ['protected', 'ref_not_protected'],
      ['other', 'other_root_namespace'],
      ['silent', 'not_granted'],
    ],
    'an agent of another top-level group that does not name the project is no candidate at all',
  );
  assert.match(exclusions[0]!.message, /^\.gitlab\/agents\/env-only\/config\.yaml in acme\/infra\/agents: environment "staging" is not among/);
  assert.match(exclusions[2]!.message, /another top-level group than acme\/app; CI access is granted only within one top-level group/);
  assert.match(exclusions[3]!.message, /lists neither acme\/app nor a group above it under ci_access; add it there/);
});

test('a grant keeps the entry it came from, and the implicit grant has none', () => {
  const config = yaml('ci_access:', '  projects:', '    - id: acme/app', '      environments: [staging]', '      protected_branches_only: true');
  const [grant] = allowedAgents(jobFacts({ project: 'acme/app', env: 'staging', protected: true }), [candidate(config)]).grants;
  assert.deepEqual(grant?.entry?.environments, ['staging']);
  assert.equal(grant?.entry?.protected_branches_only, true);
  const [implicit] = allowedAgents(jobFacts({ project: 'acme/infra/agents' }), [candidate(config)]).grants;
  assert.equal(implicit?.entry, undefined);
  assert.equal(implicit?.defaultNamespace, undefined);
});
