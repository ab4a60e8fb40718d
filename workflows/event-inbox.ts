import { allHandlersFinished, condition, log, setHandler, workflowInfo, type SignalDefinition } from '@temporalio/workflow';

export type InboxOutcome = 'applied' | 'stale' | 'failed' | 'mismatch';

/** Recent event ids kept: Stripe redelivers within days, not after hundreds of newer events. */
const SEEN_KEPT = 500;

export interface InboxOptions<E extends { eventId: string; type: string }> {
  /** The signal that feeds the inbox (sent with signal-with-start). */
  signal: SignalDefinition<[E]>;
  /** Recently handled ids, carried over continue-as-new in the workflow's input. */
  state: { seen: string[] };
  /** Events per run before continue-as-new keeps the history short. */
  eventsPerRun: number;
  apply(event: E): Promise<Exclude<InboxOutcome, 'failed'>>;
  record(eventId: string, outcome: InboxOutcome): Promise<void>;
  /** A deadline (epoch ms, or null for none) waited for beside events, and what it triggers. */
  deadline?: { at(): number | null; reached(): Promise<void> };
  continueAsNew(): Promise<never>;
}

/**
 * The loop of a long-lived workflow fed one event at a time: events apply in arrival order, a
 * repeated id is skipped, one bad event is recorded as failed instead of ending the workflow,
 * and the run continues as new once every handler has finished and nothing is waiting.
 */
export async function runEventInbox<E extends { eventId: string; type: string }>(opts: InboxOptions<E>): Promise<never> {
  const inbox: E[] = [];
  setHandler(opts.signal, (event) => {
    inbox.push(event);
  });
  let handled = 0;
  for (;;) {
    const at = opts.deadline?.at() ?? null;
    const gotEvent = at === null ? (await condition(() => inbox.length > 0), true) : await condition(() => inbox.length > 0, Math.max(0, at - Date.now()));
    if (!gotEvent) await opts.deadline!.reached();
    while (inbox.length > 0) {
      const event = inbox.shift()!;
      if (opts.state.seen.includes(event.eventId)) continue;
      let outcome: InboxOutcome;
      try {
        outcome = await opts.apply(event);
      } catch (err) {
        log.error('event not applied', { eventId: event.eventId, type: event.type, error: String(err) });
        outcome = 'failed';
      }
      opts.state.seen = [...opts.state.seen, event.eventId].slice(-SEEN_KEPT);
      await opts.record(event.eventId, outcome);
      handled += 1;
    }
    if (handled >= opts.eventsPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      // Checked right before continuing: a signal that arrived meanwhile is handled first.
      if (inbox.length === 0) await opts.continueAsNew();
    }
  }
}
