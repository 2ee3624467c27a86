// git: a checkout cloned at a tag, moved to another, a local modification discarded with force.
// The repository (two commits, tags v1 and v2) is published once on the lab's git daemon; the
// hosts get git from the lab's apt proxy (the image has none).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { task } from '../../../../engine/playbook/define.ts';
import { copy } from '../../../../modules/copy/copy.ts';
import { gitModule as git } from '../../../../modules/git/git.ts';
import { table } from '../case.ts';
import { TWO_TAGS_RECIPE as RECIPE } from '../../../fixtures/git-two-tags.ts';

const NAME = 'ss-converge-git';
/** git://BRIDGE/NAME.git, as test/lab/services/git.ts serves it (not imported: the engine loads this file too). */
const URL = `git://10.77.0.1/${NAME}.git`;

let published: Promise<void> | undefined;
/** Once per test process (rows run in parallel: one publish, not three racing ones). */
const publish = () =>
  (published ??= import('../../../lab/index.ts').then(({ publishGitRepo }) => {
    const src = mkdtempSync(join(tmpdir(), 'ss-converge-git-'));
    writeFileSync(join(src, 'build.sh'), RECIPE);
    return publishGitRepo(NAME, src).then(() => undefined);
  }));

const INSTALL = 'apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git >/dev/null';

export const gitCases = table(
  {
    name: 'git: a clone at a tag on a fresh folder',
    controller: publish,
    prepare: INSTALL,
    tasks: [task('clone', git({ repo: URL, dest: '/srv/repo', version: 'v1' }))],
    changed: ['clone'],
    readBack: 'cat /srv/repo/version.txt; git -C /srv/repo status --porcelain | wc -l',
    want: 'one\n0\n',
  },
  {
    name: 'git: a checkout moved from v1 to v2, a local modification discarded with force',
    controller: publish,
    prepare: `${INSTALL} && git clone -q ${URL} /srv/repo && git -C /srv/repo checkout -q v1 && echo mine > /srv/repo/version.txt`,
    tasks: [task('move', git({ repo: URL, dest: '/srv/repo', version: 'v2', force: true }))],
    changed: ['move'],
    readBack: 'cat /srv/repo/version.txt; git -C /srv/repo status --porcelain | wc -l',
    want: 'two\n0\n',
  },
  {
    name: 'git: a clone makes the folders above it; a copy into one of them next',
    controller: publish,
    prepare: INSTALL,
    tasks: [
      task('clone', git({ repo: URL, dest: '/srv/apps/relay', version: 'v2' })),
      task('config', copy({ dest: '/srv/apps/relay.conf', content: 'version=2\n' })),
    ],
    changed: ['clone', 'config'],
    readBack: 'cat /srv/apps/relay/version.txt /srv/apps/relay.conf',
    want: 'two\nversion=2\n',
  },
);
