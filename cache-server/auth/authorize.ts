/**
 * Per-dataset authorization: wraps a FlightService so that every call is checked against the scopes
 * of its caller (set by TokenAuth's interceptor) before the service acts. Reads (GetFlightInfo,
 * GetSchema, PollFlightInfo, DoGet) need read scope on the dataset, DoPut write scope, the actions
 * drop/fetch/describe/register/load admin; ListFlights lists only readable datasets. A ticket names its
 * dataset (a shard's partition ticket the dataset it is part of), so a token for one dataset cannot
 * read another, from a coordinator or from a shard.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { CallContext } from '../../client/src/flight/grpc/method.js';
import type { FlightService } from '../../client/src/flight/service.js';
import { parseFlightRequest } from '../node/flight-request.js';
import { datasetNameOf } from '../node/node-service.js';
import { decodeTicket } from '../node/ticket.js';
import { allows, describeScopes } from './scopes.js';
import { identityOf, type Identity } from './token-auth.js';

/** Actions that change or copy what a node holds, or the cluster's membership. */
// load reads files the server can reach: never for a caller without admin.
const ADMIN_ACTIONS: readonly string[] = ['drop', 'fetch', 'describe', 'register', 'load', 'select'];

/** The caller of an authenticated call (INTERNAL if the interceptor did not run: a wiring bug). */
function callerOf(ctx: CallContext): Identity {
  const identity = identityOf(ctx);
  if (!identity) throw new FlightError(Code.INTERNAL, `call ${ctx.path} reached authorization without an authenticated identity`);
  return identity;
}

/** PERMISSION_DENIED unless the caller may `access` dataset `name` (undefined: the default dataset). */
function demand(ctx: CallContext, access: 'read' | 'write', name: string | undefined): void {
  requireScope(callerOf(ctx), access, name);
}

/** PERMISSION_DENIED unless `identity` may `access` dataset `name` (undefined: the default dataset). */
export function requireScope({ user, scopes }: Identity, access: 'read' | 'write', name: string | undefined): void {
  if (allows(scopes[access], name)) return;
  const what = name === undefined ? `the default dataset (name the dataset: reading it unnamed needs ${access} scope "*")` : `dataset "${name}"`;
  throw new FlightError(Code.PERMISSION_DENIED, `user "${user}" may not ${access} ${what}; its scopes: ${describeScopes(scopes)}`);
}

/** Wraps `service` so that each call is checked against its caller's scopes. */
export function authorizeService(service: FlightService): FlightService {
  const authorized: FlightService = {
    handshake: (requests, ctx) => service.handshake(requests, ctx),
    async *listFlights(criteria, ctx) {
      const { read } = callerOf(ctx).scopes;
      for await (const info of service.listFlights(criteria, ctx)) if (allows(read, info.flightDescriptor?.path[0])) yield info;
    },
    getFlightInfo(descriptor, ctx) {
      demand(ctx, 'read', parseFlightRequest(descriptor).dataset);
      return service.getFlightInfo(descriptor, ctx);
    },
    pollFlightInfo(descriptor, ctx) {
      demand(ctx, 'read', parseFlightRequest(descriptor).dataset);
      return service.pollFlightInfo(descriptor, ctx);
    },
    getSchema(descriptor, ctx) {
      demand(ctx, 'read', parseFlightRequest(descriptor).dataset);
      return service.getSchema(descriptor, ctx);
    },
    doGet(ticket, ctx) {
      const request = decodeTicket(ticket.ticket);
      demand(ctx, 'read', request.global ?? request.dataset);
      return service.doGet(ticket, ctx);
    },
    doPut(data, ctx) {
      // The first message names the dataset; the service sees it only once it is allowed.
      async function* checked() {
        let first = true;
        for await (const message of data) {
          if (first) demand(ctx, 'write', datasetNameOf(message.flightDescriptor));
          first = false;
          yield message;
        }
      }
      return service.doPut(checked(), ctx);
    },
    doExchange: (data, ctx) => service.doExchange(data, ctx),
    doAction(action, ctx) {
      const { user, scopes } = callerOf(ctx);
      if (ADMIN_ACTIONS.includes(action.type) && !scopes.admin) {
        throw new FlightError(Code.PERMISSION_DENIED, `user "${user}" may not run action "${action.type}": it needs admin scope`);
      }
      return service.doAction(action, ctx);
    },
    listActions: (ctx) => service.listActions(ctx),
    bodyAllocator: (ctx) => service.bodyAllocator(ctx),
  };
  return authorized;
}
