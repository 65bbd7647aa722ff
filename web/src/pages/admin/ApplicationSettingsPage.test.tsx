import { describe, expect, test } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { TEST_CSRF, TEST_USER, fakeApi, renderApp } from '../../test/render';

const AT = '/admin/application_settings/general';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const EMPTY = { id: 1, eks_integration_enabled: false, eks_account_id: null, eks_access_key_id: null, updated_at: null };
const STORED = { id: 1, eks_integration_enabled: true, eks_account_id: '123456789012', eks_access_key_id: 'AKIAIOSFODNN7EXAMPLE', updated_at: '2026-01-01T00:00:00.000Z' };

function describedBy(input: HTMLElement): string {
  return (input.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' ');
}

describe('the Amazon EKS settings (administrators)', () => {
  test('enabling the integration: a refusal is shown beside its field; the secret is sent once and never shown back', async () => {
    let current: Record<string, unknown> = EMPTY;
    const api = fakeApi({
      'GET /application/settings': () => ({ body: current }),
      'PUT /application/settings': (req) => {
        const body = req.body as Record<string, unknown>;
        if (body.eks_account_id === '12345') return { status: 400, body: { message: 'eks_account_id must be a 12-digit AWS account ID, e.g. 123456789012' } };
        current = { ...STORED, eks_integration_enabled: body.eks_integration_enabled, eks_account_id: body.eks_account_id, eks_access_key_id: body.eks_access_key_id };
        return { body: current };
      },
    });
    const user = userEvent.setup();
    const { container } = renderApp(AT);
    const secret = await screen.findByLabelText('Secret access key');
    expect(describedBy(secret)).toContain('Not set');
    expect(document.querySelector('[data-secret-status]')?.getAttribute('data-secret-status')).toBe('not-set');
    expect(describedBy(secret)).toContain('No secret access key is stored');

    await user.click(screen.getByLabelText('Enable Amazon EKS integration'));
    await user.type(screen.getByLabelText('Account ID'), '12345');
    await user.type(screen.getByLabelText('Access key ID'), 'AKIAIOSFODNN7EXAMPLE');
    await user.type(secret, SECRET);
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    const accountId = screen.getByLabelText('Account ID');
    await waitFor(() => expect(describedBy(accountId)).toContain('eks_account_id must be a 12-digit AWS account ID, e.g. 123456789012'));
    expect(accountId.getAttribute('aria-invalid')).toBe('true');

    await user.clear(accountId);
    await user.type(accountId, '123456789012');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await screen.findByText('Settings saved.');
    const puts = api.requests.filter((r) => r.method === 'PUT');
    expect(puts.at(-1)!.body).toEqual({ eks_integration_enabled: true, eks_account_id: '123456789012', eks_access_key_id: 'AKIAIOSFODNN7EXAMPLE', eks_secret_access_key: SECRET });
    expect(puts.at(-1)!.headers['x-csrf-token']).toBe(TEST_CSRF);
    // Stored: marked as set, the field emptied, the value nowhere on the page.
    expect(describedBy(screen.getByLabelText('Secret access key'))).toMatch(/^Set A secret access key is stored/);
    expect(document.querySelector('[data-secret-status]')?.getAttribute('data-secret-status')).toBe('set');
    expect((screen.getByLabelText('Secret access key') as HTMLInputElement).value).toBe('');
    expect(container.innerHTML).not.toContain(SECRET);
  });

  test('with a secret stored: saving without typing one keeps it; a new key ID needs its own secret', async () => {
    const api = fakeApi({
      'GET /application/settings': { body: STORED },
      'PUT /application/settings': (req) => ({ body: { ...STORED, ...(req.body as object) } }),
    });
    const user = userEvent.setup();
    renderApp(AT);
    const secret = await screen.findByLabelText('Secret access key');
    expect(describedBy(secret)).toContain('A secret access key is stored, encrypted; it is never shown.');
    expect((secret as HTMLInputElement).type).toBe('password');
    expect((secret as HTMLInputElement).value).toBe('');
    expect(screen.getByLabelText('Enable Amazon EKS integration')).toHaveProperty('checked', true);

    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await screen.findByText('Settings saved.');
    expect(api.requests.find((r) => r.method === 'PUT')!.body).toEqual({ eks_integration_enabled: true, eks_account_id: '123456789012', eks_access_key_id: 'AKIAIOSFODNN7EXAMPLE' });

    const keyId = screen.getByLabelText('Access key ID');
    await user.clear(keyId);
    await user.type(keyId, 'AKIAI44QH8DHBEXAMPLE');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(describedBy(screen.getByLabelText('Secret access key'))).toContain("eks_secret_access_key can't be blank when eks_access_key_id changes"));
    expect(api.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });

  test('others see the refusal, and no Admin settings link', async () => {
    fakeApi({
      'GET /-/session': { body: { user: { ...TEST_USER, username: 'maint', is_admin: false }, csrf_token: TEST_CSRF, expires_at: '2099-01-01T00:00:00.000Z' } },
      'GET /application/settings': { status: 403, body: { message: '403 Forbidden: only administrators read and change the application settings' } },
    });
    renderApp(AT);
    expect(await screen.findByText(/only administrators read and change the application settings/)).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Admin settings' })).toBeNull();
  });

  test('administrators find the page in the top bar', async () => {
    fakeApi({ 'GET /application/settings': { body: EMPTY } });
    renderApp(AT);
    expect((await screen.findByRole('link', { name: 'Admin settings' })).getAttribute('href')).toBe(AT);
  });
});
