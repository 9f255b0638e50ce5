// Who else is looking at a request (a team store's presence), as the Promotions view shows it.
import type { Looking, RequestId, UserName } from './api/bindings';

/** The users looking at each request, by request id; requests nobody else looks at are absent. */
export function lookersByRequest(looking: readonly Looking[]): Record<RequestId, UserName[]> {
  const by: Record<RequestId, UserName[]> = {};
  for (const l of looking) {
    if (l.users.length > 0) by[l.request] = [...l.users];
  }
  return by;
}

/** "also looking: bob", "also looking: bob and dana", "also looking: bob, dana and erin". */
export function lookingText(users: readonly UserName[]): string {
  if (users.length === 0) return '';
  const names =
    users.length === 1 ? users[0] : `${users.slice(0, -1).join(', ')} and ${users[users.length - 1]}`;
  return `also looking: ${names}`;
}
