// Preloaded into the engine's process (NODE_OPTIONS=--import) by the transfer test: prints the
// process's peak resident set size on stderr when it exits, to show a transfer is streamed.
import { writeSync } from 'node:fs';
process.on('exit', () => writeSync(2, `\nmaxrss_kb=${process.resourceUsage().maxRSS}\n`));
