import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';

export interface MachineInfo {
  cpuModel: string;
  /** Logical CPUs the OS reports. */
  cores: number;
  memoryGiB: number;
  node: string;
  v8: string;
  os: string;
  arch: string;
}

/** The machine a figure came from; every report carries it. */
export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    os: `${osType()} ${release()} (${platform()})`,
    arch: arch(),
  };
}

function cpuModel(): string {
  // /proc/cpuinfo is the most specific source on Linux; os.cpus() elsewhere.
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    const model = line?.split(':')[1]?.trim();
    if (model) return model;
  } catch {
    // not Linux
  }
  return cpus()[0]?.model.trim() ?? 'unknown';
}

/** 1-minute load average (0 where the OS has none): how busy the machine was besides us. */
export function loadAverage(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

/** "2025-01-31T12-34-56Z": an ISO time that is safe in file names. */
export function fileTimestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll(':', '-');
}

/** Writes `value` as pretty JSON to `<dir>/<prefix>-<timestamp>.json`; returns the path. */
export function writeJsonReport(dir: string, prefix: string, value: unknown, date = new Date()): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${prefix}-${fileTimestamp(date)}.json`);
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  return path;
}
