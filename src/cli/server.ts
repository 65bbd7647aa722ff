import { Command, Option } from 'commander';
import { serverConfig } from '../server/config.js';
import { runServer } from '../server/main.js';

export function serverCommand(): Command {
  return new Command('server')
    .description('Run the Kubegate server: API, Git hosting, agent server and Kubernetes API proxy')
    .addOption(new Option('--listen <host:port>', 'public listener').env('KUBEGATE_LISTEN').default('127.0.0.1:8080'))
    .addOption(new Option('--external-url <url>', 'the URL users, agents and jobs use (default: https://<listen>, http:// with --no-tls)').env('KUBEGATE_EXTERNAL_URL'))
    .addOption(new Option('--data-dir <dir>', 'SQLite file, Git repositories, keys').env('KUBEGATE_DATA_DIR').default('./data'))
    .addOption(new Option('--database-url <url>', 'postgres://… for PostgreSQL (default: SQLite in the data dir)').env('KUBEGATE_DATABASE_URL'))
    .addOption(new Option('--redis-url <url>', 'redis://…; required when running more than one replica').env('KUBEGATE_REDIS_URL'))
    .addOption(new Option('--tls-cert <file>', 'serve HTTPS with this certificate chain (PEM; the server certificate first, a private CA last) instead of one generated in <data-dir>/tls/').env('KUBEGATE_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'the private key for --tls-cert (PEM)').env('KUBEGATE_TLS_KEY'))
    // KUBEGATE_NO_TLS is read by serverConfig (commander would take any value as "on").
    .addOption(new Option('--no-tls', 'serve plain HTTP, for a server behind a TLS-terminating proxy (env KUBEGATE_NO_TLS=true)'))
    .addHelpText('after', '\nEnvironment:\n  KUBEGATE_NO_TLS=true  the same as --no-tls\n  KUBEGATE_ROOT_TOKEN   on first start, the root admin\'s personal access token (>= 20 characters); if unset, one is generated, printed once and written to <data-dir>/initial_root_token (0600)')
    .action(async function startServer(flags) {
      await runServer(serverConfig(flags));
    });
}
