/**
 * The install command reads the server's CA from a file (`--ca-file`, `--set-file
 * config.kasCaCert`) when the server's certificate is signed by its own CA. This step says
 * how to get that file: download it from `GET /-/tls/ca.pem` (the same CA the API put in
 * the command's answer), or write it from the terminal where the command will run.
 */
import { CopyButton } from '../../components/CopyButton';

/** The server's CA, for people (docs/api.md, "Outside /api/v4"). */
export const CA_PEM_URL = '/-/tls/ca.pem';

/** One word for a POSIX shell: bare when it is safe, else single-quoted. */
function shellWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `cat > file <<'EOF' … EOF`: a quoted delimiter, so the shell expands nothing in the PEM. */
export function writeFileCommand(file: string, content: string): string {
  return `cat > ${shellWord(file)} <<'EOF'\n${content.trimEnd()}\nEOF\n`;
}

export function CaCertificateStep({ caCert, caCertFile }: { caCert: string; caCertFile: string }) {
  const fileName = caCertFile.split('/').at(-1) || caCertFile;
  const command = writeFileCommand(caCertFile, caCert);
  return (
    <>
      <p>
        Save the server's CA certificate as <code>{caCertFile}</code> in the directory where you will run the installation command. The server's certificate is signed by
        its own CA, which Helm and the agent must trust; the command reads it from that file.
      </p>
      <p>
        <a className="button button-small" href={CA_PEM_URL} download={fileName}>
          Download {fileName}
        </a>
      </p>
      <details>
        <summary>Or write the file from the terminal</summary>
        <pre className="command" aria-label="Command that writes the CA certificate" tabIndex={0}>
          <code>{command}</code>
        </pre>
        <CopyButton text={command} label="Copy CA command" />
      </details>
    </>
  );
}
