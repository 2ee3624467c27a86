// Reading facts from a host: the play's facts in one gather script, one exec. Every place that
// gathers goes through here, so that none logs the output: it is the host's state wholesale (the
// base64 content of files, which masking can recognise only for secrets it knows), and the log's
// command event says which facts were read and how many bytes came back instead.
import { ExecTimeoutError } from '../connection/errors.ts';
import { buildGatherScript } from '../facts/gather.ts';
import type { Fact } from '../facts/types.ts';
import type { HostLink } from './host-link.ts';

export async function gatherFacts(link: HostLink, facts: readonly Fact[], become: boolean, timeoutMs?: number): Promise<Map<string, unknown>> {
  const script = buildGatherScript(facts);
  let result;
  try {
    result = await link.exec(script.script, { become, label: `gather facts: ${facts.map((f) => f.key).join(', ')}`, logOutput: false, ...(timeoutMs ? { timeoutMs } : {}) });
  } catch (err) {
    if (err instanceof ExecTimeoutError) throw new GatherTimeout(`fact gathering on ${link.host.name} (${facts.map((f) => f.key).join(', ')}) timed out after ${Math.round((timeoutMs ?? 0) / 1000)} s and was killed`);
    throw err;
  }
  if (result.code !== 0) {
    const stderr = result.stderr.toString().trim();
    throw new Error(`fact gathering on ${link.host.name} exited ${result.code}${stderr ? `: ${stderr}` : ''}`);
  }
  return script.parse(result.stdout.toString());
}

/** Fact gathering ran past its deadline: the host fails (it is not unreachable). */
export class GatherTimeout extends Error {
  override name = 'GatherTimeout';
}
