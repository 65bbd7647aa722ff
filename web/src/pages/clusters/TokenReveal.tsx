/**
 * A new agent token, shown this once: it lives in this component's memory only (never
 * in the URL, history state or storage), so a reload or another page makes it gone for
 * good, as the API promises.
 *
 * The installation command is the server's (`install` of the token's answer, computed in
 * src/modules/charts/install_command.ts for the CLI and the UI alike), shown verbatim:
 * the page adds nothing to it and computes nothing of it.
 */
import type { InstallInstructions, NewAgentToken } from '../../api/types';
import { CopyButton } from '../../components/CopyButton';
import { CaCertificateStep } from './CaCertificateStep';

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

function InstallSteps({ install }: { install: InstallInstructions }) {
  if (!install.ca_cert || !install.ca_cert_file) {
    return (
      <>
        <p>Run this in a terminal connected to your cluster to install the agent with Helm:</p>
        <InstallCommand command={install.command} />
      </>
    );
  }
  return (
    <ol className="steps">
      <li>
        <CaCertificateStep caCert={install.ca_cert} caCertFile={install.ca_cert_file} />
      </li>
      <li>
        <p>In the same directory, run this in a terminal connected to your cluster to install the agent with Helm:</p>
        <InstallCommand command={install.command} />
      </li>
    </ol>
  );
}

export function TokenReveal({ token, agentName, withInstallCommand }: { token: NewAgentToken; agentName: string; withInstallCommand: boolean }) {
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
          {token.install ? (
            <InstallSteps install={token.install} />
          ) : (
            <p className="notice notice-warning">
              The server answered the token without its installation command (its log says why). Install the agent with the token above as the installation guide
              (docs/install.md) describes, or create another token to get the command.
            </p>
          )}
        </>
      ) : null}
    </section>
  );
}
