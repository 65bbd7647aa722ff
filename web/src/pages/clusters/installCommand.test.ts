import { describe, expect, test } from 'vitest';
import { helmInstallCommand, serverOrigin } from './installCommand';

const VERSION = { version: '0.1.0', revision: 'abc', kas: { enabled: true, externalUrl: 'wss://kubegate.example.com:8443/-/kubernetes-agent/', version: '0.1.0' } };

describe('install command', () => {
  test('the chart repository is on the server the agent dials', () => {
    expect(serverOrigin('wss://kubegate.example.com:8443/-/kubernetes-agent/')).toBe('https://kubegate.example.com:8443');
    expect(serverOrigin('ws://127.0.0.1:8080/-/kubernetes-agent/')).toBe('http://127.0.0.1:8080');
  });

  test('carries the token, the kas address and the server version', () => {
    const command = helmInstallCommand({ agentName: 'prod', token: 'kgagent-abc', version: VERSION });
    expect(command.split('\n')[0]).toBe('helm repo add kubegate https://kubegate.example.com:8443/-/charts');
    expect(command).toContain('helm upgrade --install prod kubegate/kubegate-agent');
    expect(command).toContain('--namespace gitlab-agent-prod');
    expect(command).toContain('--set config.token=kgagent-abc');
    expect(command).toContain('--set config.kasAddress=wss://kubegate.example.com:8443/-/kubernetes-agent/');
    expect(command).toContain('--set image.tag=0.1.0');
  });
});
