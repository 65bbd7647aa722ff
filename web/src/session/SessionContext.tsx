/**
 * Who is signed in. The session lives on the server (an HttpOnly cookie the page cannot
 * read); the page asks `GET /-/session` on load for the user and the CSRF token, and
 * keeps the token in memory only. A 401 from any API call ends the session here too,
 * and the sign-in page says why.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError, api, setCsrfToken, setUnauthorizedHandler } from '../api/client';
import type { Session, User } from '../api/types';

type SessionState =
  | { status: 'loading' }
  | { status: 'signedOut'; reason: string | null }
  | { status: 'signedIn'; user: User; expiresAt: string }
  | { status: 'error'; message: string };

interface SessionApi {
  state: SessionState;
  signIn(input: { token: string; username?: string }): Promise<void>;
  signOut(): Promise<void>;
  retry(): void;
}

const SessionContext = createContext<SessionApi | null>(null);

export const SESSION_PATH = '/-/session';

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const queryClient = useQueryClient();

  const start = useCallback((session: Session) => {
    setCsrfToken(session.csrf_token);
    setState({ status: 'signedIn', user: session.user, expiresAt: session.expires_at });
  }, []);

  const end = useCallback(
    (reason: string | null) => {
      setCsrfToken(null);
      // Nothing one user saw may show for the next.
      queryClient.clear();
      setState({ status: 'signedOut', reason });
    },
    [queryClient],
  );

  useEffect(() => {
    let cancelled = false;
    api.get<Session>(SESSION_PATH).then(
      (session) => !cancelled && start(session),
      (err: unknown) => {
        if (cancelled) return;
        if (err instanceof ApiError && err.status === 401) setState({ status: 'signedOut', reason: null });
        else setState({ status: 'error', message: err instanceof Error ? err.message : String(err) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [attempt, start]);

  useEffect(() => {
    setUnauthorizedHandler((message) => end(message));
    return () => setUnauthorizedHandler(null);
  }, [end]);

  const value = useMemo<SessionApi>(
    () => ({
      state,
      async signIn(input) {
        start(await api.post<Session>(SESSION_PATH, input));
      },
      async signOut() {
        try {
          await api.delete(SESSION_PATH);
        } finally {
          end(null);
        }
      },
      retry() {
        setState({ status: 'loading' });
        setAttempt((n) => n + 1);
      },
    }),
    [state, start, end],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in user (pages behind the sign-in only). */
export function useCurrentUser(): User {
  const { state } = useSession();
  if (state.status !== 'signedIn') throw new Error('useCurrentUser without a session');
  return state.user;
}
