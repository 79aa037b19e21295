import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/engine/group-commit.js';
import { nextTurn } from '../src/engine/next-turn.js';

interface Req {
  key: string;
  n: number;
}

/** A store call held until the test lets it end: each answers its requests' `n` doubled. */
function heldWrites() {
  const calls: { reqs: Req[]; end: () => void }[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const write = (reqs: Req[]) =>
    new Promise<number[]>((resolve) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      calls.push({
        reqs,
        end: () => {
          inFlight--;
          resolve(reqs.map((r) => r.n * 2));
        },
      });
    });
  return { write, calls, mostInFlight: () => mostInFlight };
}

const reqs = (from: number, count: number, key = (n: number) => `k${n}`) =>
  Array.from({ length: count }, (_, i) => ({ key: key(from + i), n: from + i }));

describe('the group commit', () => {
  it('writes a full batch of a backlog on a second lane while one is in flight, each request answered', async () => {
    const w = heldWrites();
    const commit = new GroupCommit(w.write, 3, { lanes: 2, keyOf: (r) => r.key });
    const answers = reqs(0, 9).map((r) => commit.add(r));
    await nextTurn();
    expect(w.calls.map((c) => c.reqs.map((r) => r.n))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    for (let i = 0; i < w.calls.length; i++) {
      w.calls[i]?.end();
      await nextTurn();
    }
    expect(w.calls).toHaveLength(3);
    expect(await Promise.all(answers)).toEqual(reqs(0, 9).map((r) => r.n * 2));
    expect(w.mostInFlight()).toBe(2);
  });

  it('writes steady traffic on one lane: a batch that is not full waits for the one in flight', async () => {
    const w = heldWrites();
    const commit = new GroupCommit(w.write, 3, { lanes: 2 });
    const first = commit.add({ key: 'a', n: 1 });
    await nextTurn();
    const second = commit.add({ key: 'b', n: 2 });
    await nextTurn();
    expect(w.calls).toHaveLength(1);
    w.calls[0]?.end();
    expect(await first).toBe(2);
    await nextTurn();
    expect(w.calls.map((c) => c.reqs.map((r) => r.n))).toEqual([[1], [2]]);
    w.calls[1]?.end();
    expect(await second).toBe(4);
  });

  it("holds a key's later request back until the batch in flight with its earlier one is written", async () => {
    const w = heldWrites();
    const commit = new GroupCommit(w.write, 3, { lanes: 2, keyOf: (r) => r.key });
    const answers = [
      ...reqs(0, 3, (n) => (n === 1 ? 'job' : `k${n}`)),
      ...reqs(3, 4, (n) => (n === 4 ? 'job' : `k${n}`)),
    ].map((r) => commit.add(r));
    await nextTurn();
    // The second lane's batch leaves request 4 out: its key is in flight.
    expect(w.calls.map((c) => c.reqs.map((r) => r.n))).toEqual([
      [0, 1, 2],
      [3, 5],
    ]);
    w.calls[1]?.end();
    await nextTurn();
    expect(w.calls).toHaveLength(2);
    w.calls[0]?.end();
    await nextTurn();
    expect(w.calls.map((c) => c.reqs.map((r) => r.n))[2]).toEqual([4, 6]);
    w.calls[2]?.end();
    expect(await Promise.all(answers)).toEqual([0, 2, 4, 6, 8, 10, 12]);
  });
});
