// The Notify client the config's `notify` section describes; null without one.
import type { Config } from '../../../config/schema.ts';
import { NotifyClient } from './client.ts';

export function notifyClientFrom(cfg: Config['notify']): NotifyClient | null {
  if (!cfg) return null;
  return new NotifyClient({
    baseUrl: cfg.baseUrl,
    apiKey: cfg.apiKey,
    templates: {
      sms: cfg.smsTemplateId,
      email: cfg.emailTemplateId,
      cancelSms: cfg.cancelSmsTemplateId,
      cancelEmail: cfg.cancelEmailTemplateId,
      bilingualSms: cfg.bilingualSmsTemplateId,
      bilingualEmail: cfg.bilingualEmailTemplateId,
    },
    timeoutSeconds: cfg.timeoutSeconds,
  });
}
