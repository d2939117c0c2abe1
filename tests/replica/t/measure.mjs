#!/usr/bin/env node
// Measurements for README.md (not part of make check): starts the replica with a 4 GiB sparse stable
// memory (plus 64 MiB of data at its start and its end), then runs ../bench.mjs for 2,000,000-byte
// reads — stable_read queries, then read_canister_snapshot_data update calls — and samples the
// replica's RSS (/proc/PID/status VmRSS, peak VmHWM) meanwhile.
//   node t/measure.mjs [seconds=10] [concurrency=4]
// MB_per_cpu_s = MB served per CPU second of the replica process: its capacity per core, whatever else
// runs on the machine (the team machine is shared, so wall-clock MB/s varies with load).
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { startReplica, tmpDir, pseudoRandom, REPLICA_DIR } from './lib.mjs';

const [secs = '10', conc = '4'] = process.argv.slice(2);
const CID = 'ryjl3-tyaaa-aaaaa-aaaba-cai';
const dir = tmpDir('replica-measure-');
const seed = path.join(dir, 'stable-4g.bin');
const GiB4 = 4 * 1024 ** 3;
const fd = fs.openSync(seed, 'w');
const data = pseudoRandom(64 << 20, 5);
fs.writeSync(fd, data, 0, data.length, 0);
fs.writeSync(fd, data, 0, data.length, GiB4 - data.length);
fs.ftruncateSync(fd, GiB4);
fs.closeSync(fd);
const du = (f) => spawnSync('du', ['-sk', f], { encoding: 'utf8' }).stdout.split('\t')[0];
const rss = (pid) => {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number((s.match(new RegExp(`${k}:\\s+(\\d+)`)) || [0, 0])[1]);
  return { rss_mib: +(kb('VmRSS') / 1024).toFixed(1), peak_mib: +(kb('VmHWM') / 1024).toFixed(1) };
};
// CPU seconds used by a process so far (utime + stime, /proc/PID/stat fields 14 and 15, clock ticks)
const cpuS = (pid) => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
const t0 = Date.now();
const r = await startReplica({ seeds: [`${CID}:stable_memory=${seed},reader=*`] });
const startMs = Date.now() - t0;
const out = { seed_file_bytes: GiB4, seed_file_on_disk_kib: Number(du(seed)), start_ms: startMs, idle: rss(r.proc.pid) };
for (const mode of ['query', 'snapshot']) {
  let peak = 0;
  const cpu0 = cpuS(r.proc.pid);
  const timer = setInterval(() => { peak = Math.max(peak, rss(r.proc.pid).rss_mib); }, 200);
  const res = await new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(REPLICA_DIR, 'bench.mjs'), r.url, CID, secs, conc, '2000000'],
      { env: { ...process.env, BENCH_MODE: mode === 'snapshot' ? 'snapshot' : '' } });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
  clearInterval(timer);
  const cpu = cpuS(r.proc.pid) - cpu0;
  out[mode] = { ...JSON.parse(res.stdout.trim().split('\n').pop() || '{}'), rss_peak_sampled_mib: peak, after: rss(r.proc.pid), replica_cpu_s: +cpu.toFixed(2) };
  // what one core of replica CPU serves, independent of what else runs on the machine
  out[mode].MB_per_cpu_s = +((out[mode].requests * 2_000_000) / 1e6 / cpu).toFixed(1);
  if (res.status !== 0) out[mode].stderr = res.stderr;
}
out.state_dir_on_disk_kib = Number(du(r.stateDir));
await r.stop();
fs.rmSync(dir, { recursive: true, force: true });
fs.rmSync(r.stateDir, { recursive: true, force: true });
out.machine = { cpus: (await import('node:os')).cpus().length, node: process.version, load: (await import('node:os')).loadavg().map((x) => +x.toFixed(2)) };
process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
