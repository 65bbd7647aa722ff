/**
 * Sign in with a personal access token (and, optionally, the user name it belongs to).
 * The token is sent once to `POST /-/session` and then forgotten: the browser keeps only
 * the session cookie, which no script can read.
 */
import { useState, type FormEvent } from 'react';
import { useSession } from './SessionContext';
import { TextField, FormError } from '../components/FormField';
import { usePageTitle } from '../components/Layout';
import { formError, type FieldError } from '../api/fields';
import { paths } from '../routes';

const FIELDS = ['token', 'username'];

/** Only a path of this UI may be a redirect target (never another site). */
export function safeRedirect(target: string | null): string {
  if (!target || !target.startsWith('/') || target.startsWith('//') || target.startsWith('/\\')) return paths.home();
  return target;
}

export function SignInPage({ reason }: { reason?: string | null }) {
  usePageTitle('Sign in');
  const { signIn } = useSession();
  const [token, setToken] = useState('');
  const [username, setUsername] = useState('');
  const [error, setError] = useState<FieldError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn({ token, ...(username.trim() ? { username: username.trim() } : {}) });
      // The session is set: the app now renders the page of `?redirect=` (App.tsx).
    } catch (err) {
      setError(formError(err, FIELDS));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="content" className="sign-in">
      <h1>Sign in to Kubegate</h1>
      {reason ? (
        <p className="notice notice-warning" role="status">
          {reason}
        </p>
      ) : null}
      <form onSubmit={submit} noValidate>
        <TextField
          label="Personal access token"
          name="token"
          type="password"
          autoComplete="current-password"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          required
          hint="A token with the api scope (read_api gives a read-only session). The server's first start prints the root administrator's token."
          error={error?.field === 'token' ? error.message : null}
        />
        <TextField
          label="User name (optional)"
          name="username"
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          hint="When given, the token must belong to this user."
          error={error?.field === 'username' ? error.message : null}
        />
        <FormError message={error && error.field === null ? error.message : null} />
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
