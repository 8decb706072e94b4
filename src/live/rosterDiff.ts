import type { RosterParticipantModel } from '../model.js';

/** What `RosterUpdate` resolves from. */
export interface RosterUpdateModel {
  readonly reset: boolean;
  readonly joined: readonly RosterParticipantModel[];
  readonly changed: readonly RosterParticipantModel[];
  readonly left: readonly RosterParticipantModel[];
}

/** Whether two answers are the same in every field (key order and `Date` versus its ISO text aside). */
export function sameAnswer(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** The whole roster as the first update of a subscription, or after updates were missed. */
export function rosterReset(roster: readonly RosterParticipantModel[]): RosterUpdateModel {
  return { reset: true, joined: roster, changed: [], left: [] };
}

/** Who joined, changed (any summary field) or left between two rosters; undefined when nothing did. */
export function rosterDiff(
  before: readonly RosterParticipantModel[],
  after: readonly RosterParticipantModel[],
): RosterUpdateModel | undefined {
  const previous = new Map(before.map((participant) => [participant.participantId, participant]));
  const current = new Set(after.map((participant) => participant.participantId));
  const joined: RosterParticipantModel[] = [];
  const changed: RosterParticipantModel[] = [];
  for (const participant of after) {
    const old = previous.get(participant.participantId);
    if (old === undefined) joined.push(participant);
    else if (!sameAnswer(old, participant)) changed.push(participant);
  }
  const left = before.filter((participant) => !current.has(participant.participantId));
  if (joined.length + changed.length + left.length === 0) return undefined;
  return { reset: false, joined, changed, left };
}

// JSON with sorted keys: two answers of IVS for the same state print the same.
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) => {
    if (field === null || typeof field !== 'object' || Array.isArray(field)) return field;
    return Object.fromEntries(Object.entries(field).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}
