/**
 * GitLab's application settings API (`GET/PUT /application/settings`, administrators
 * only) for the settings Kubegate has: the Amazon EKS integration. Like GitLab, PUT takes
 * its fields from the query string or the JSON body; the secret access key is write-only.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, forbidden, unauthorized } from '../../../lib/errors.js';
import { parse } from '../../../lib/validate.js';
import type { EksSettings, EksSettingsService } from './settings.js';
import { SETTINGS_FIELDS, settingsUpdate } from './settings_input.js';

export function registerSettingsRoutes(app: FastifyInstance, settings: EksSettingsService): void {
  function requireAdmin(request: FastifyRequest): void {
    if (!request.actor.user) throw unauthorized();
    if (!request.actor.user.admin) throw forbidden('403 Forbidden: only administrators read and change the application settings');
  }

  app.get('/api/v4/application/settings', async function getApplicationSettings(request) {
    requireAdmin(request);
    return settingsJson(await settings.get());
  });

  app.put('/api/v4/application/settings', async function updateApplicationSettings(request) {
    requireAdmin(request);
    const input = { ...objectOrEmpty(request.query), ...objectOrEmpty(request.body) };
    const unknown = Object.keys(input).filter((key) => !SETTINGS_FIELDS.includes(key));
    if (unknown.length > 0) {
      throw badRequest(`${unknown.join(', ')}: not a setting Kubegate has; the application settings it keeps are ${SETTINGS_FIELDS.join(', ')}`);
    }
    const updated = await settings.update(parse(settingsUpdate, input));
    // Field names only: the values (the secret above all) stay out of the log.
    request.log.info({ fields: Object.keys(input) }, 'application settings updated');
    return settingsJson(updated);
  });
}

/** GitLab's field names; `eks_secret_access_key` is never part of an answer. */
export function settingsJson(s: EksSettings) {
  return {
    id: 1,
    eks_integration_enabled: s.enabled,
    eks_account_id: s.accountId,
    eks_access_key_id: s.accessKeyId,
    updated_at: s.updatedAt,
  };
}

function objectOrEmpty(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
