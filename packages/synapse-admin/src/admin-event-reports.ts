import { z } from 'zod';
import { requireToken, segment, type ClientContext } from './client-context.ts';
import { emptySchema } from './schemas.ts';
import { unknownFields } from './unknown-fields.ts';

// The event reports admin API (docs/admin_api/event_reports.md): events users reported to the server admins
// (`POST /_matrix/client/v3/rooms/<room_id>/report/<event_id>`).

const reportFields = {
  id: z.number(),
  received_ts: z.number(),
  room_id: z.string(),
  event_id: z.string(),
  user_id: z.string(),
  reason: z.string().nullish(),
  score: z.number().nullish(),
  sender: z.string().nullish(),
  canonical_alias: z.string().nullish(),
  name: z.string().nullish(),
};

function reportSummary(report: z.infer<z.ZodObject<typeof reportFields>>) {
  return {
    /** Synapse's report id, as a string for the path (`reports.get(id)`). */
    reportId: String(report.id),
    receivedAtMs: report.received_ts,
    roomId: report.room_id,
    eventId: report.event_id,
    /** Who reported it. */
    reporterUserId: report.user_id,
    reason: report.reason ?? undefined,
    /** -100 (most offensive) to 0, when the reporter gave one. */
    score: report.score ?? undefined,
    /** Who sent the reported event (`undefined` once the event is gone). */
    senderUserId: report.sender ?? undefined,
    roomCanonicalAlias: report.canonical_alias ?? undefined,
    roomName: report.name ?? undefined,
  };
}

const listedReportSchema = z.looseObject(reportFields).transform((report) => ({ ...reportSummary(report), other: unknownFields(report, Object.keys(reportFields)) }));

export type ListedEventReport = z.infer<typeof listedReportSchema>;

const reportDetailFields = { ...reportFields, event_json: z.record(z.string(), z.unknown()) };

const reportDetailSchema = z.looseObject(reportDetailFields).transform((report) => ({
  ...reportSummary(report),
  /** The reported event as the server stores it (federation format). */
  eventJson: report.event_json,
  other: unknownFields(report, Object.keys(reportDetailFields)),
}));

export type EventReport = z.infer<typeof reportDetailSchema>;

export interface ListEventReportsOptions {
  /** Page size (Synapse's default 100). */
  limit?: number;
  /** `b` newest first (Synapse's default) or `f` oldest first. */
  dir?: 'f' | 'b';
  /** Reports whose reporter's user id contains this. */
  userId?: string;
  /** Reports in rooms whose id contains this. */
  roomId?: string;
  /** Reports of events sent by exactly this user. */
  eventSenderUserId?: string;
}

/** One page of event reports: the reports, the token of the next page (`undefined` on the last one) and how many match. */
export interface EventReportsPage {
  readonly items: ListedEventReport[];
  readonly nextToken: string | undefined;
  readonly total: number;
}

const reportsPageSchema = z
  .looseObject({ event_reports: z.array(listedReportSchema), total: z.number(), next_token: z.union([z.number(), z.string()]).nullish() })
  .transform((body): EventReportsPage => ({ items: body.event_reports, nextToken: body.next_token == null ? undefined : String(body.next_token), total: body.total }));

/** One `GET /_synapse/admin/v1/event_reports` page from `from` (a `nextToken` of an earlier page; the start by default). */
export function listEventReportsPage(context: ClientContext, options: ListEventReportsOptions & { from?: string } = {}): Promise<EventReportsPage> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/event_reports',
    path: '/_synapse/admin/v1/event_reports',
    query: {
      from: options.from,
      limit: options.limit,
      dir: options.dir,
      user_id: options.userId,
      room_id: options.roomId,
      event_sender_user_id: options.eventSenderUserId,
    },
    accessToken: requireToken(context, 'listEventReportsPage'),
    idempotency: 'idempotent',
    schema: reportsPageSchema,
  });
}

/** Every matching report, one {@link listEventReportsPage} at a time, following `next_token`. */
export async function* listEventReports(context: ClientContext, options: ListEventReportsOptions = {}): AsyncGenerator<ListedEventReport, void, undefined> {
  requireToken(context, 'listEventReports');
  let from: string | undefined;
  do {
    const page = await listEventReportsPage(context, from === undefined ? options : { ...options, from });
    yield* page.items;
    from = page.nextToken;
  } while (from !== undefined);
}

/** `GET /_synapse/admin/v1/event_reports/<report_id>`: one report with the event; `not_found` when unknown. */
export function getEventReport(context: ClientContext, reportId: string): Promise<EventReport> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/event_reports/{reportId}',
    path: `/_synapse/admin/v1/event_reports/${segment(reportId)}`,
    accessToken: requireToken(context, 'getEventReport'),
    idempotency: 'idempotent',
    schema: reportDetailSchema,
  });
}

/**
 * `DELETE /_synapse/admin/v1/event_reports/<report_id>`: removes the report (not the event). `not_found` when
 * there is no such report, including when a retried delete had already removed it.
 */
export async function deleteEventReport(context: ClientContext, reportId: string): Promise<void> {
  await context.transport.call({
    method: 'DELETE',
    route: '/_synapse/admin/v1/event_reports/{reportId}',
    path: `/_synapse/admin/v1/event_reports/${segment(reportId)}`,
    accessToken: requireToken(context, 'deleteEventReport'),
    idempotency: 'idempotent',
    schema: emptySchema,
  });
}
