// A git daemon on the bridge serving bare repositories from $LAB_DIR/git (git://10.77.0.1/NAME.git).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { BRIDGE_ADDR, labPaths, REPO_ROOT } from '../paths.ts';
import { startDaemon, stopDaemon } from '../daemon.ts';
import { run } from '../sh.ts';
import { waitForPort } from './port.ts';

export const gitUrl = (name: string) => `git://${BRIDGE_ADDR}/${name}.git`;
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'repos');

export async function startGit(): Promise<void> {
  mkdirSync(labPaths.gitDir, { recursive: true });
  startDaemon('git-daemon', [
    'git', 'daemon', '--reuseaddr', `--listen=${BRIDGE_ADDR}`, '--port=9418',
    `--base-path=${labPaths.gitDir}`, '--export-all', '--informative-errors', labPaths.gitDir,
  ]);
  await waitForPort(BRIDGE_ADDR, 9418, 10_000, 'git daemon');
}

export const stopGit = () => stopDaemon('git-daemon');

export interface PublishGitOptions {
  /** Tags to put on the commit made from a plain directory tree. */
  tags?: string[];
  message?: string;
}

/**
 * Publish `srcDir` as git://10.77.0.1/NAME.git. A directory holding `build.sh` is a recipe: the
 * script runs in an empty directory and must leave a git repository there (for history, branches,
 * several tags). Any other directory is committed as it is, once, with fixed dates so the commit
 * id is stable, and tagged with `tags`. Returns the clone URL.
 */
export async function publishGitRepo(name: string, srcDir: string, opts: PublishGitOptions = {}): Promise<string> {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`git repo name ${JSON.stringify(name)} is not a plain name`);
  const work = mkdtempSync(join(tmpdir(), `lab-git-${name}-`));
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'shipshape lab', GIT_AUTHOR_EMAIL: 'lab@shipshape.invalid',
    GIT_COMMITTER_NAME: 'shipshape lab', GIT_COMMITTER_EMAIL: 'lab@shipshape.invalid',
    GIT_AUTHOR_DATE: '2025-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2025-01-01T00:00:00Z',
  };
  const git = (...a: string[]) => run(['git', '-C', work, ...a], { env });
  try {
    if (existsSync(join(srcDir, 'build.sh'))) {
      await run(['bash', join(srcDir, 'build.sh')], { cwd: work, env: { ...env, SRC_DIR: srcDir } });
    } else {
      cpSync(srcDir, work, { recursive: true });
      await git('init', '-q', '-b', 'main');
      await git('add', '-A');
      await git('commit', '-q', '--allow-empty', '-m', opts.message ?? `${name} fixture`);
    }
    for (const t of opts.tags ?? []) await git('tag', '-f', t);
    const bare = join(labPaths.gitDir, `${name}.git`);
    mkdirSync(labPaths.gitDir, { recursive: true });
    // Clone beside it and swap, so a host cloning meanwhile sees the old repo or the new one.
    const next = `${bare}.new-${process.pid}`;
    rmSync(next, { recursive: true, force: true });
    await run(['git', 'clone', '-q', '--bare', work, next], { env });
    rmSync(bare, { recursive: true, force: true });
    renameSync(next, bare);
    return gitUrl(name);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Every subdirectory of test/fixtures/repos/, published under its own name when it changed. */
export async function publishFixtureRepos(): Promise<string[]> {
  if (!existsSync(FIXTURES)) return [];
  const names = readdirSync(FIXTURES).filter((n) => statSync(join(FIXTURES, n)).isDirectory());
  const published: string[] = [];
  for (const n of names) {
    const bare = join(labPaths.gitDir, `${n}.git`);
    if (existsSync(bare) && statSync(bare).mtimeMs >= newest(join(FIXTURES, n))) continue;
    await publishGitRepo(n, join(FIXTURES, n));
    published.push(n);
  }
  return published;
}

function newest(dir: string): number {
  let t = statSync(dir).mtimeMs;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
