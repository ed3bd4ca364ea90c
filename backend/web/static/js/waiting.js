// The waiting list of one service, kept in call order from ticket.updated deltas. Pure: no DOM, so
// the ordering rule lives in one small place.
//
// A staff ticket.updated for a waiting ticket carries its `position` (1 = called next), computed by
// the server in the same order call-next uses. Inserting each changed ticket at its position and
// dropping every ticket that stopped waiting keeps the list in that order without a re-fetch.

export function applyWaiting(list, update) {
  const rest = list.filter((t) => t.id !== update.id);
  if (update.status !== "waiting") return rest;
  const index = Math.min(Math.max((update.position || rest.length + 1) - 1, 0), rest.length);
  rest.splice(index, 0, update);
  return rest;
}
