// The log file: winston writing every event, commands and their output included, as JSON lines.
// Values are masked before they are serialised (maskDeep), and the file is readable by its owner
// only: it holds every command the run sent and what came back.
import { closeSync, fchmodSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import winston from 'winston';
import { maskDeep } from '../secret.ts';
import type { EngineEvent, Listener } from './events.ts';

export interface LogFile {
  listener: Listener;
  close(): Promise<void>;
}

export function logFile(path: string): LogFile {
  // Created 0600, or made 0600 before anything is appended to a log that already exists (0644 from
  // an older run, or made by hand); winston's own stream then only appends.
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a', 0o600);
  try {
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
  const logger = winston.createLogger({
    level: 'info',
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.printf((info) => JSON.stringify(maskDeep(info))),
    ),
    transports: [new winston.transports.File({ filename: path, options: { flags: 'a', mode: 0o600 } })],
  });
  return {
    listener: (event: EngineEvent) => logger.info(event.type, { event }),
    close: () =>
      new Promise((resolve) => {
        logger.on('finish', () => resolve());
        logger.end();
      }),
  };
}
