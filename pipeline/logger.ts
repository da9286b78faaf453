import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stderr (stdout is for what a command prints for people and pipes). */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({ name: options.name ?? 'vigil', level: options.level ?? process.env.VIGIL_LOG_LEVEL ?? 'info' }, pino.destination(2));
}

/** A logger that says nothing, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
