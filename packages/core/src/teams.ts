import { ProtocolError } from './errors.js';
import * as ErrorCode from './error-code.js';
import { assertRoomName, type Hub, type HubMember, type Target, type TeamMessage } from './hub.js';
import { DELIVERY_WIRE, type Delivery } from './messages.js';
import type { ToolContext } from './tool.js';
import type { ToolRegistry } from './tool-registry.js';
import type { Principal } from './transport.js';

/** Who may use a namespace and its rooms. */
export interface NamespaceRule {
  /** A namespace name ("/team-alpha"), a pattern (/^\/team-\w+$/) or a predicate. */
  match: string | RegExp | ((ns: string) => boolean);
  /** May this principal connect to the namespace? @default everyone */
  authorize?: (principal: Principal, ns: string) => boolean | Promise<boolean>;
  /** May this principal join this room? @default everyone */
  canJoin?: (principal: Principal, room: string, ns: string) => boolean | Promise<boolean>;
  /** May this principal list this room's members (`asp.members` with `room`)? 403 if not. @default canJoin */
  canList?: (principal: Principal, room: string, ns: string) => boolean | Promise<boolean>;
  /** May this principal broadcast into this room (`asp.broadcast` with `room`)? 403 if not. @default canJoin */
  canSend?: (principal: Principal, room: string, ns: string) => boolean | Promise<boolean>;
  /**
   * May this principal take an agent id that a session of another principal (`holder`, its id)
   * still holds while it waits to be resumed? 409 if not. @default only the same principal
   */
  canClaimAgentId?: (principal: Principal, agentId: string, ns: string, holder: string) => boolean | Promise<boolean>;
}

/** Whether `principal` may take `agentId` from a session of the principal whose id is `holder`. */
export async function mayClaimAgentId(rule: NamespaceRule, principal: Principal, agentId: string, ns: string, holder: string): Promise<boolean> {
  if (holder === principal.id) return true;
  return rule.canClaimAgentId ? rule.canClaimAgentId(principal, agentId, ns, holder) : false;
}

export interface TeamsOptions {
  /** Namespaces clients may connect to, first match wins. @default every namespace, open to all */
  namespaces?: NamespaceRule[];
  /** Membership and fan-out. @default a MemoryHub (one process) */
  hub?: Hub;
}

export const DEFAULT_NAMESPACE = '/';

/** The rule of a server without namespace rules: one object for every session. */
const OPEN: NamespaceRule = Object.freeze({ match: () => true });

export function findRule(rules: NamespaceRule[] | undefined, ns: string): NamespaceRule | undefined {
  if (!rules) return OPEN;
  return rules.find((r) =>
    typeof r.match === 'string' ? r.match === ns : r.match instanceof RegExp ? r.match.test(ns) : r.match(ns),
  );
}

export function isNamespaceName(ns: string): boolean {
  return /^\/[A-Za-z0-9_.\-/]{0,127}$/.test(ns);
}

const roomInput = { type: 'object', properties: { room: { type: 'string' } }, required: ['room'] } as const;

/** The member a system tool call comes from, and the namespace rule that governs it. */
export interface TeamCaller {
  readonly member: HubMember;
  readonly rule: NamespaceRule;
}

/**
 * The reserved tools for team work, added once per server (their schemas compiled once, not per
 * session); each call finds its caller through `caller(ctx)`. They are INVOKEs like any other, so
 * refusals come back as ordinary ERROR frames (403 for a room the credentials do not allow).
 */
export function addTeamTools(registry: ToolRegistry, caller: (ctx: ToolContext) => TeamCaller, hub: Hub, newId: () => string): void {
  // Listing and sending follow the join rule unless the namespace gives rules of their own.
  const check = async ({ member, rule }: TeamCaller, room: string, what: 'join' | 'list' | 'send') => {
    const allowed = what === 'join' ? rule.canJoin : what === 'list' ? (rule.canList ?? rule.canJoin) : (rule.canSend ?? rule.canJoin);
    if (allowed && !(await allowed(member.principal, room, member.ns))) {
      const verb = what === 'join' ? 'join' : what === 'list' ? 'list the members of' : 'broadcast into';
      throw new ProtocolError(ErrorCode.FORBIDDEN, `"${member.principal.id}" may not ${verb} room "${room}" in ${member.ns}`);
    }
  };
  const message = (member: HubMember, args: Record<string, unknown>): TeamMessage => {
    const event = args['event'];
    if (typeof event !== 'string' || event.length === 0) throw new ProtocolError(ErrorCode.INVALID_ARGUMENTS, 'event must be a non-empty string');
    const delivery = parseDelivery(args['dl']);
    return { id: typeof args['id'] === 'string' ? args['id'] : newId(), event, data: args['data'], from: member.agentId, delivery };
  };
  registry.addSystem('asp.join', {
    input: roomInput,
    handler: async (args, ctx) => {
      const from = caller(ctx);
      const room = assertRoomName(args['room']);
      await check(from, room, 'join');
      await hub.join(from.member, room);
      return { room };
    },
  });
  registry.addSystem('asp.leave', {
    input: roomInput,
    handler: async (args, ctx) => {
      const room = assertRoomName(args['room']);
      await hub.leave(caller(ctx).member, room);
      return { room };
    },
  });
  registry.addSystem('asp.rooms', { handler: (_args, ctx) => hub.rooms(caller(ctx).member) });
  registry.addSystem('asp.members', {
    handler: async (args, ctx) => {
      const from = caller(ctx);
      if (args['room'] === undefined) return hub.members(from.member.ns);
      const room = assertRoomName(args['room']);
      await check(from, room, 'list');
      return hub.members(from.member.ns, room);
    },
  });
  registry.addSystem('asp.send', {
    input: { type: 'object', properties: { to: { type: 'string' }, event: { type: 'string' } }, required: ['to', 'event'] },
    handler: async (args, ctx) => {
      const { member } = caller(ctx);
      const to = String(args['to']);
      const delivered = await hub.send(member.ns, { to }, message(member, args));
      if (delivered === 0) throw new ProtocolError(ErrorCode.AGENT_NOT_FOUND, `no agent "${to}" in ${member.ns}`);
      return { delivered };
    },
  });
  registry.addSystem('asp.broadcast', {
    input: { type: 'object', properties: { room: { type: 'string' }, event: { type: 'string' } }, required: ['event'] },
    handler: async (args, ctx) => {
      const from = caller(ctx);
      const { member } = from;
      const target: Target = args['room'] === undefined ? { all: true } : { room: assertRoomName(args['room']) };
      if ('room' in target) await check(from, target.room, 'send');
      const m = message(member, args);
      if ('room' in target) m.room = target.room;
      return { delivered: await hub.send(member.ns, target, m, member.agentId) };
    },
  });
}

function parseDelivery(value: unknown): Delivery {
  if (value === undefined || value === null) return 'at-least-once';
  for (const [name, wire] of Object.entries(DELIVERY_WIRE)) {
    if (wire === value && (name === 'at-most-once' || name === 'at-least-once' || name === 'exactly-once')) return name;
  }
  throw new ProtocolError(ErrorCode.INVALID_ARGUMENTS, 'dl must be 0, 1 or 2');
}
