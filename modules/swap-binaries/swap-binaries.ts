// swapBinaries: the switch-over of a rolling upgrade on one host. New binaries staged beside the
// installed ones (PATH.new, by transfer) replace them while their services are stopped; the old ones
// are kept as PATH.prev; the services start again and must answer a version probe with the version
// the new binary reports. When they do not, the previous binaries go back, the services restart, and
// the task fails all the same, so a rolling play (maxFailPercentage: 0) stops there.
// Two kinds of probe: a VERSION line on a plain TCP port (the guide's servers), or a TLS one (the
// SimpleX servers, whose clients check the CA certificate the server presents against the
// fingerprint in its address): `BINARY -v` names the expected version, and the chain presented on
// the port ends in the CA whose fingerprint is in the server's fingerprint file, the same file and
// the same fingerprint as before the swap: an upgrade must not change a server's identity.
import { fileFact, type FileFact } from '../../engine/facts/file.ts';
import { defineModule } from '../../engine/module.ts';
import { Predictions } from '../../engine/plan/predict.ts';
import { PlanError, type Change, type Plan, type RunStep } from '../../engine/plan/types.ts';
import { Type, UnitName } from '../../engine/schema.ts';

const params = Type.Object(
  {
    binaries: Type.Array(Type.String({ pattern: '^/' }), {
      minItems: 1,
      description: 'Installed binaries (absolute paths); each is replaced by PATH.new, the old one kept as PATH.prev.',
    }),
    services: Type.Array(UnitName(), { description: 'systemd units stopped before the swap and started after it.' }),
    probes: Type.Array(
      Type.Object(
        {
          port: Type.Integer({ minimum: 1, maximum: 65535 }),
          binary: Type.String({ pattern: '^/', description: 'The installed binary whose `--version` (e.g. "smp-server 2.0.0") the answer to VERSION must start with.' }),
          expectVersion: Type.Optional(
            Type.String({ minLength: 1, description: 'TLS probe: the first line of `BINARY -v` must start with this ("SMP server v6.5.2"), followed by ".", " " or nothing.' }),
          ),
          fingerprint: Type.Optional(
            Type.String({
              pattern: '^/',
              description: "A TLS probe instead of VERSION: the server's fingerprint file. The certificate chain presented on the port must end in a CA whose base64url SHA-256 (of its DER) is the file's first line, and the file must read the same as before the swap.",
            }),
          ),
        },
        { additionalProperties: false },
      ),
      { description: 'Probes on 127.0.0.1: send VERSION, the first line must be "NAME VERSION ..." as BINARY --version prints it; or, with fingerprint, a TLS handshake (needs openssl on the host).' },
    ),
    timeout: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Seconds the services have to answer the probes after a start. Default 30.' })),
  },
  { additionalProperties: false },
);

type Probe = { port: number; binary: string; expectVersion?: string; fingerprint?: string };
type Params = { binaries: string[]; services: string[]; probes: Probe[]; timeout?: number };

const short = (f: FileFact) => (f.exists ? (f.sha256 ? `sha256:${f.sha256.slice(0, 12)}` : '(checksum unknown)') : '(absent)');

/**
 * The script's arguments, so that no value is ever part of its text: the seconds the probes have,
 * the count of units then the units, the count of binaries then the binaries, then four words a
 * probe (port, binary, expected version, fingerprint file; '' when not given).
 */
export function swapArgs(p: Params): string[] {
  const probes = p.probes.flatMap((pr) => [String(pr.port), pr.binary, pr.expectVersion ?? '', pr.fingerprint ?? '']);
  return [String(Math.ceil(p.timeout ?? 30)), String(p.services.length), ...p.services, String(p.binaries.length), ...p.binaries, ...probes];
}

