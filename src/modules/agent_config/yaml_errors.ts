/** YAML parser errors in the words of someone editing a configuration file. */
import type { YAMLError } from 'yaml';

export function describeYamlError(error: YAMLError, text: string): string {
  // The error's range may cover one character only; a duplicate key runs up to its colon.
  const found = /^("[^"]*"|'[^']*'|[^:#\n]+?)\s*:/.exec(text.slice(error.pos[0]))?.[1]?.replace(/^["']|["']$/g, '') ?? '';
  switch (error.code) {
    case 'MULTIPLE_DOCS':
      return 'the file holds more than one YAML document (a second "---" line); keep everything in one document.';
    case 'DUPLICATE_KEY':
      return `the key ${found === '' ? '' : `${JSON.stringify(found)} `}appears twice in the same mapping; keep only one of them.`;
    case 'TAB_AS_INDENT':
      return 'YAML syntax error: tabs are not allowed as indentation; indent with spaces.';
    default:
      return `YAML syntax error: ${error.message.replace(/\.$/, '')}; fix the YAML and push again.`;
  }
}
