import pino, { type Logger } from 'pino';
import type { Config } from './config';

/** Structured logs. Fields that could carry a credential or an SDP body are censored wherever they appear. */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'switchboard' },
    redact: {
      paths: ['token', 'authToken', 'sdp', 'candidate', 'authorization', '*.token', '*.authToken', '*.sdp', '*.authorization'],
      censor: '[redacted]',
    },
  });
}
