import { RegistryError } from './errors.js';
import { type AgentStatus, STATUSES, type StoredRecord } from './record.js';

/** What a status report or a node's bookkeeping may change. */
export interface StatusPatch {
  status?: AgentStatus;
  load?: number;
  inFlight?: number;
  tools?: readonly string[];
  rooms?: readonly string[];
}

export function localKey(ns: string, agentId: string): string {
  return `${ns}\n${agentId}`;
}

export function uniqueSorted(list: readonly string[]): string[] {
  return [...new Set(list)].sort();
}

export function same(a: StoredRecord, b: StoredRecord): boolean {
  return (
    a.status === b.status &&
    a.load === b.load &&
    a.inFlight === b.inFlight &&
    a.reported === b.reported &&
    a.tools.join('\n') === b.tools.join('\n') &&
    a.rooms.join('\n') === b.rooms.join('\n')
  );
}

export function checkPatch(patch: StatusPatch): void {
  if (patch.status !== undefined && !STATUSES.includes(patch.status)) {
    throw new RegistryError('INVALID_STATUS', `status must be one of ${STATUSES.map((s) => `"${s}"`).join(', ')}`);
  }
  if (patch.load !== undefined && (typeof patch.load !== 'number' || !Number.isFinite(patch.load) || patch.load < 0)) {
    throw new RegistryError('INVALID_STATUS', 'load must be a finite number >= 0');
  }
  if (patch.inFlight !== undefined && (!Number.isInteger(patch.inFlight) || patch.inFlight < 0)) {
    throw new RegistryError('INVALID_STATUS', 'inFlight must be an integer >= 0');
  }
}

