/**
 * A new agent token, shown this once: it lives in this component's memory only (never
 * in the URL, history state or storage), so a reload or another page makes it gone for
 * good, as the API promises.
 */
import { useVersion } from '../../api/queries';
import type { NewAgentToken } from '../../api/types';
import { CopyButton } from '../../components/CopyButton';
import { ErrorState, Loading } from '../../components/States';
import { helmInstallCommand } from './installCommand';

function InstallCommand({ command }: { command: string }) {
  return (
    <>
      <pre className="command" aria-label="Installation command" tabIndex={0}>
        <code>{command}</code>
      </pre>
      <CopyButton text={command} label="Copy command" />
    </>
  );
}

export function TokenReveal({ token, agentName, withInstallCommand }: { token: NewAgentToken; agentName: string; withInstallCommand: boolean }) {
  const version = useVersion();
  return (
    <section className="card token-reveal" aria-labelledby="token-title">
      <h2 id="token-title">Agent access token</h2>
      <p className="notice notice-warning" role="alert">
        <strong>You will not see this token again.</strong> Copy it now and keep it secret: whoever holds it can connect as agent <code>{agentName}</code>.
      </p>
      <label htmlFor="agent-token">Token “{token.name}”</label>
      <div className="secret-row">
        <input id="agent-token" className="mono" readOnly value={token.token} onFocus={(e) => e.currentTarget.select()} />
        <CopyButton text={token.token} label="Copy token" />
      </div>
      {withInstallCommand ? (
        <>
          <h3>Recommended installation method</h3>
          <p>Run this in a terminal connected to your cluster to install the agent with Helm:</p>
          {version.isPending ? (
            <Loading what="the installation command" />
          ) : version.isError ? (
            <ErrorState error={version.error} what="the installation command" onRetry={() => void version.refetch()} />
          ) : (
            <InstallCommand command={helmInstallCommand({ agentName, token: token.token, version: version.data })} />
          )}
        </>
      ) : null}
    </section>
  );
}
