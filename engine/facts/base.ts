// Base facts: what every play may ask of a host (OS, memory, architecture). They travel with the
// first round trip of a play and are what param functions and `when` see as ctx.facts.
import { defineFact } from './types.ts';

export interface BaseFacts {
  os: { id: string; versionId: string; codename: string; prettyName: string };
  arch: string;
  kernel: string;
  hostname: string;
  /** MemTotal from /proc/meminfo, in MiB. */
  memoryMb: number;
  /** The user the engine logs in as (before become). */
  loginUser: string;
}

export const EMPTY_BASE_FACTS: BaseFacts = {
  os: { id: '', versionId: '', codename: '', prettyName: '' },
  arch: '',
  kernel: '',
  hostname: '',
  memoryMb: 0,
  loginUser: '',
};

const SCRIPT = [
  '. /etc/os-release 2>/dev/null',
  'printf "id=%s\\nversion_id=%s\\ncodename=%s\\npretty=%s\\n" "$ID" "$VERSION_ID" "$VERSION_CODENAME" "$PRETTY_NAME"',
  'printf "arch=%s\\nkernel=%s\\nhostname=%s\\n" "$(uname -m)" "$(uname -r)" "$(uname -n)"',
  'printf "mem_kb=%s\\n" "$(sed -n "s/^MemTotal: *\\([0-9]*\\).*/\\1/p" /proc/meminfo)"',
  'printf "login=%s\\n" "${SUDO_USER:-$(id -un)}"',
].join('\n');

export const baseFacts = defineFact<BaseFacts>('base', SCRIPT, (out) => {
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const get = (k: string) => kv.get(k) ?? '';
  return {
    os: { id: get('id'), versionId: get('version_id'), codename: get('codename'), prettyName: get('pretty') },
    arch: get('arch'),
    kernel: get('kernel'),
    hostname: get('hostname'),
    memoryMb: Math.floor(Number(get('mem_kb') || 0) / 1024),
    loginUser: get('login'),
  };
});
