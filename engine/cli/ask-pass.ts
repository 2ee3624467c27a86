// --ask-become-pass: reads the sudo password from the terminal without echo (or one line of stdin
// when it is not a terminal), before any host is touched.
import { Secret } from '../secret.ts';

export async function askBecomePass(): Promise<Secret> {
  const input = process.stdin;
  if (!input.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(chunk as Buffer);
    return new Secret(Buffer.concat(chunks).toString().split('\n')[0]);
  }
  process.stderr.write('BECOME password: ');
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve) => {
    let value = '';
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString()) {
        if (ch === '\r' || ch === '\n') {
          input.setRawMode(false);
          input.pause();
          input.off('data', onData);
          process.stderr.write('\n');
          resolve(new Secret(value));
          return;
        }
        if (ch === '\u0003') process.exit(130);
        value = ch === '\u007f' ? value.slice(0, -1) : value + ch;
      }
    };
    input.on('data', onData);
  });
}
