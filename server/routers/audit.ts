/** audit.*: the audit log, filtered and paged (reading it needs the drill role: it names people and their addresses). */
import { z } from 'zod';
import { AuditFilterSchema } from '../auth/audit-log';
import { drillProcedure, noInput, router } from './trpc';

/** useInfiniteQuery adds the paging direction to the input; the log pages one way only (older), so it is ignored. */
const AuditListInputSchema = AuditFilterSchema.extend({ direction: z.enum(['forward', 'backward']).optional() });

export const auditRouter = router({
  list: drillProcedure.input(AuditListInputSchema.default({ limit: 100 })).query(({ ctx, input }) => {
    const { direction: _direction, ...filter } = input;
    return ctx.security.audit.list(filter);
  }),
  facets: drillProcedure.input(noInput).query(({ ctx }) => ctx.security.audit.facets()),
});
