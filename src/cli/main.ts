/**
 * `kubegate` — one binary: the server, the agent, and the commands people and CI jobs
 * run. Each command lives in its own file; this one only lists them.
 */
import { Command } from 'commander';
import { VERSION } from '../lib/version.js';
import { serverCommand } from './server.js';
import { agentCommand } from './agent.js';
import { withAgentAdministration } from './agent_admin.js';
import { ciCommand } from './ci.js';
import { isKubegateError } from '../lib/errors.js';

const program = new Command()
  .name('kubegate')
  .description('Connect Kubernetes clusters to CI/CD and GitOps through an agent that dials out.')
  .version(VERSION.version, '-v, --version')
  .showHelpAfterError();

program.addCommand(serverCommand());
program.addCommand(withAgentAdministration(agentCommand()));
program.addCommand(ciCommand());

program.parseAsync(process.argv).catch(function reportFailure(err: unknown) {
  if (isKubegateError(err) || (err instanceof Error && /ConfigError$/.test(err.name))) {
    process.stderr.write(`kubegate: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`kubegate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
