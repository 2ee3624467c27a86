// The convergence harness's host pool: a case that needs two hosts (a peer) gets both at once, so
// cases that each hold one host never wait on each other; the waiters are served in order.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { HostPool } from '../integration/converge/harness.ts';

const tick = () => new Promise((r) => setImmediate(r));

describe('converge HostPool', () => {
  it('one- and two-host cases over three hosts: no host held twice at once, every case runs', async () => {
    const pool = new HostPool(['a', 'b', 'c']);
    const held = new Set<string>();
    let most = 0;
    const ran: number[] = [];
    const counts = [2, 2, 2, 1, 2, 1, 1, 2, 3, 1];
    await Promise.all(
      counts.map((n, i) =>
        pool.with(n, async (hosts) => {
          assert.equal(hosts.length, n);
          for (const h of hosts) {
            assert.ok(!held.has(h), `${h} handed out twice`);
            held.add(h);
          }
          most = Math.max(most, held.size);
          await tick();
          await tick();
          for (const h of hosts) held.delete(h);
          ran.push(i);
        }),
      ),
    );
    assert.equal(ran.length, counts.length);
    assert.equal(most, 3, 'the hosts are used in parallel');
  });

  it('a two-host case waiting is not passed by one-host cases behind it', async () => {
    const pool = new HostPool(['a', 'b']);
    const order: string[] = [];
    let release!: () => void;
    const first = pool.with(1, () => new Promise<void>((r) => (release = r)).then(() => void order.push('first')));
    await tick();
    const pair = pool.with(2, async () => void order.push('pair'));
    const single = pool.with(1, async () => void order.push('single'));
    await tick();
    assert.deepEqual(order, [], 'the single waits behind the pair, though a host is free');
    release();
    await Promise.all([first, pair, single]);
    assert.deepEqual(order, ['first', 'pair', 'single']);
  });

  it('more hosts than the pool has is an error, not a wait forever', async () => {
    await assert.rejects(new HostPool(['a']).with(2, async () => {}), /a case asks for 2 hosts; the pool has 1/);
  });
});
