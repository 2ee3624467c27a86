// The log file: winston writing every event, commands and their output included, as JSON lines.
import winston from 'winston';
import { maskSecrets } from '../secret.ts';
import type { EngineEvent, Listener } from './events.ts';

export interface LogFile {
  listener: Listener;
  close(): Promise<void>;
}

export function logFile(path: string): LogFile {
  const logger = winston.createLogger({
    level: 'info',
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.printf((info) => maskSecrets(JSON.stringify(info))),
    ),
    transports: [new winston.transports.File({ filename: path })],
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
