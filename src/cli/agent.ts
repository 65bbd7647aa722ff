import { Command, Option } from 'commander';
import { agentConfig } from '../agent/config.js';
import { runAgent } from '../agent/main.js';

export function agentCommand(): Command {
  return new Command('agent')
    .description('Run the Kubegate agent: dial the server and serve its requests to this cluster')
    .addOption(new Option('--kas-address <url>', 'the server\'s agent endpoint: ws:// or wss://…/-/kubernetes-agent/').env('KUBEGATE_KAS_ADDRESS'))
    .addOption(new Option('--token-file <file>', 'file holding the agent token (or set KUBEGATE_AGENT_TOKEN to the token itself; it is removed from the environment after reading)').env('KUBEGATE_AGENT_TOKEN_FILE'))
    .addOption(new Option('--kas-ca-cert-file <file>', 'extra CA certificate (PEM) for the server\'s certificate').env('KUBEGATE_KAS_CA_CERT_FILE'))
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig to reach the cluster from outside it; in a pod the ServiceAccount is used').env('KUBECONFIG'))
    .addOption(new Option('--observability-listen <host:port>', '/liveness, /readiness and /metrics (default 127.0.0.1:8080 in a pod)').env('KUBEGATE_OBSERVABILITY_LISTEN'))
    .addOption(
      new Option('--tunnel-transport <mode>', 'auto: HTTP/2 directly on the connection when the server agrees, WebSocket frames otherwise (and after a failure); websocket: always WebSocket frames (for proxies that read WebSocket frames)')
        .choices(['auto', 'websocket'])
        .default('auto')
        .env('KUBEGATE_TUNNEL_TRANSPORT'),
    )
    .addOption(new Option('--shutdown-grace-period <duration>', 'after SIGTERM: how long requests in flight may finish (e.g. 25s, 1m); new requests go to other pods at once').env('KUBEGATE_SHUTDOWN_GRACE_PERIOD').default('25s'))
    .addOption(
      new Option('--max-long-streams <n>', 'long-lived requests (watch, logs -f, exec, attach, port-forward) this pod carries at once; past it a request gets 429 (default 1000)').env('KUBEGATE_AGENT_MAX_LONG_STREAMS'),
    )
    .addHelpText('after', '\nEnvironment:\n  POD_NAME, POD_NAMESPACE           reported to the server (defaults: host name, "default")\n  HTTPS_PROXY, HTTP_PROXY, NO_PROXY  used to reach the server (any case)\n  KUBEGATE_SERVICE_ACCOUNT_DIR      where the pod\'s ServiceAccount token and ca.crt are (default /var/run/secrets/kubernetes.io/serviceaccount)')
    .action(async function startAgent(flags) {
      const config = agentConfig(flags);
      const controller = new AbortController();
      process.once('SIGTERM', () => controller.abort());
      process.once('SIGINT', () => controller.abort());
      await runAgent(config, controller.signal);
    });
}
