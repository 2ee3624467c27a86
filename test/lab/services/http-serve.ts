// A static file server for the lab's local apt repository (run detached by services/apt-repo.ts).
// Usage: http-serve.ts ADDRESS PORT DIR
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { join, normalize } from 'node:path';

const [address, port, root] = process.argv.slice(2);
createServer((req, res) => {
  const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]));
  const file = join(root, path);
  if (!file.startsWith(root) || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(400).end();
    return;
  }
  let st;
  try {
    st = statSync(file);
  } catch {
    res.writeHead(404).end();
    return;
  }
  if (!st.isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-length': st.size, 'last-modified': st.mtime.toUTCString() });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
}).listen(Number(port), address);
