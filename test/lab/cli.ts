// npm run lab -- up [N | --hosts a,b,c] [--group g=a,b ...] | down | status [--json]
//                 | kill|cut|heal|reboot|reset HOST...
import { labUp } from './up.ts';
import { labDown } from './down.ts';
import { labStatus } from './status.ts';
import { faults } from './faults.ts';
import { labPaths } from './paths.ts';

const log = (m: string) => console.error(`lab: ${m}`);

function parseUp(args: string[]): Parameters<typeof labUp>[0] {
  const opts: Parameters<typeof labUp>[0] = { log };
  const groups: Record<string, string[]> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = a.includes('=') && a.startsWith('--') ? a.slice(a.indexOf('=') + 1) : args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (/^\d+$/.test(a)) opts.count = Number(a);
    else if (a === '--hosts' || a.startsWith('--hosts=')) opts.hosts = value().split(',').filter(Boolean);
    else if (a === '--group' || a.startsWith('--group=')) {
      const v = value();
      const eq = v.indexOf('=');
      if (eq < 1) throw new Error(`--group wants NAME=host1,host2, got ${v}`);
      groups[v.slice(0, eq)] = v.slice(eq + 1).split(',').filter(Boolean);
    } else throw new Error(`up: unknown argument ${a}`);
  }
  if (Object.keys(groups).length) opts.groups = groups;
  return opts;
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'up': {
      const t = Date.now();
      const state = await labUp(parseUp(rest));
      log(`${state.hosts.length} hosts SSH-ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      for (const h of state.hosts) console.log(`${h.name}\t${h.address}${h.groups.length ? '\t' + h.groups.join(',') : ''}`);
      console.log(`inventory: ${labPaths.inventory}`);
      return;
    }
    case 'down':
      await labDown(log);
      return;
    case 'status': {
      const s = await labStatus();
      if (rest.includes('--json')) {
        console.log(JSON.stringify(s, null, 2));
        return;
      }
      console.log(`bridge labbr0: ${s.bridge ? 'up' : 'absent'}`);
      for (const [n, pid] of Object.entries(s.services)) console.log(`service ${n}: ${pid ? `running (pid ${pid})` : 'stopped'}`);
      for (const h of s.hosts) {
        console.log(`${h.name}\t${h.address}\t${h.running ? 'on' : 'off'}\tlink ${h.link}\tssh ${h.ssh ? 'yes' : 'no'}\t${h.processes} procs${h.groups.length ? '\t' + h.groups.join(',') : ''}`);
      }
      return;
    }
    case 'kill':
    case 'cut':
    case 'heal':
    case 'reboot':
    case 'reset': {
      if (rest.length === 0) throw new Error(`${cmd} needs at least one host name`);
      await Promise.all(rest.map((h) => faults[cmd](h)));
      return;
    }
    default:
      console.error('usage: lab up [N | --hosts a,b] [--group g=a,b]... | down | status [--json] | kill|cut|heal|reboot|reset HOST...');
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  console.error(`lab: ${err.message}`);
  process.exitCode = 1;
});
