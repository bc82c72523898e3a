/** Consistency levels as the protocol numbers them ([consistency] = [short]). */
export const Consistency = {
  ANY: 0x0000, ONE: 0x0001, TWO: 0x0002, THREE: 0x0003, QUORUM: 0x0004, ALL: 0x0005,
  LOCAL_QUORUM: 0x0006, EACH_QUORUM: 0x0007, SERIAL: 0x0008, LOCAL_SERIAL: 0x0009, LOCAL_ONE: 0x000a,
} as const;
export type Consistency = (typeof Consistency)[keyof typeof Consistency];
export type ConsistencyName = keyof typeof Consistency;

const NAMES = new Map<number, ConsistencyName>(
  (Object.entries(Consistency) as [ConsistencyName, number][]).map(([k, v]) => [v, k]),
);

export function consistencyName(c: number): string {
  return NAMES.get(c) ?? `UNKNOWN(${c})`;
}

export function parseConsistency(s: string): Consistency | undefined {
  const k = s.toUpperCase() as ConsistencyName;
  return Object.prototype.hasOwnProperty.call(Consistency, k) ? Consistency[k] : undefined;
}
