-- CreateTable
CREATE TABLE "DrillRun" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "drillId" TEXT NOT NULL,
    "settings" TEXT NOT NULL,
    "input" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "verdict" TEXT,
    "verdictReason" TEXT,
    "prediction" TEXT,
    "summary" TEXT,
    "startedAt" DATETIME NOT NULL,
    "endedAt" DATETIME,
    "error" TEXT
);

-- CreateTable
CREATE TABLE "DrillEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "runId" TEXT NOT NULL,
    "t" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "detail" TEXT NOT NULL DEFAULT '{}',
    CONSTRAINT "DrillEvent_runId_fkey" FOREIGN KEY ("runId") REFERENCES "DrillRun" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "DrillSample" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "runId" TEXT NOT NULL,
    "t" INTEGER NOT NULL,
    "sample" TEXT NOT NULL,
    CONSTRAINT "DrillSample_runId_fkey" FOREIGN KEY ("runId") REFERENCES "DrillRun" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "DrillAnomaly" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "runId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "sendStatus" TEXT,
    "lastStage" TEXT,
    "detail" TEXT NOT NULL DEFAULT '{}',
    CONSTRAINT "DrillAnomaly_runId_fkey" FOREIGN KEY ("runId") REFERENCES "DrillRun" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "DrillRun_startedAt_idx" ON "DrillRun"("startedAt");

-- CreateIndex
CREATE INDEX "DrillRun_drillId_startedAt_idx" ON "DrillRun"("drillId", "startedAt");

-- CreateIndex
CREATE INDEX "DrillEvent_runId_t_idx" ON "DrillEvent"("runId", "t");

-- CreateIndex
CREATE INDEX "DrillSample_runId_t_idx" ON "DrillSample"("runId", "t");

-- CreateIndex
CREATE INDEX "DrillAnomaly_runId_kind_idx" ON "DrillAnomaly"("runId", "kind");

