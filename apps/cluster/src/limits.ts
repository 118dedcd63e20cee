import { readFileSync } from 'node:fs';

/** The open-file limits of this process (Linux only), to log at startup: each connection takes one. */
export function openFileLimits(): { soft: string; hard: string } | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [soft, hard] = line?.slice('Max open files'.length).trim().split(/\s+/) ?? [];
    return soft && hard ? { soft, hard } : undefined;
  } catch {
    return undefined;
  }
}
