// transfer: a file copied from a second conv host (the case's peer, the var `peer`) to the case's
// host through the controller. A new file with owner and mode; a dest that already has the content
// (not rewritten: its mtime is kept); a changed source, larger than one 4 MiB chunk, whose checksum
// change the dry run reports as the real run does; a source that is not there.
import { fromVar, task } from '../../../../engine/playbook/define.ts';
import { transfer } from '../../../../modules/transfer/transfer.ts';
import { table } from '../case.ts';

const from = fromVar('peer');
/** Owner, group, mode, size, sha256 and mtime (seconds) of a file. */
const stat = (path: string) => `stat -c '%U:%G %a %s %Y' ${path}; sha256sum < ${path} | cut -d' ' -f1`;
// Deterministic contents: the expected checksums are fixed.
const SMALL = "printf 'payload v1\\n'";
const SMALL_SHA = '501d51eca1a81d4f64f32b8aa3bc38bbdecb49b98f11a508b4169a1918ae9e3b';
const BIG = 'yes payload-v2 | head -c 5000000';

export const transferCases = table(
  {
    name: 'transfer: a new file from the peer, with owner, group and mode',
    peer: { prepare: `mkdir -p /srv/out && ${SMALL} > /srv/out/app.bin && chmod 0700 /srv/out/app.bin` },
    tasks: [task('ship', transfer({ from, src: '/srv/out/app.bin', dest: '/usr/local/bin/app.bin', owner: 'nobody', group: 'nogroup', mode: '0750' }))],
    changed: ['ship'],
    readBack: "stat -c '%U:%G %a %s' /usr/local/bin/app.bin; cat /usr/local/bin/app.bin",
    want: 'nobody:nogroup 750 11\npayload v1\n',
  },
  {
    name: 'transfer: the dest already has the content: ok, not written again',
    peer: { prepare: `mkdir -p /srv/out && ${SMALL} > /srv/out/app.bin` },
    prepare: `${SMALL} > /usr/local/bin/app.bin && chmod 0755 /usr/local/bin/app.bin && touch -d '2001-02-03 04:05:06 UTC' /usr/local/bin/app.bin`,
    tasks: [task('ship', transfer({ from, src: '/srv/out/app.bin', dest: '/usr/local/bin/app.bin', mode: '0755' }))],
    changed: [],
    readBack: stat('/usr/local/bin/app.bin'),
    want: `root:root 755 11 981173106\n${SMALL_SHA}\n`,
  },
  {
    name: 'transfer: a changed source over 4 MiB replaces the dest, its checksum change in the dry run as in the real run',
    peer: { prepare: `mkdir -p /srv/out && ${BIG} > /srv/out/app.bin` },
    prepare: `${SMALL} > /usr/local/bin/app.bin && chmod 0711 /usr/local/bin/app.bin`,
    tasks: [task('ship', transfer({ from, src: '/srv/out/app.bin', dest: '/usr/local/bin/app.bin' }))],
    changed: ['ship'],
    // The existing dest keeps its mode; its content is the source's, byte for byte.
    readBack: `stat -c '%U:%G %a %s' /usr/local/bin/app.bin; ${BIG} | cmp - /usr/local/bin/app.bin && echo same`,
    want: 'root:root 711 5000000\nsame\n',
  },
  {
    name: 'transfer: a source the peer does not have fails in the plan, dry run as real run',
    peer: {},
    tasks: [task('ship', transfer({ from, src: '/srv/out/none.bin', dest: '/usr/local/bin/none.bin' }))],
    changed: [],
    fails: { task: 'ship', msg: /^\/srv\/out\/none\.bin does not exist on conv\d, and no earlier task creates it/ },
    readBack: 'test -e /usr/local/bin/none.bin && echo there || echo absent',
    want: 'absent\n',
  },
);