/** bash text, with no value in it (see swapArgs): probe functions, then a probe only, or swap / probe / rollback. */
export function swapScript(swap: boolean): string {
  const lines = [
    'set -u',
    'T=$1; n=$2; shift 2; units=("${@:1:n}"); shift "$n"; n=$1; shift; bins=("${@:1:n}"); shift "$n"; probes=("$@")',
    // One probe: connect, send VERSION, the first line must start with "$(binary --version) ".
    'probe() { local want line; want=$("$2" --version 2>/dev/null | head -n1) || return 1',
    '  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || { why="port $1: no answer (expected $want)"; return 1; }',
    "  printf 'VERSION\\n' >&3; IFS= read -r -t 5 line <&3; exec 3<&- 3>&-",
    '  case "$line" in "$want "*) return 0;; esac; why="port $1 answered \'${line:-nothing}\', expected $want"; return 1; }',
    // The base64url (padded) SHA-256 of the last certificate of the chain the port presents.
    'ca_fp() { local pem; pem=$(timeout 5 openssl s_client -connect "127.0.0.1:$1" -showcerts </dev/null 2>/dev/null |',
    "  awk '/-BEGIN CERTIFICATE-/ { c = \"\" } { c = c $0 \"\\n\" } /-END CERTIFICATE-/ { last = c } END { printf \"%s\", last }')",
    '  [ -n "$pem" ] || return 1',
    "  printf '%s\\n' \"$pem\" | openssl x509 -outform DER | openssl dgst -sha256 -binary | openssl base64 -A | tr '+/' '-_'; }",
    // A TLS probe: port binary version fingerprint-file fingerprint-before.
    'probe_tls() { local line got',
    '  if [ -n "$3" ]; then line=$("$2" -v 2>/dev/null | head -n1)',
    '    case "$line" in "$3" | "$3."* | "$3 "*) ;; *) why="$2 -v says \'${line:-nothing}\', expected $3"; return 1;; esac; fi',
    '  got=$(ca_fp "$1") || { why="port $1: no TLS handshake"; return 1; }',
    '  [ "$got" = "$5" ] || { why="port $1 presents the CA $got, not the fingerprint $5 it had before"; return 1; }',
    '  [ "$(head -n1 "$4" 2>/dev/null)" = "$5" ] || { why="$4 no longer reads $5"; return 1; }; }',
    // Fingerprints and version lines as they are before anything stops: after a rollback, the
    // previous binaries must answer with their own version and the same identity.
    'fps=(); olds=(); for ((i=0; i<${#probes[@]}; i+=4)); do',
    '  fps+=("$([ -n "${probes[i+3]}" ] && head -n1 "${probes[i+3]}" 2>/dev/null)"); olds+=("$("${probes[i+1]}" -v 2>/dev/null | head -n1)"); done',
    'rolled=0',
    'one() { local v="${probes[$1+2]}"; [ $rolled = 1 ] && [ -n "$v" ] && v="${olds[$1/4]}"',
    '  if [ -n "${probes[$1+3]}" ]; then probe_tls "${probes[$1]}" "${probes[$1+1]}" "$v" "${probes[$1+3]}" "${fps[$1/4]}"; else probe "${probes[$1]}" "${probes[$1+1]}"; fi; }',
    'healthy() { local end=$((SECONDS+T)) ok i; while :; do ok=1',
    '  for ((i=0; i<${#probes[@]}; i+=4)); do one "$i" || { ok=0; break; }; done',
    '  [ $ok = 1 ] && return 0; [ $SECONDS -ge $end ] && return 1; sleep 0.3; done; }',
    'put() { cp -p -- "$1" "$2.shipshape-tmp" && mv -f -- "$2.shipshape-tmp" "$2"; }',
  ];
  if (!swap) {
    lines.push('healthy || { echo "version probe failed: $why" >&2; exit 1; }');
    return lines.join('\n');
  }
  lines.push(
    'for b in "${bins[@]}"; do [ -e "$b" ] && { put "$b" "$b.prev" || exit 1; }; done',
    'systemctl stop -- "${units[@]}" || exit 1',
    'for b in "${bins[@]}"; do put "$b.new" "$b" || exit 1; done',
    'systemctl reset-failed -- "${units[@]}" 2>/dev/null; systemctl start -- "${units[@]}"',
    'healthy && exit 0',
    'failed=$why',
    'rolled=1; for b in "${bins[@]}"; do [ -e "$b.prev" ] && put "$b.prev" "$b"; done',
    'systemctl stop -- "${units[@]}"; systemctl reset-failed -- "${units[@]}" 2>/dev/null; systemctl start -- "${units[@]}"',
    'if healthy; then echo "health check failed ($failed): rolled back to the previous binaries, which answer" >&2',
    'else echo "health check failed ($failed); rolled back, and the previous binaries do not answer either ($why)" >&2; fi',
    'exit 1',
  );
  return lines.join('\n');
}

/** One bash script on the host does the swap and the probes (and the rollback): a command, labelled. */
function step(p: Params, swap: boolean): RunStep {
  return { kind: 'run', argv: ['bash', '-c', swapScript(swap), 'swapBinaries', ...swapArgs(p)], label: swap ? `swap ${p.binaries.join(', ')} and probe` : `probe ${p.probes.map((x) => x.port).join(', ')}` };
}

export const swapBinaries = defineModule({
  name: 'swapBinaries',
  summary: 'Swap staged binaries (PATH.new) in with their services stopped, probe the version, roll back on failure.',
  doc: [
    'The switch-over of a rolling upgrade. When an installed binary differs from PATH.new (by sha256):',
    'each is kept as PATH.prev, the services stop, PATH.new is copied beside PATH and renamed over it',
    '(atomic mv), the services start, and every probe must answer VERSION with the version its binary',
    'prints for --version within timeout. If not, PATH.prev goes back, the services restart, and the',
    'task fails (with maxFailPercentage: 0 the rollout stops). When PATH.new is not built yet in a dry',
    'run, the swap is a change whose checksum is known once built. Nothing to swap: the probe is an',
    'action (a dry run reports ok, a real run probes and fails when the version does not answer).',
    '',
    "  swapBinaries({ binaries: ['/usr/local/bin/smp-server'], services: ['smp'], probes: [{ port: 5223, binary: '/usr/local/bin/smp-server' }] })",
  ].join('\n'),
  params,
  facts: (p) => p.binaries.flatMap((b) => [fileFact(b), fileFact(`${b}.new`)]),
  plan(p, { facts }): Plan {
    const changes: Change[] = [];
    const after = new Predictions();
    for (const b of p.binaries) {
      const cur = facts.get(fileFact(b));
      const next = facts.get(fileFact(`${b}.new`));
      if (!next.exists || next.type !== 'file') throw new PlanError(`${b}.new does not exist, and no earlier task stages it`);
      if (cur.exists && next.sha256 !== null && cur.sha256 === next.sha256) continue;
      changes.push({ what: `swap ${b}`, before: short(cur), after: next.sha256 ? short(next) : '(version known once built)' });
      after.set(fileFact(b), { ...next }).set(fileFact(`${b}.prev`), { ...cur });
    }
    if (changes.length === 0) return { changes, steps: [step(p, false)], msg: 'installed binaries are the staged ones: probe only' };
    // Every binary is swapped (an unchanged one is copied over itself), so the services restart once.
    for (const b of p.binaries) {
      const cur = facts.get(fileFact(b));
      after.setDefault(fileFact(b), { ...facts.get(fileFact(`${b}.new`)) }).setDefault(fileFact(`${b}.prev`), { ...cur });
    }
    return { changes, steps: [step(p, true)], after: after.record() };
  },
});
