// `npx tsx engine ...` (the README's command) lands here, inside tsx's loader. The engine itself runs
// from its bundle in plain node (engine/cli.mjs), as a child with the same arguments and terminal:
// started inside tsx's loader, the same engine takes about a second longer to start.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const child = spawn(process.execPath, [join(import.meta.dirname, 'cli.mjs'), ...process.argv.slice(2)], { stdio: 'inherit' });
const forward = (signal: NodeJS.Signals) => child.kill(signal);
for (const s of SIGNALS) process.on(s, forward);

child.on('error', (err) => {
  process.stderr.write(`engine: could not start ${process.execPath}: ${err.message}\n`);
  process.exitCode = 1;
});
child.on('exit', (code, signal) => {
  for (const s of SIGNALS) process.off(s, forward);
  if (signal) process.kill(process.pid, signal);
  else process.exitCode = code ?? 1;
});
