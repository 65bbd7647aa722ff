// Just enough of `sh -c` for test scripts: words with quotes and $VARs,
// `;` `&&` `||` `|`, and `<` `>` `>>` `2>&1` redirections. No loops, no
// functions — tests that need more should use a dedicated command.

export interface SimpleCommand {
  argv: string[];
  stdinFile?: string;
  stdoutFile?: { path: string; append: boolean };
  stderrToStdout?: boolean;
  stdoutToStderr?: boolean;
  stderrFile?: { path: string; append: boolean };
}

export interface Pipeline {
  commands: SimpleCommand[];
  /** How this pipeline joins the previous one. */
  join: ';' | '&&' | '||';
}

type Token = { kind: 'word'; value: string } | { kind: 'op'; value: string };

function tokenize(script: string, env: Record<string, string>): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let word = '';
  let inWord = false;
  const flush = (): void => {
    if (inWord) tokens.push({ kind: 'word', value: word });
    word = '';
    inWord = false;
  };
  const expand = (): string => {
    // $NAME, ${NAME}, $? (always 0 here)
    let name = '';
    if (script[i] === '{') {
      const end = script.indexOf('}', i);
      name = script.slice(i + 1, end);
      i = end + 1;
    } else if (script[i] === '?') {
      i++;
      return '0';
    } else {
      while (i < script.length && /[A-Za-z0-9_]/.test(script[i]!)) name += script[i++];
    }
    return name ? env[name] ?? '' : '$';
  };
  while (i < script.length) {
    const ch = script[i]!;
    if (ch === '\\' && i + 1 < script.length) {
      word += script[i + 1];
      inWord = true;
      i += 2;
    } else if (ch === "'") {
      const end = script.indexOf("'", i + 1);
      word += script.slice(i + 1, end < 0 ? undefined : end);
      inWord = true;
      i = end < 0 ? script.length : end + 1;
    } else if (ch === '"') {
      i++;
      inWord = true;
      while (i < script.length && script[i] !== '"') {
        if (script[i] === '\\' && i + 1 < script.length && '"\\$`'.includes(script[i + 1]!)) {
          word += script[i + 1];
          i += 2;
        } else if (script[i] === '$') {
          i++;
          word += expand();
        } else word += script[i++];
      }
      i++;
    } else if (ch === '$') {
      i++;
      word += expand();
      inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      flush();
      i++;
    } else if (ch === '#' && !inWord) {
      while (i < script.length && script[i] !== '\n') i++;
    } else {
      const ahead = script.slice(i, i + 4);
      const op = ['2>&1', '1>&2', '>&2', '>>', '&&', '||', '2>', ';', '\n', '|', '>', '<', '&'].find((o) => ahead.startsWith(o) && !(o.length > 2 || o === '2>' ? inWord : false));
      if (op) {
        flush();
        tokens.push({ kind: 'op', value: op === '\n' || op === '&' ? ';' : op });
        i += op.length;
      } else {
        word += ch;
        inWord = true;
        i++;
      }
    }
  }
  flush();
  return tokens;
}

export function parseScript(script: string, env: Record<string, string>): Pipeline[] {
  const tokens = tokenize(script, env);
  const pipelines: Pipeline[] = [];
  let current: Pipeline = { commands: [], join: ';' };
  let cmd: SimpleCommand = { argv: [] };
  const endCommand = (): void => {
    if (cmd.argv.length > 0) current.commands.push(cmd);
    cmd = { argv: [] };
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'word') {
      cmd.argv.push(t.value);
      continue;
    }
    const next = tokens[i + 1];
    switch (t.value) {
      case '|':
        endCommand();
        break;
      case ';':
      case '&&':
      case '||':
        endCommand();
        if (current.commands.length > 0) pipelines.push(current);
        current = { commands: [], join: t.value };
        break;
      case '>':
      case '>>':
        if (next?.kind === 'word') cmd.stdoutFile = { path: next.value, append: t.value === '>>' };
        i++;
        break;
      case '2>':
        if (next?.kind === 'word') cmd.stderrFile = { path: next.value, append: false };
        i++;
        break;
      case '<':
        if (next?.kind === 'word') cmd.stdinFile = next.value;
        i++;
        break;
      case '2>&1':
        cmd.stderrToStdout = true;
        break;
      case '>&2':
      case '1>&2':
        cmd.stdoutToStderr = true;
        break;
    }
  }
  endCommand();
  if (current.commands.length > 0) pipelines.push(current);
  return pipelines;
}
