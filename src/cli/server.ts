import { Command, Option } from 'commander';
import { serverConfig } from '../server/config.js';
import { runServer } from '../server/main.js';

export function serverCommand(): Command {
  return new Command('server')
    .description('Run the Kubegate server: API, Git hosting, agent server and Kubernetes API proxy')
    .addOption(new Option('--listen <host:port>', 'public listener').env('KUBEGATE_LISTEN').default('127.0.0.1:8080'))
    .addOption(new Option('--external-url <url>', 'the URL users, agents and jobs use (default: http://<listen>)').env('KUBEGATE_EXTERNAL_URL'))
    .addOption(new Option('--data-dir <dir>', 'SQLite file, Git repositories, keys').env('KUBEGATE_DATA_DIR').default('./data'))
    .addOption(new Option('--database-url <url>', 'postgres://… for PostgreSQL (default: SQLite in the data dir)').env('KUBEGATE_DATABASE_URL'))
    .addOption(new Option('--redis-url <url>', 'redis://…; required when running more than one replica').env('KUBEGATE_REDIS_URL'))
    .addOption(new Option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)').env('KUBEGATE_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'the private key for --tls-cert (PEM)').env('KUBEGATE_TLS_KEY'))
    .addHelpText('after', '\nEnvironment:\n  KUBEGATE_ROOT_TOKEN  on first start, the root admin\'s personal access token (>= 20 characters); generated and printed once if unset')
    .action(async function startServer(flags) {
      await runServer(serverConfig(flags));
    });
}
