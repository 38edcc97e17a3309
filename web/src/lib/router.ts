// Hash routes. Only opaque numeric ids ever appear in the address; names, MRNs, search terms
// and filters stay in memory.

export type Route =
  | { name: 'queue' }
  | { name: 'patients' }
  | { name: 'followups' }
  | { name: 'patient'; id: number }
  | { name: 'interrogation'; id: number }
  | { name: 'unmatched' }
  | { name: 'results' }
  | { name: 'charges' }
  | { name: 'audit' }
  | { name: 'admin' }
  | { name: 'quarantine' }
  | { name: 'setup' }
  | { name: 'login' }
  | { name: 'default' }
  | { name: 'not_found' };

const SIMPLE = new Set(['queue', 'patients', 'followups', 'unmatched', 'results', 'charges', 'audit', 'admin', 'quarantine', 'setup', 'login']);
const WITH_ID = new Set(['patient', 'interrogation']);

/** "#/patient/12" → {name: 'patient', id: 12}. Ids must be positive integers below 2^53. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/^\/+/, '').replace(/\/+$/, '');
  if (path === '') return { name: 'default' };
  const parts = path.split('/');
  const head = parts[0]!;
  if (parts.length === 1 && SIMPLE.has(head)) return { name: head } as Route;
  if (parts.length === 2 && WITH_ID.has(head) && /^[1-9][0-9]{0,15}$/.test(parts[1]!)) {
    const id = Number(parts[1]);
    if (Number.isSafeInteger(id)) return { name: head, id } as Route;
  }
  return { name: 'not_found' };
}

export function formatRoute(r: Route): string {
  switch (r.name) {
    case 'patient':
    case 'interrogation':
      return `#/${r.name}/${r.id}`;
    case 'default':
    case 'not_found':
      return '#/';
    default:
      return `#/${r.name}`;
  }
}
