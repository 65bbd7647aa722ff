/**
 * Step 1 of document 003: what the user creates in AWS before coming back. The Account
 * ID and the External ID of this creation request go into role B's trust relationship;
 * the policy is document 003's (which grants creating, never deleting), plus
 * `cloudformation:DescribeStackEvents` so that Kubegate can show the stack's events.
 */
import type { EksRequest } from '../../../api/types';
import { CopyButton } from '../../../components/CopyButton';

/** Document 003's policy for role B, with DescribeStackEvents added (docs/ci-cd.md says why). */
export const PROVISION_ROLE_POLICY = JSON.stringify(
  {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'autoscaling:CreateAutoScalingGroup',
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeScalingActivities',
          'autoscaling:UpdateAutoScalingGroup',
          'autoscaling:CreateLaunchConfiguration',
          'autoscaling:DescribeLaunchConfigurations',
          'cloudformation:CreateStack',
          'cloudformation:DescribeStacks',
          'cloudformation:DescribeStackEvents',
          'ec2:AuthorizeSecurityGroupEgress',
          'ec2:AuthorizeSecurityGroupIngress',
          'ec2:RevokeSecurityGroupEgress',
          'ec2:RevokeSecurityGroupIngress',
          'ec2:CreateSecurityGroup',
          'ec2:CreateTags',
          'ec2:DescribeImages',
          'ec2:DescribeKeyPairs',
          'ec2:DescribeRegions',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeSubnets',
          'ec2:DescribeVpcs',
          'eks:CreateCluster',
          'eks:DescribeCluster',
          'iam:AddRoleToInstanceProfile',
          'iam:AttachRolePolicy',
          'iam:CreateRole',
          'iam:CreateInstanceProfile',
          'iam:CreateServiceLinkedRole',
          'iam:GetRole',
          'iam:ListAttachedRolePolicies',
          'iam:ListRoles',
          'iam:PassRole',
          'ssm:GetParameters',
        ],
        Resource: '*',
      },
    ],
  },
  null,
  2,
);

function Identifier({ label, value, id }: { label: string; value: string | null; id: string }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>
        {value ? (
          <span className="secret-row">
            <code className="identifier" data-testid={id}>
              {value}
            </code>
            <CopyButton text={value} label={`Copy ${label}`} />
          </span>
        ) : (
          <span className="muted">not set: an administrator sets it in the Amazon EKS settings</span>
        )}
      </dd>
    </>
  );
}

function Steps() {
  return (
    <>
      <ol className="steps">
        <li>
          In the IAM console, create a policy from this JSON. It lets Kubegate create resources, never delete them: if creation fails, nothing is rolled back, and you delete
          the CloudFormation stack yourself.
          <pre className="command" aria-label="Policy for role B" tabIndex={0}>
            <code>{PROVISION_ROLE_POLICY}</code>
          </pre>
          <CopyButton text={PROVISION_ROLE_POLICY} label="Copy policy" />
        </li>
        <li>
          Create the cluster's IAM role (<strong>role A</strong>) as the Amazon EKS cluster IAM role guide says, and attach the <code>AmazonEKSClusterPolicy</code> managed
          policy to it.
        </li>
        <li>
          Create <strong>role B</strong>: trusted entity <em>Another AWS account</em> with the Account ID above, <em>Require external ID</em> checked with the External ID
          above, and the policy of step 1. Copy its <strong>Role ARN</strong>.
        </li>
      </ol>
      <p className="muted small">The External ID is new for every creation; a role trusting another creation's External ID is refused.</p>
    </>
  );
}

/** Once authenticated, the steps fold away (the IDs stay in sight): the form is what comes next. */
export function RoleInstructions({ request }: { request: EksRequest }) {
  return (
    <section className="card" aria-labelledby="eks-roles-title">
      <h2 id="eks-roles-title">1. Prepare the cluster in AWS</h2>
      <p>You need these two values to create role B:</p>
      <dl className="facts">
        <Identifier label="Account ID" value={request.account_id} id="eks-account-id" />
        <Identifier label="External ID" value={request.external_id} id="eks-external-id" />
      </dl>
      {request.authorized ? (
        <details>
          <summary>How to create the roles</summary>
          <Steps />
        </details>
      ) : (
        <Steps />
      )}
    </section>
  );
}
