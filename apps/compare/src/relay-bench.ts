/**
 * `pnpm --filter @agentsocket/compare relay-bench`: Relay mode against Direct mode (ws) and the
 * Pushpin baseline, the figures of the relay's speed goals only: warm unary p50 at 1 in flight and
 * calls/s at 32 in flight, per call profile, interleaved rounds, medians, the ratios taken round by
 * round (each pair measured back to back), and the server process's CPU time per call at 32 in
 * flight (for the relay: the relay and the function, one process). Faster to run than the whole `pnpm compare`.
 */
import { loadavg } from 'node:os';
import {
  callProfile,
  type CallProfileId,
  formatMs,
  interleave,
  type Live,
  median,
  pairedRatios,
  roundTrip,
  startLive,
  type Variant,
  warmUp,
} from '@agentsocket/bench-kit';
import { variants } from './variants.js';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const rounds = arg('rounds', 7);
const oneMs = arg('one-ms', 600);
const manyMs = arg('many-ms', 400);
const profiles: CallProfileId[] = ['echo', 'tool-call'];
const wanted = ['ws', 'relay', 'pushpin'];
// (variants.ts leaves Pushpin out, with a warning, where it is not installed.)
const chosen = wanted.map((id) => variants.find((v) => v.id === id)).filter((v): v is Variant => v !== undefined);

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`relay bench: ${chosen.map((v) => v.short).join(', ')}; ${rounds} rounds; ${oneMs} ms at 1 in flight, ${manyMs} ms at 32; load average at start ${load()}`);
const lives: Live[] = [];
for (const v of chosen) lives.push(await startLive(v));
try {
  for (const live of lives) await warmUp(live, 1500, profiles.map(callProfile), 32);
  for (const id of profiles) {
    const profile = callProfile(id);
    const p50 = await interleave(
      lives.map((live) => ({ name: live.variant.id, run: async () => (await roundTrip(live, profile, 1, oneMs)).latency?.p50 ?? Number.NaN })),
      { rounds },
    );
    const many = await interleave(
      lives.map((live) => ({ name: live.variant.id, run: () => roundTrip(live, profile, 32, manyMs) })),
      { rounds },
    );
    const rate = new Map([...many].map(([id, rs]) => [id, rs.map((r) => r.perSecond)]));
    // The server process's CPU time per call (user + system), a figure the machine's load moves far less than wall time.
    const cpu = new Map([...many].map(([id, rs]) => [id, rs.map((r) => r.serverCpuUsPerCall)]));
    const ws = (m: Map<string, number[]>) => m.get('ws') ?? [];
    console.log(`\nprofile ${profile.id} (${profile.title})`);
    console.log('variant                    p50 1 in flight   ÷ Direct   calls/s 32 in flight   ÷ Direct   server CPU/call at 32   ÷ Direct');
    for (const live of lives) {
      const id = live.variant.id;
      const ps = p50.get(id) ?? [];
      const rs = rate.get(id) ?? [];
      const cs = cpu.get(id) ?? [];
      console.log(
        `${live.variant.short.padEnd(26)} ${formatMs(median(ps)).padStart(15)}   ${median(pairedRatios(ps, ws(p50))).toFixed(2).padStart(7)}×   ${Math.round(median(rs)).toLocaleString('en-US').padStart(20)}   ${median(pairedRatios(rs, ws(rate))).toFixed(2).padStart(7)}×   ${`${Math.round(median(cs))} µs`.padStart(21)}   ${median(pairedRatios(cs, ws(cpu))).toFixed(2).padStart(7)}×`,
      );
    }
  }
} finally {
  for (const live of lives) {
    await live.session.close().catch(() => {});
    await live.running.stop().catch(() => {});
  }
}
console.log(`\nload average at the end ${load()}`);
