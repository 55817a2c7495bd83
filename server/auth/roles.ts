/**
 * Who may do what. Each role includes the ones before it: a viewer reads; an operator also runs
 * traffic and changes settings; a drill user also crashes things (kills, power loss, disk deletion,
 * promotion, drills); an admin also manages users and tokens.
 */
export const ROLES = ['viewer', 'operator', 'drill', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_ABILITIES: Record<Role, string> = {
  viewer: 'watch: read every page, chart and drill record',
  operator: 'also start and stop traffic and consumers, and change settings',
  drill: 'also crash things: kill processes, cut power, delete disks, promote the slave, run drills',
  admin: 'also manage users and API tokens',
};

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}
