/**
 * Parsing and validating `.gitlab/agents/<agent-name>/config.yaml` (DESIGN.md §3).
 * Pure: no I/O, no clock. The caller stores the result; when there are errors it keeps
 * the last good configuration in force and shows the errors on the agent.
 */
import { LineCounter, parseDocument } from 'yaml';
import { readCiAccess } from './ci_access.js';
import { describeValue } from './describe.js';
import { MAX_ALIAS_COUNT, MAX_CONFIG_BYTES } from './defaults.js';
import { readFlux } from './flux.js';
import { byPosition, createReporter, withPosition } from './report.js';
import { sectionWarning } from './sections.js';
import { describeYamlError } from './yaml_errors.js';
import type { AgentConfig, ConfigProblem, ParseResult } from './types.js';

function emptyConfig(): AgentConfig {
  return { ci_access: { projects: [], groups: [] }, flux: {} };
}

function failed(message: string, warnings: ConfigProblem[] = []): ParseResult {
  return { config: null, errors: [{ message }], warnings };
}

/**
 * Parses the file's content; `null`/`undefined` stands for a missing file, which like an
 * empty or comments-only file is a valid empty configuration (implicit access only).
 */
export function parseAgentConfig(source: string | Uint8Array | null | undefined): ParseResult {
  if (source === null || source === undefined) return { config: emptyConfig(), errors: [], warnings: [] };
  const bytes = typeof source === 'string' ? Buffer.byteLength(source, 'utf8') : source.byteLength;
  if (bytes > MAX_CONFIG_BYTES) {
    return failed(
      `the configuration file is ${formatKiB(bytes)} (${bytes} bytes) and the limit is ${formatKiB(MAX_CONFIG_BYTES)} (${MAX_CONFIG_BYTES} bytes); ` +
        'remove unused sections, or authorize groups instead of listing their projects one by one.',
    );
  }
  const text = decode(source);
  if (text === undefined) return failed('the configuration file is not valid UTF-8 text; save it as UTF-8 and push again.');
  return parseText(text);
}

function parseText(text: string): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  const reporter = createReporter(doc, lineCounter);
  const yamlWarnings = doc.warnings.map(function yamlWarning(w) {
    const { line, col } = lineCounter.linePos(w.pos[0]);
    return withPosition(`YAML: ${w.message}`, { line, column: col });
  });
  if (doc.errors.length > 0) {
    const errors = doc.errors.map(function yamlError(e) {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      return withPosition(describeYamlError(e, text), { line, column: col });
    });
    return { config: null, errors, warnings: yamlWarnings };
  }
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    return failed(`the configuration file could not be read: ${(err as Error).message}; use fewer YAML aliases.`, yamlWarnings);
  }
  // Empty and comments-only files have no content at all.
  if (root === null || root === undefined) return { config: emptyConfig(), errors: [], warnings: yamlWarnings };
  if (typeof root !== 'object' || Array.isArray(root)) {
    reporter.error(
      [],
      `the configuration file must be a mapping of sections such as "ci_access:" and "flux:", not ${describeValue(root)}.`,
    );
    return { config: null, errors: reporter.errors, warnings: yamlWarnings };
  }

  const sections = root as Record<string, unknown>;
  const config = emptyConfig();
  for (const key of Object.keys(sections)) {
    if (key === 'ci_access') config.ci_access = readCiAccess(sections.ci_access, reporter);
    else if (key === 'flux') config.flux = readFlux(sections.flux, reporter);
    else reporter.warning([key], sectionWarning(key), 'key');
  }
  const warnings = [...yamlWarnings, ...reporter.warnings].sort(byPosition);
  if (reporter.errors.length > 0) return { config: null, errors: [...reporter.errors].sort(byPosition), warnings };
  return { config, errors: [], warnings };
}

function decode(source: string | Uint8Array): string | undefined {
  if (typeof source === 'string') return source.replace(/^\uFEFF/, '');
  try {
    // Strips a byte order mark; `fatal` turns invalid UTF-8 into an error instead of U+FFFD.
    return new TextDecoder('utf-8', { fatal: true }).decode(source);
  } catch {
    return undefined;
  }
}

/** Rounded up, so a file one byte over the limit never reads as exactly the limit. */
function formatKiB(bytes: number): string {
  const kib = Math.ceil((bytes / 1024) * 10) / 10;
  return `${Number.isInteger(kib) ? kib : kib.toFixed(1)} KiB`;
}
