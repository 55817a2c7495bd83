/**
 * A database of its own for a test (a temp dir, migrated as `npm start` migrates, a real SQLite file
 * through Prisma), and a lab on it: the control plane with its name server, master and slave
 * processes, and its drill runner, built as `zeroloss drill` builds them (server/lab.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PrismaClient } from '@prisma/client';
import { ensureSetup } from '../../server/setup';
import type { ControlPlane } from '../../server/control-plane';
import type { DrillRunner } from '../../server/drills/drill-runner';
import { waitFor } from './broker-process';

export interface TempDatabase {
  dataDir: string;
  prisma: PrismaClient;
  /** disconnects and deletes the directory */
  remove(): Promise<void>;
}

export async function tempDatabase(prefix: string): Promise<TempDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const databaseUrl = `file:${path.join(dataDir, 'zeroloss.db')}`;
  ensureSetup({ databaseUrl, skipBuild: true });
  // Loaded after setup: the Prisma client is generated there on a first run.
  const { createPrisma } = await import('../../server/db/prisma');
  const prisma = createPrisma(databaseUrl);
  return {
    dataDir,
    prisma,
    async remove() {
      await prisma.$disconnect();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TempLab extends TempDatabase {
  cp: ControlPlane;
  runner: DrillRunner;
  /** stops every process of the lab, then removes its database and stores */
  stop(): Promise<void>;
}

/** Starts a lab (free ports, the slave with the master) on a database of its own; resolves once the slave runs. */
export async function startTempLab(prefix: string): Promise<TempLab> {
  const db = await tempDatabase(prefix);
  const { createLab } = await import('../../server/lab');
  const { controlPlane: cp, drillRunner: runner } = createLab({ prisma: db.prisma, dataDir: db.dataDir, brokerPort: 0, namesrvPort: 0, startSlave: true });
  const lab: TempLab = {
    ...db,
    cp,
    runner,
    async stop() {
      await cp.stop();
      await db.remove();
    },
  };
  try {
    await cp.start();
    await waitFor('the slave running', async () => cp.secondReplica.running, 30_000);
  } catch (error) {
    await lab.stop().catch(() => {});
    throw error;
  }
  return lab;
}
