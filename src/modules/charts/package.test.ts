import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';
import { parse } from 'yaml';
import { packageChart, withVersion } from './package.js';
import { AGENT_CHART_DIR } from './server.js';

async function entries(archive: Buffer): Promise<Map<string, { content: string; mode: number; mtime: Date; uid: number }>> {
  const out = new Map<string, { content: string; mode: number; mtime: Date; uid: number }>();
  const unpack = extract();
  unpack.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
    stream.on('end', () => {
      out.set(header.name, { content: Buffer.concat(chunks).toString(), mode: header.mode!, mtime: header.mtime!, uid: header.uid! });
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    unpack.on('finish', resolve);
    unpack.on('error', reject);
    Readable.from([gunzipSync(archive)]).pipe(unpack);
  });
  return out;
}

test('the agent chart packs under kubegate-agent/ with version and appVersion set to the given version', async () => {
  const chart = await packageChart(AGENT_CHART_DIR, '9.8.7');
  assert.equal(chart.filename, 'kubegate-agent-9.8.7.tgz');
  assert.equal(chart.digest, createHash('sha256').update(chart.archive).digest('hex'));
  const files = await entries(chart.archive);
  for (const name of ['Chart.yaml', 'values.yaml', 'values.schema.json', 'templates/deployment.yaml', 'templates/_helpers.tpl', 'README.md']) {
    assert.ok(files.has(`kubegate-agent/${name}`), `kubegate-agent/${name} is packed`);
  }
  const chartYaml = parse(files.get('kubegate-agent/Chart.yaml')!.content);
  assert.equal(chartYaml.version, '9.8.7');
  assert.equal(chartYaml.appVersion, '9.8.7');
  assert.equal(chartYaml.name, 'kubegate-agent');
  assert.deepEqual(chart.metadata.keywords?.includes('kubegate'), true);
});

test('packing is deterministic: same bytes whatever the files\' times, owners-independent modes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'chart-pack-'));
  await cp(AGENT_CHART_DIR, dir, { recursive: true });
  const first = await packageChart(dir, '1.2.3');
  await utimes(join(dir, 'values.yaml'), new Date(), new Date('2031-05-06T07:08:09Z'));
  const second = await packageChart(dir, '1.2.3');
  assert.equal(second.digest, first.digest);
  assert.ok(second.archive.equals(first.archive));
  for (const entry of (await entries(first.archive)).values()) {
    assert.equal(entry.mode, 0o644);
    assert.equal(entry.uid, 0);
    assert.equal(entry.mtime.toISOString(), '2000-01-01T00:00:00.000Z');
  }
  const other = await packageChart(dir, '1.2.4');
  assert.notEqual(other.digest, first.digest);
});

test('.helmignore patterns leave files out, as helm package does', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'chart-ignore-'));
  await cp(AGENT_CHART_DIR, dir, { recursive: true });
  await writeFile(join(dir, 'notes.bak'), 'x');
  await writeFile(join(dir, 'templates', 'draft.yaml~'), 'x');
  const files = await entries((await packageChart(dir, '1.0.0')).archive);
  assert.ok(!files.has('kubegate-agent/notes.bak'));
  assert.ok(!files.has('kubegate-agent/templates/draft.yaml~'));
  assert.ok(files.has('kubegate-agent/templates/secret.yaml'));
});

test('a missing chart is refused with the way out', async () => {
  await assert.rejects(packageChart('/nonexistent/chart', '1.0.0'), /cannot read the agent chart at \/nonexistent\/chart \(ENOENT\); the Kubegate installation is incomplete: reinstall it/);
});

test('withVersion keeps comments and quotes versions that YAML would read as numbers', () => {
  const { text, metadata } = withVersion('# the chart\napiVersion: v2\nname: x\nversion: 0.0.1 # bumped by the server\nappVersion: "0.0.1"\n', '1.10');
  assert.match(text, /^# the chart\n/);
  assert.equal(parse(text).version, '1.10');
  assert.equal(parse(text).appVersion, '1.10');
  assert.equal(metadata.version, '1.10');
});
