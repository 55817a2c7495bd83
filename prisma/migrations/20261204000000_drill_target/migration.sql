-- AlterTable: the cluster a run ran against (null: the embedded cluster)
ALTER TABLE "DrillRun" ADD COLUMN "target" TEXT;
