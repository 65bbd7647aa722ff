/**
 * Packs a chart directory into the archive `helm package` would make (`<name>/…` files in
 * a gzipped tar), with `version` and `appVersion` of Chart.yaml set to the given version,
 * and no `helm` binary. Deterministic: files in sorted order, fixed modes, owners and
 * times, so one chart at one version has one digest.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { parseDocument } from 'yaml';
import { KubegateError } from '../../lib/errors.js';
import { CHART_FILE_MTIME } from './defaults.js';
import { parseHelmignore, type IgnoreRule } from './helmignore.js';

/** What Chart.yaml says about the chart (the fields a repository index repeats). */
export interface ChartMetadata {
  apiVersion: string;
  name: string;
  version: string;
  appVersion: string;
  description?: string;
  type?: string;
  kubeVersion?: string;
  keywords?: string[];
}

export interface ChartPackage {
  metadata: ChartMetadata;
  /** `<name>-<version>.tgz`. */
  filename: string;
  archive: Buffer;
  /** Hex SHA-256 of `archive`, as a repository index gives it. */
  digest: string;
}

const FILE_MODE = 0o644;

export async function packageChart(chartDir: string, version: string): Promise<ChartPackage> {
  const chartYaml = await readFile(join(chartDir, 'Chart.yaml'), 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new KubegateError('unavailable', `cannot read the agent chart at ${chartDir} (${err.code ?? err.message}); the Kubegate installation is incomplete: reinstall it`);
  });
  const { text: versionedChartYaml, metadata } = withVersion(chartYaml, version);
  const ignoreFile = await readFile(join(chartDir, '.helmignore'), 'utf8').catch(() => '');
  const files = await listFiles(chartDir, '', parseHelmignore(ignoreFile));

  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk: unknown) => void chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    tar.on('end', resolve);
    tar.on('error', reject);
  });
  for (const file of files) {
    const content = file === 'Chart.yaml' ? Buffer.from(versionedChartYaml) : await readFile(join(chartDir, file));
    tar.entry({ name: `${metadata.name}/${file}`, size: content.length, mode: FILE_MODE, mtime: CHART_FILE_MTIME, uid: 0, gid: 0, uname: '', gname: '', type: 'file' }, content);
  }
  tar.finalize();
  await ended;
  // gzip's header carries no time here (Node writes 0), so equal tars give equal archives.
  const archive = gzipSync(Buffer.concat(chunks), { level: 9 });
  return {
    metadata,
    filename: `${metadata.name}-${metadata.version}.tgz`,
    archive,
    digest: createHash('sha256').update(archive).digest('hex'),
  };
}

/** Chart.yaml with `version` and `appVersion` replaced (comments and layout kept). */
export function withVersion(chartYaml: string, version: string): { text: string; metadata: ChartMetadata } {
  const doc = parseDocument(chartYaml);
  if (doc.errors.length > 0) throw new KubegateError('unavailable', `the agent chart's Chart.yaml does not parse: ${doc.errors[0]!.message}`);
  doc.set('version', version);
  doc.set('appVersion', version);
  const metadata = doc.toJS() as ChartMetadata;
  if (typeof metadata.name !== 'string' || metadata.name === '') throw new KubegateError('unavailable', 'the agent chart\'s Chart.yaml has no name');
  return { text: doc.toString(), metadata };
}

/** Relative paths of the chart's files, sorted, without the ignored ones. */
async function listFiles(root: string, prefix: string, ignored: IgnoreRule): Promise<string[]> {
  const entries = await readdir(join(root, prefix), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (ignored(path, entry.isDirectory())) continue;
    if (entry.isDirectory()) files.push(...(await listFiles(root, path, ignored)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}
