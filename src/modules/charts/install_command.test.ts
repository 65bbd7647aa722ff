import { test } from 'node:test';
import assert from 'node:assert/strict';
import { installInstructions, shellWord } from './install_command.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

test('with a private CA: repo add --ca-file, the CA as config.kasCaCert, wss:// address, the image at the server version', () => {
  const i = installInstructions({ externalUrl: 'https://kubegate.example.com/', agentName: 'prod', token: 'kgagent-abc', version: '1.2.3', caCert: CA, caCertFile: '/home/me/kubegate-ca.pem' });
  assert.equal(
    i.command,
    'helm repo add --force-update kubegate https://kubegate.example.com/-/charts --ca-file /home/me/kubegate-ca.pem\n' +
      'helm upgrade --install prod kubegate/kubegate-agent \\\n' +
      '    --namespace kubegate-agent-prod \\\n' +
      '    --create-namespace \\\n' +
      '    --set config.token=kgagent-abc \\\n' +
      '    --set config.kasAddress=wss://kubegate.example.com/-/kubernetes-agent/ \\\n' +
      '    --set-file config.kasCaCert=/home/me/kubegate-ca.pem \\\n' +
      '    --set image.tag=1.2.3\n',
  );
  assert.equal(i.chartRepositoryUrl, 'https://kubegate.example.com/-/charts');
  assert.equal(i.releaseName, 'prod');
  assert.equal(i.namespace, 'kubegate-agent-prod');
  assert.equal(i.caCert, CA);
  assert.equal(i.caCertFile, '/home/me/kubegate-ca.pem');
});

test('a public or no CA: no CA flags; the default CA file name when none is given', () => {
  const plain = installInstructions({ externalUrl: 'http://10.0.0.5:8080', agentName: 'dev', token: 't', version: '1.0.0', caCert: null, caCertFile: '/x/ca.pem' });
  assert.doesNotMatch(plain.command, /ca-file|kasCaCert/);
  assert.match(plain.command, /--set config\.kasAddress=ws:\/\/10\.0\.0\.5:8080\/-\/kubernetes-agent\//);
  assert.equal(plain.caCertFile, null);
  const defaulted = installInstructions({ externalUrl: 'https://k', agentName: 'dev', token: 't', version: '1.0.0', caCert: CA });
  assert.equal(defaulted.caCertFile, 'kubegate-ca.pem');
  assert.match(defaulted.command, /--ca-file kubegate-ca\.pem\n/);
});

test('long agent names fit helm release (53) and namespace (63) limits without a trailing dash', () => {
  const name = `${'a'.repeat(52)}-b${'c'.repeat(9)}`;
  const i = installInstructions({ externalUrl: 'https://k', agentName: name, token: 't', version: '1.0.0', caCert: null });
  assert.equal(i.releaseName, 'a'.repeat(52));
  assert.ok(i.namespace.length <= 63 && !i.namespace.endsWith('-'));
  assert.ok(i.namespace.startsWith('kubegate-agent-aaa'));
});

test('words a shell or helm --set would split are quoted and escaped', () => {
  assert.equal(shellWord('/home/me/my ca.pem'), "'/home/me/my ca.pem'");
  assert.equal(shellWord("it's"), "'it'\\''s'");
  assert.equal(shellWord('config.token=kgagent-AbC123'), 'config.token=kgagent-AbC123');
  const i = installInstructions({ externalUrl: 'https://k/a,b', agentName: 'x', token: 't', version: '1.0.0', caCert: CA, caCertFile: '/tmp/my ca.pem' });
  assert.match(i.command, /--ca-file '\/tmp\/my ca\.pem'/);
  assert.match(i.command, /--set-file 'config\.kasCaCert=\/tmp\/my ca\.pem'/);
  assert.match(i.command, /--set 'config\.kasAddress=wss:\/\/k\/a\\,b\/-\/kubernetes-agent\/'/);
});
