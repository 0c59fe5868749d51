import type { ClientContext } from './client-context.ts';
import {
  deleteEventReport,
  getEventReport,
  listEventReports,
  listEventReportsPage,
  type EventReport,
  type EventReportsPage,
  type ListedEventReport,
  type ListEventReportsOptions,
} from './admin-event-reports.ts';

/**
 * Reports of events that users sent to the server admins. Reached as `client.admin.eventReports`.
 *
 * @example
 * ```ts
 * for await (const report of client.admin.eventReports.list({ roomId: '!ops:example.org' })) console.log(report.reason);
 * ```
 */
export class SynapseEventReportsAdminApi {
  readonly #context: ClientContext;

  /** @internal */
  constructor(context: ClientContext) {
    this.#context = context;
    Object.freeze(this);
  }

  /**
   * Every matching report, newest first unless `dir: 'f'`, following `next_token` page by page.
   *
   * @example
   * ```ts
   * for await (const report of client.admin.eventReports.list({ eventSenderUserId: '@spammer:example.org' })) console.log(report.eventId);
   * ```
   */
  list(options: ListEventReportsOptions = {}): AsyncGenerator<ListedEventReport, void, undefined> {
    return listEventReports(this.#context, options);
  }

  /**
   * One page of reports; pass its `nextToken` as `from` to resume.
   *
   * @example
   * ```ts
   * const { items, nextToken, total } = await client.admin.eventReports.listPage({ limit: 50 });
   * if (nextToken !== undefined) await client.admin.eventReports.listPage({ limit: 50, from: nextToken });
   * ```
   */
  listPage(options: ListEventReportsOptions & { from?: string } = {}): Promise<EventReportsPage> {
    return listEventReportsPage(this.#context, options);
  }

  /**
   * One report, with the reported event as stored; `not_found` when there is no such report.
   *
   * @example
   * ```ts
   * const report = await client.admin.eventReports.get('42');
   * console.log(report.reporterUserId, report.eventJson);
   * ```
   */
  get(reportId: string): Promise<EventReport> {
    return getEventReport(this.#context, reportId);
  }

  /**
   * Deletes a report (the event stays); `not_found` when there is no such report.
   *
   * @example
   * ```ts
   * await client.admin.eventReports.delete('42');
   * ```
   */
  delete(reportId: string): Promise<void> {
    return deleteEventReport(this.#context, reportId);
  }
}
