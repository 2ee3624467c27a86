// Reads the few settings we honour out of Ansible's ansible_ssh_common_args / ansible_ssh_extra_args:
// the jump host (-J, -o ProxyJump=, or the classic -o ProxyCommand="ssh -W %h:%p bastion")
// and -o UserKnownHostsFile=. Other ssh options are ignored.
import { splitWords } from './words.ts';

export interface SshArgSettings {
  jump?: string;
  knownHosts?: string;
}

export type SshArgsResult = { ok: true; settings: SshArgSettings } | { ok: false; message: string };

/** ssh options that take an argument, so the word after them is not the destination host. */
const WITH_ARG = new Set('BbcDEeFIiJLlmOopQRSWw'.split(''));

export function parseSshArgs(text: string): SshArgsResult {
  const split = splitWords(text);
  if (!split.ok) return split;
  const settings: SshArgSettings = {};
  const words = split.words;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '-J' || w === '-o') {
      const value = words[++i];
      if (value === undefined) return { ok: false, message: `${w} needs a value` };
      if (w === '-J') settings.jump = value;
      else applyOption(value, settings);
    } else if (w.startsWith('-J') && w.length > 2) {
      settings.jump = w.slice(2);
    } else if (w.startsWith('-o') && w.length > 2) {
      applyOption(w.slice(2), settings);
    }
  }
  return { ok: true, settings };
}

function applyOption(option: string, settings: SshArgSettings): void {
  const m = /^(\w+)\s*[= ]\s*(.*)$/s.exec(option);
  if (!m) return;
  const key = m[1]!.toLowerCase();
  const value = m[2]!.trim();
  if (key === 'proxyjump' && value.toLowerCase() !== 'none') settings.jump = value;
  else if (key === 'userknownhostsfile') settings.knownHosts = value;
  else if (key === 'proxycommand') {
    const jump = jumpFromProxyCommand(value);
    if (jump) settings.jump = jump;
  }
}

/** `ssh -W %h:%p -q -p 2222 user@bastion` -> `user@bastion:2222`; anything else -> undefined. */
export function jumpFromProxyCommand(command: string): string | undefined {
  const split = splitWords(command);
  if (!split.ok) return undefined;
  const [program, ...args] = split.words;
  if (!program || !/(^|\/)ssh$/.test(program) || !args.includes('-W')) return undefined;
  let host: string | undefined;
  let user: string | undefined;
  let port: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-') && a.length >= 2) {
      const flag = a[1]!;
      if (!WITH_ARG.has(flag)) continue;
      const value = a.length > 2 ? a.slice(2) : args[++i];
      if (flag === 'p') port = value;
      if (flag === 'l') user = value;
    } else if (host === undefined) {
      host = a;
    }
  }
  if (!host) return undefined;
  const withUser = user && !host.includes('@') ? `${user}@${host}` : host;
  return port ? `${withUser}:${port}` : withUser;
}
