// getUrl: a pinned download from the lab's HTTP server (through the controller and by the host),
// a pin that changed, a folder that does not exist. The payloads are fixed bytes, so their sha256
// are known when the table loads (here and in the engine that loads the playbook).
import { createHash } from 'node:crypto';
import { task } from '../../../../engine/playbook/define.ts';
import { file } from '../../../../modules/file/file.ts';
import { getUrl } from '../../../../modules/get-url/get-url.ts';
import { table } from '../case.ts';

const DIR = 'ss-converge-geturl';
/** The lab's HTTP server (test/lab/services/apt-repo.ts serves $LAB_DIR/apt on the bridge). */
const url = (name: string) => `http://10.77.0.1:8080/${DIR}/${name}`;
const V1 = 'payload one\n'.repeat(1000);
const V2 = 'payload two\n'.repeat(1000);
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

let served: Promise<void> | undefined;
const serve = () =>
  (served ??= Promise.all([import('node:fs'), import('node:path'), import('../../../lab/index.ts')]).then(([fs, path, lab]) => {
    fs.mkdirSync(path.join(lab.labPaths.aptDir, DIR), { recursive: true });
    fs.writeFileSync(path.join(lab.labPaths.aptDir, DIR, 'v1.txt'), V1);
    fs.writeFileSync(path.join(lab.labPaths.aptDir, DIR, 'v2.txt'), V2);
  }));

export const getUrlCases = table(
  {
    name: 'getUrl: pinned downloads through the controller and by the host, with a mode',
    controller: serve,
    prepare: 'apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null',
    tasks: [
      task('folder', file({ path: '/srv/dl', state: 'directory' })),
      task('via controller', getUrl({ url: url('v1.txt'), dest: '/srv/dl/a.txt', sha256: sha(V1), mode: '0640' })),
      task('via host', getUrl({ url: url('v1.txt'), dest: '/srv/dl/b.txt', sha256: sha(V1), via: 'host' })),
    ],
    changed: ['folder', 'via controller', 'via host'],
    readBack: "stat -c '%n %a %U' /srv/dl/a.txt /srv/dl/b.txt; sha256sum /srv/dl/a.txt /srv/dl/b.txt | cut -d' ' -f1 | uniq",
    want: `/srv/dl/a.txt 640 root\n/srv/dl/b.txt 644 root\n${sha(V1)}\n`,
  },
  {
    name: 'getUrl: a pin that changed replaces the file',
    controller: serve,
    prepare: `printf 'payload one\\n%.0s' $(seq 1000) > /srv/p.txt`,
    tasks: [task('v2', getUrl({ url: url('v2.txt'), dest: '/srv/p.txt', sha256: sha(V2) }))],
    changed: ['v2'],
    readBack: "sha256sum /srv/p.txt | cut -d' ' -f1",
    want: `${sha(V2)}\n`,
  },
  {
    name: 'getUrl: into a folder that does not exist fails in the dry run as in the real run (defect 6)',
    controller: serve,
    tasks: [task('dl', getUrl({ url: url('v1.txt'), dest: '/srv/missing/a.txt', sha256: sha(V1) }))],
    changed: [],
    fails: { task: 'dl', msg: /^the folder \/srv\/missing does not exist \(and no earlier task creates it\)/ },
    readBack: 'test -e /srv/missing && echo present || echo absent',
    want: 'absent\n',
  },
);
